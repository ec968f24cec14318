"""An emulated plex.tv: sign-in PINs, the account's servers and user, on loopback.

The JSON shapes and field names are those of recorded plex.tv v2 answers
(plex-api-rs: myplex/api/v2/pins_new.json, pins_linked.json, resources.json, user/*.json).
A PIN stays unapproved until the test calls `approve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import itertools
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.emulators.server import EmulatorServer

if TYPE_CHECKING:
    from tests.emulators.plex import PlexEmulator

__all__ = ["PinRecord", "PlexTvEmulator", "server_resource"]

ACCOUNT_TOKEN = "plextv-account-token-0123456789"


@dataclass
class PinRecord:
    """A PIN as plex.tv keeps it."""

    id: int
    code: str
    client_identifier: str
    created: datetime
    expires_in: int
    auth_token: str | None = None

    @property
    def expired(self) -> bool:
        """Whether the PIN outlived its lifetime."""
        return datetime.now(UTC) >= self.created + timedelta(seconds=self.expires_in)

    def json(self) -> dict[str, Any]:
        """The PIN as /api/v2/pins answers it."""
        return {
            "id": self.id,
            "code": self.code,
            "product": "0",
            "trusted": False,
            "clientIdentifier": self.client_identifier,
            "location": {"code": "GB", "country": "United Kingdom", "city": "London"},
            "expiresIn": self.expires_in,
            "createdAt": self.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "expiresAt": (self.created + timedelta(seconds=self.expires_in)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "authToken": self.auth_token,
            "newRegistration": None if self.auth_token is None else False,
        }


def server_resource(
    plex: PlexEmulator,
    *,
    name: str | None = None,
    machine_identifier: str | None = None,
    uris: list[tuple[str, bool]] | None = None,
) -> dict[str, Any]:
    """A `resources` entry for an emulated server; `uris` are (uri, local) pairs."""
    connections = []
    for uri, local in uris or [(plex.url, True)]:
        scheme, _, rest = uri.partition("://")
        address, _, port = rest.rpartition(":")
        connections.append(
            {
                "protocol": scheme,
                "address": address,
                "port": int(port or 32400),
                "uri": uri,
                "local": local,
                "relay": False,
                "IPv6": False,
            }
        )
    return {
        "name": name or plex.friendly_name,
        "product": "Plex Media Server",
        "productVersion": plex.version,
        "platform": "Linux",
        "platformVersion": "6.8.0",
        "device": "Docker Container",
        "clientIdentifier": machine_identifier or plex.machine_identifier,
        "createdAt": "2024-01-01T12:00:00Z",
        "lastSeenAt": "2026-01-01T12:00:00Z",
        "provides": "server",
        "ownerId": None,
        "sourceTitle": None,
        "publicAddress": "203.0.113.7",
        "accessToken": plex.token,
        "owned": True,
        "home": False,
        "synced": False,
        "relay": True,
        "presence": True,
        "httpsRequired": False,
        "publicAddressMatches": True,
        "dnsRebindingProtection": False,
        "natLoopbackSupported": False,
        "connections": connections,
    }


@dataclass
class PlexTvFaults:
    """Knobs for failure tests."""

    fail_status: int | None = None  # every request answers this status
    pin_expires_in: int = 900  # lifetime of new PINs (seconds)
    answer: tuple[int, Any] | None = None  # every request answers (status, JSON, or text)


class PlexTvEmulator(EmulatorServer):
    """plex.tv on loopback, for one account."""

    def __init__(
        self,
        *,
        account_token: str = ACCOUNT_TOKEN,
        resources: list[dict[str, Any]] | None = None,
        faults: PlexTvFaults | None = None,
    ) -> None:
        """Serve the account of `account_token`, which owns the servers `resources`."""
        super().__init__()
        self.account_token = account_token
        self.resources: list[dict[str, Any]] = resources if resources is not None else []
        self.faults = faults or PlexTvFaults()
        self.pins: dict[int, PinRecord] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._ids = itertools.count(111222333)
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/api/v2/pins", self._create_pin)
        app.router.add_get("/api/v2/pins/{id}", self._pin)
        app.router.add_get("/api/v2/resources", self._resources)
        app.router.add_get("/api/v2/user", self._user)
        self.app = app

    def approve(self, pin: int | str | None = None, token: str | None = None) -> None:
        """The user signed in and approved a PIN (by id or code; default: the newest)."""
        record = (
            next(p for p in self.pins.values() if pin in {p.id, p.code})
            if pin is not None
            else list(self.pins.values())[-1]
        )
        record.auth_token = token or self.account_token

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path, dict(request.headers)))
        if self.faults.fail_status is not None:
            return web.Response(status=self.faults.fail_status, text="plex.tv is unwell")
        if self.faults.answer is not None:
            status, body = self.faults.answer
            if isinstance(body, str):
                return web.Response(status=status, text=body)
            return web.json_response(body, status=status)
        if not request.headers.get("X-Plex-Client-Identifier"):
            return web.json_response(
                {"errors": [{"code": 1000, "message": "X-Plex-Client-Identifier is missing"}]},
                status=400,
            )
        response: web.StreamResponse = await handler(request)
        return response

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("X-Plex-Token") == self.account_token

    async def _create_pin(self, request: web.Request) -> web.Response:
        code = secrets.token_hex(13) if request.query.get("strong") == "true" else "ABCD"
        record = PinRecord(
            id=next(self._ids),
            code=code,
            client_identifier=request.headers["X-Plex-Client-Identifier"],
            created=datetime.now(UTC),
            expires_in=self.faults.pin_expires_in,
        )
        self.pins[record.id] = record
        return web.json_response(record.json(), status=201)

    async def _pin(self, request: web.Request) -> web.Response:
        record = self.pins.get(int(request.match_info["id"]))
        if record is None or record.expired:
            return web.json_response(
                {"errors": [{"code": 1020, "message": "Code not found or expired"}]}, status=404
            )
        return web.json_response(record.json())

    async def _resources(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(
                {"errors": [{"code": 1001, "message": "User could not be authenticated"}]},
                status=401,
            )
        return web.json_response(self.resources)

    async def _user(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(
                {"errors": [{"code": 1001, "message": "User could not be authenticated"}]},
                status=401,
            )
        return web.json_response(
            {
                "id": 1234567,
                "uuid": "0123456789abcdef",
                "username": "videodrome",
                "title": "videodrome",
                "email": "videodrome@example.org",
                "friendlyName": "",
                "locale": None,
                "confirmed": True,
                "authToken": self.account_token,
                "subscription": {"active": False, "status": "Inactive", "plan": None},
                "home": False,
                "guest": False,
            }
        )
