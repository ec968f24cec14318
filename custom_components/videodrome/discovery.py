"""GDM discovery: Plex Media Servers on the local network, offered as discovery flows.

Plex servers answer "M-SEARCH * HTTP/1.1" sent to UDP port 32414 (multicast group
239.0.0.250, the address plexapi's GDM uses) with HTTP-like headers: Resource-Identifier
(the machine identifier), Name and Port. A scan runs at start and every 10 minutes; each
server found starts (or updates, see the config flow) a discovery flow.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import discovery_flow
from homeassistant.helpers.event import async_track_time_interval

from .const import ATTR_MACHINE_IDENTIFIER, ATTR_NAME, DOMAIN, LOGGER

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

GDM_TARGETS: list[tuple[str, int]] = [("239.0.0.250", 32414)]
GDM_MESSAGE = b"M-SEARCH * HTTP/1.1\r\n\r\n"
SCAN_INTERVAL = timedelta(minutes=10)
SCAN_DURATION = 3.0  # seconds to collect answers


@dataclass(frozen=True)
class DiscoveredServer:
    """A server that answered."""

    machine_identifier: str
    name: str
    url: str


def parse_reply(data: bytes, host: str) -> DiscoveredServer | None:
    """A GDM answer from `host`; None unless it is a Plex Media Server's."""
    lines = data.decode("utf-8", "replace").splitlines()
    if not lines or " 200 " not in f"{lines[0]} ":
        return None
    headers = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    machine_identifier = headers.get("resource-identifier")
    if headers.get("content-type") != "plex/media-server" or not machine_identifier:
        return None
    port = headers.get("port", "32400")
    if not port.isdigit():
        return None
    address = f"[{host}]" if ":" in host else host
    return DiscoveredServer(
        machine_identifier=machine_identifier,
        name=headers.get("name") or machine_identifier,
        url=f"http://{address}:{port}",
    )


class _GDMProtocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.found: dict[str, DiscoveredServer] = {}

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if server := parse_reply(data, str(addr[0])):
            self.found.setdefault(server.machine_identifier, server)

    def error_received(self, exc: Exception) -> None:
        LOGGER.debug("GDM: %s", exc)


async def async_scan(
    targets: list[tuple[str, int]] | None = None, duration: float | None = None
) -> list[DiscoveredServer]:
    """Ask the network for Plex servers; the ones that answered within `duration`."""
    targets = GDM_TARGETS if targets is None else targets
    if not targets:  # discovery turned off (tests without sockets)
        return []
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        _GDMProtocol,
        local_addr=("0.0.0.0", 0),  # noqa: S104 (answers come back on every interface)
        allow_broadcast=True,
    )
    try:
        for target in targets:
            transport.sendto(GDM_MESSAGE, target)
        await asyncio.sleep(SCAN_DURATION if duration is None else duration)
    finally:
        transport.close()
    return list(protocol.found.values())


async def async_discover(hass: HomeAssistant) -> None:
    """One scan; a discovery flow for each server found. Never raises."""
    try:
        servers = await async_scan()
    except Exception as err:  # noqa: BLE001 (no network, or sockets refused: nothing found)
        LOGGER.debug("GDM scan failed: %s", err)
        return
    for server in servers:
        discovery_flow.async_create_flow(
            hass,
            DOMAIN,
            context={"source": SOURCE_INTEGRATION_DISCOVERY},
            data={
                ATTR_MACHINE_IDENTIFIER: server.machine_identifier,
                ATTR_NAME: server.name,
                CONF_URL: server.url,
            },
        )


@callback
def async_setup_discovery(hass: HomeAssistant) -> Callable[[], None]:
    """Scan now and every SCAN_INTERVAL; returns what stops the scans."""

    @callback
    def _scan(_now: datetime | None = None) -> None:
        hass.async_create_background_task(async_discover(hass), f"{DOMAIN} GDM scan")

    _scan()
    return async_track_time_interval(hass, _scan, SCAN_INTERVAL, cancel_on_shutdown=True)
