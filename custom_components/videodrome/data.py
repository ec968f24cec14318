"""What a loaded Videodrome config entry holds at run time (`entry.runtime_data`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .const import CONF_CLIENT_IDENTIFIER, VERSION
from .engine.availability import Availability
from .engine.plex.client import ClientInfo, PlexClient

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.core import HomeAssistant

    from .coordinator import PlexCoordinator
    from .runtime.ingest import IngestRuntime
    from .runtime.library import LibraryRuntime
    from .runtime.stash import StashRuntime
    from .runtime.watcher import WatcherRuntime


@dataclass(slots=True)
class VideodromeData:
    """The Plex client, the coordinator and (when configured) the ingest and Stash of a server."""

    client: PlexClient
    coordinator: PlexCoordinator
    library: LibraryRuntime
    ingest: IngestRuntime | None = None
    watcher: WatcherRuntime | None = None
    stash: StashRuntime | None = None


type VideodromeConfigEntry = ConfigEntry[VideodromeData]


def create_availability(service: str, entry: ConfigEntry[Any]) -> Availability:
    """An entry's tracker of whether `service` answers, on Home Assistant's clock."""
    return Availability(service, entry.title, clock=lambda: dt_util.utcnow().timestamp())


def create_plex_client(hass: HomeAssistant, data: Mapping[str, Any]) -> PlexClient:
    """A client for the server an entry (or a form) describes, on Home Assistant's session."""
    verify_ssl = bool(data.get(CONF_VERIFY_SSL, True))
    return PlexClient(
        url=data[CONF_URL],
        token=data[CONF_TOKEN],
        session=async_get_clientsession(hass, verify_ssl=verify_ssl),
        client=ClientInfo(identifier=data[CONF_CLIENT_IDENTIFIER], version=VERSION),
        verify_ssl=verify_ssl,
    )
