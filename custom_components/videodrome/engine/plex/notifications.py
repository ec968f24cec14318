"""Plex's push channel: the `/:/websockets/notifications` websocket, kept open with back-off.

Plex pushes `activity` (scans starting and ending), `timeline` (items added, changed, deleted),
`status` ("Library scan complete") and `playing` messages. The listener hands each one to a
callback; it reconnects after drops with an exponential, jittered back-off (as plexwebsocket
does), and stops for good only on a refused token, which the caller turns into a reauth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
import logging
import random
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from .errors import PlexAuthError

if TYPE_CHECKING:
    from .client import PlexClient

_LOGGER = logging.getLogger(__name__)

NOTIFICATIONS_PATH = "/:/websockets/notifications"

# The child list that carries each message type's entries.
_ENTRY_KEYS = {
    "activity": "ActivityNotification",
    "timeline": "TimelineEntry",
    "status": "StatusNotification",
    "playing": "PlaySessionStateNotification",
}


@dataclass(frozen=True, slots=True)
class Notification:
    """One message from Plex: its type and its entries."""

    type: str
    entries: tuple[Mapping[str, Any], ...]

    @classmethod
    def parse(cls, raw: str | bytes) -> Notification | None:
        """Parse a websocket text frame; None for anything that is not a notification."""
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        body = doc.get("NotificationContainer") if isinstance(doc, dict) else None
        if not isinstance(body, dict) or not isinstance(kind := body.get("type"), str):
            return None
        entries = body.get(_ENTRY_KEYS.get(kind, ""), [])
        if not isinstance(entries, list):
            entries = []
        return cls(type=kind, entries=tuple(e for e in entries if isinstance(e, Mapping)))


class PlexNotificationListener:
    """Listens to a server's notifications until stopped, reconnecting as needed."""

    def __init__(
        self,
        client: PlexClient,
        on_notification: Callable[[Notification], None],
        on_connection: Callable[[bool], None] | None = None,
        *,
        retry_min: float = 1.0,
        retry_max: float = 300.0,
        heartbeat: float = 15.0,
    ) -> None:
        """Prepare a listener; nothing connects until `run()`."""
        self._client = client
        self._on_notification = on_notification
        self._on_connection = on_connection
        self._retry_min = retry_min
        self._retry_max = retry_max
        self._heartbeat = heartbeat
        self.connected = False
        self.failures = 0
        # Connections made so far: from the second on, each follows a drop, and what Plex
        # announced meanwhile was missed (the library index reads the library again).
        self.connections = 0

    @property
    def reconnected(self) -> bool:
        """Whether the connection now open follows a drop (not the first one)."""
        return self.connected and self.connections > 1

    def _set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            if self._on_connection is not None:
                self._on_connection(connected)

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt, given the failures so far."""
        exponent = max(self.failures - 1, 0)
        delay = min(self._retry_min * 2.0**exponent, self._retry_max)
        return delay * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not crypto)

    async def run(self) -> None:
        """Listen until cancelled; raises PlexAuthError if Plex refuses the token."""
        try:
            while True:
                try:
                    await self._listen_once()
                except PlexAuthError:
                    raise
                except (aiohttp.ClientError, TimeoutError, OSError) as err:
                    _LOGGER.debug("Plex notifications dropped: %s", type(err).__name__)
                self._set_connected(False)
                self.failures += 1
                await asyncio.sleep(self.next_delay())
        finally:
            self._set_connected(False)

    async def _listen_once(self) -> None:
        client = self._client
        url = client.endpoint(NOTIFICATIONS_PATH)
        try:
            # The handshake is an HTTP request: as long as any other (aiohttp's own default,
            # five minutes, would leave a server that accepts and never answers unnoticed).
            async with asyncio.timeout(client.request_timeout):
                websocket = await client.session.ws_connect(
                    url,
                    headers=client.headers(json=False),
                    heartbeat=self._heartbeat,
                    ssl=client.verify_ssl,
                    timeout=aiohttp.ClientWSTimeout(ws_close=client.request_timeout),
                )
        except aiohttp.WSServerHandshakeError as err:
            if err.status == 401:  # noqa: PLR2004
                raise PlexAuthError("Plex refused the token for notifications") from err
            raise
        async with websocket:
            self.failures = 0
            self.connections += 1
            self._set_connected(True)
            _LOGGER.debug("Listening to Plex notifications")
            async for message in websocket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    if (notification := Notification.parse(message.data)) is not None:
                        self._on_notification(notification)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    break
