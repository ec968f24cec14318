"""When Plex answers again, ingest does what it owes Plex (engine/ingest/catch_up.py).

Files held while Plex's library was unread, and files Plex was not asked about, are taken up
after each load of the library index that reached Plex, and whenever Plex answers again after
an outage (the client's `Availability`). Each run goes in the background; a run asked for
while one is under way makes it go round once more.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback

from ..const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from ..engine.availability import Availability
    from ..engine.ingest.catch_up import PlexCatchUp
    from .ingest import IngestRuntime
    from .library import LibraryRuntime

_LOGGER = logging.getLogger(__name__)


@callback
def async_catch_up_with_plex(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    ingest: IngestRuntime,
    library: LibraryRuntime,
    availability: Availability | None,
) -> None:
    """Run the ingest's catch-up after each library load and each return of Plex (until unload)."""
    catch_up = ingest.service.catch_up
    if catch_up is None:  # pragma: no cover - the integration always gives ingest its Plex
        return

    @callback
    def run() -> None:
        if not library.server_known:
            return  # set up while Plex was away, and not seen since: maybe not the same server
        entry.async_create_background_task(
            hass, _async_run(catch_up), f"{DOMAIN} catch up with Plex {entry.title}"
        )

    @callback
    def on_availability(available: bool) -> None:
        if available:
            run()

    library.loaded_listeners.append(run)
    entry.async_on_unload(lambda: library.loaded_listeners.remove(run))
    if availability is not None:
        availability.listeners.append(on_availability)
        entry.async_on_unload(lambda: availability.listeners.remove(on_availability))


async def _async_run(catch_up: PlexCatchUp) -> None:
    try:
        result = await catch_up.run()
    except Exception:  # a surprise in one file must not end the catch-ups to come
        _LOGGER.exception("Unexpected error while catching up with Plex")
        return
    _LOGGER.debug("Caught up with Plex: %s", result)
