"""Sign in with Plex: a PIN at plex.tv, the account's token once approved, its servers.

Plain aiohttp on Home Assistant's session, against plex.tv's v2 JSON API (the same calls
Plex's own apps make). Tests point `PLEX_TV_URL` at the plex.tv emulator.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp

from .const import VERSION

if TYPE_CHECKING:
    from collections.abc import Mapping

PLEX_TV_URL = "https://plex.tv"
PLEX_AUTH_URL = "https://app.plex.tv/auth"
PRODUCT = "Videodrome"
# How often the PIN is checked while the user signs in, and how long the flow waits at most.
PIN_POLL_INTERVAL = 2.0
SIGN_IN_TIMEOUT = 600.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)


class PlexTvError(Exception):
    """plex.tv could not be reached, or answered with something unexpected."""


class PinExpiredError(Exception):
    """The PIN expired (or plex.tv no longer knows it) before the user approved it."""


@dataclass(frozen=True)
class Pin:
    """A sign-in PIN: the id to check, the code the auth page shows, its lifetime."""

    id: int
    code: str
    expires_in: float


@dataclass(frozen=True)
class Connection:
    """One way to reach a server, as plex.tv lists it."""

    uri: str
    local: bool
    relay: bool

    @property
    def secure(self) -> bool:
        """Whether the connection uses https."""
        return self.uri.startswith("https:")


@dataclass(frozen=True)
class PlexServerResource:
    """A Plex Media Server the account can use."""

    name: str
    machine_identifier: str
    access_token: str
    connections: tuple[Connection, ...]


def _headers(client_identifier: str, token: str | None = None) -> dict[str, str]:
    headers = {
        "Accept": "application/json",
        "X-Plex-Client-Identifier": client_identifier,
        "X-Plex-Product": PRODUCT,
        "X-Plex-Version": VERSION,
    }
    if token:
        headers["X-Plex-Token"] = token
    return headers


async def _request(
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    headers: Mapping[str, str],
    params: Mapping[str, str] | None = None,
) -> Any:
    """One call to plex.tv; the decoded JSON. Raises PinExpiredError on 404."""
    try:
        async with session.request(
            method, f"{PLEX_TV_URL}{path}", headers=headers, params=params, timeout=REQUEST_TIMEOUT
        ) as response:
            if response.status == 404:  # noqa: PLR2004 (Not Found: an expired PIN)
                raise PinExpiredError
            response.raise_for_status()
            return await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        raise PlexTvError(f"plex.tv: {method} {path} failed: {err}") from err


async def async_create_pin(session: aiohttp.ClientSession, client_identifier: str) -> Pin:
    """Ask plex.tv for a new (strong) PIN."""
    try:
        body = await _request(
            session, "POST", "/api/v2/pins", _headers(client_identifier), {"strong": "true"}
        )
        return Pin(
            id=int(body["id"]), code=str(body["code"]), expires_in=float(body.get("expiresIn", 900))
        )
    except (PinExpiredError, KeyError, TypeError) as err:
        raise PlexTvError(f"plex.tv: unexpected answer to a new PIN: {err!r}") from err


def auth_url(client_identifier: str, pin: Pin) -> str:
    """The plex.tv page where the user signs in and approves the PIN."""
    query = urlencode(
        {
            "clientID": client_identifier,
            "code": pin.code,
            "context[device][product]": PRODUCT,
        }
    )
    return f"{PLEX_AUTH_URL}#?{query}"


async def async_check_pin(
    session: aiohttp.ClientSession, client_identifier: str, pin: Pin
) -> str | None:
    """The account's token once the user approved the PIN, else None."""
    body = await _request(session, "GET", f"/api/v2/pins/{pin.id}", _headers(client_identifier))
    token = body.get("authToken") if isinstance(body, dict) else None
    return str(token) if token else None


async def async_wait_for_token(
    session: aiohttp.ClientSession, client_identifier: str, pin: Pin
) -> str | None:
    """Check the PIN until approved; None when it expires or the wait times out.

    Raises PlexTvError when plex.tv cannot be reached.
    """
    deadline = time.monotonic() + min(SIGN_IN_TIMEOUT, pin.expires_in)
    while True:
        try:
            if token := await async_check_pin(session, client_identifier, pin):
                return token
        except PinExpiredError:
            return None
        if time.monotonic() + PIN_POLL_INTERVAL > deadline:
            return None
        await asyncio.sleep(PIN_POLL_INTERVAL)


def _connection(raw: Mapping[str, Any]) -> Connection:
    return Connection(
        uri=str(raw["uri"]), local=bool(raw.get("local")), relay=bool(raw.get("relay"))
    )


def _sort_key(connection: Connection) -> tuple[bool, bool]:
    """Local before remote, https before http."""
    return (not connection.local, not connection.secure)


async def async_list_servers(
    session: aiohttp.ClientSession, client_identifier: str, token: str
) -> list[PlexServerResource]:
    """The servers the account can use, each with its direct connections (best first)."""
    try:
        body = await _request(
            session,
            "GET",
            "/api/v2/resources",
            _headers(client_identifier, token),
            {"includeHttps": "1", "includeRelay": "0"},
        )
        servers = []
        for resource in body:
            if "server" not in str(resource.get("provides", "")).split(","):
                continue
            connections = sorted(
                (c for c in map(_connection, resource.get("connections") or []) if not c.relay),
                key=_sort_key,
            )
            servers.append(
                PlexServerResource(
                    name=str(resource.get("name") or resource["clientIdentifier"]),
                    machine_identifier=str(resource["clientIdentifier"]),
                    access_token=str(resource.get("accessToken") or token),
                    connections=tuple(connections),
                )
            )
    except (PinExpiredError, KeyError, TypeError, AttributeError) as err:
        raise PlexTvError(f"plex.tv: unexpected list of resources: {err!r}") from err
    return servers
