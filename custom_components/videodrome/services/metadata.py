"""`videodrome.refresh_metadata`: have Plex refresh one item's metadata, and answer what it is now.

The item is named by exactly one of `rating_key` (Plex's), `item_id` (a history item Plex
found) or `path` (a file in the library as Home Assistant sees it, checked like every path a
call names: inside the movies or TV folder and the allowlist; Videodrome's history is asked
first, then the library index). The refresh itself, and the wait for Plex's notifications that
it ended, are the engine's (engine/plex/refresh.py). Admin-only: it changes Plex's metadata.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
import probatio as vol

from ..call_targets import async_checked_path, ingest_runtime, loaded_entry
from ..const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_ITEM_ID,
    ATTR_PATH,
    ATTR_RATING_KEY,
    CONF_PATH_MAP,
    SERVICE_REFRESH_METADATA,
)
from ..engine.plex.errors import PlexNotFoundError
from ..engine.plex.refresh import DEFAULT_WAIT, refresh_metadata
from ..engine.plex.scan import PathMap
from ..permissions import async_register_service
from .errors import translated_errors, validation_error
from .fields import ENTRY, ID, PATH

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..data import VideodromeConfigEntry
    from ..engine.library.records import Snapshot
    from ..engine.plex.notifications import Notification

# Without Plex's notifications (its websocket is down) nothing can say the refresh ended:
# the answer is what Plex has after this many seconds.
WAIT_WITHOUT_NOTIFICATIONS: Final = 5.0

REFRESH_METADATA_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Exclusive(ATTR_PATH, "which"): PATH,
        vol.Exclusive(ATTR_RATING_KEY, "which"): ID,
        vol.Exclusive(ATTR_ITEM_ID, "which"): ID,
    }
)


def async_setup_metadata_services(hass: HomeAssistant) -> None:
    """Register `refresh_metadata` (admin-only)."""
    async_register_service(
        hass,
        SERVICE_REFRESH_METADATA,
        _refresh_metadata,
        REFRESH_METADATA_SCHEMA,
        SupportsResponse.OPTIONAL,
        admin=True,
    )


async def _refresh_metadata(call: ServiceCall) -> ServiceResponse:
    entry = loaded_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    rating_key = await _rating_key(call, entry)
    coordinator = entry.runtime_data.coordinator
    listeners = coordinator.notification_listeners

    def subscribe(listener: Callable[[Notification], None]) -> Callable[[], None]:
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    listening = coordinator.listener is not None and coordinator.listener.connected
    with translated_errors(call.hass, "refresh_failed"):
        try:
            refreshed = await refresh_metadata(
                entry.runtime_data.client,
                rating_key,
                subscribe,
                wait=DEFAULT_WAIT if listening else WAIT_WITHOUT_NOTIFICATIONS,
            )
        except PlexNotFoundError as err:
            raise validation_error("plex_item_not_found", rating_key=str(rating_key)) from err
    return refreshed.as_json()


async def _rating_key(call: ServiceCall, entry: VideodromeConfigEntry) -> int:
    """Plex's key of the item the call names."""
    data = call.data
    if ATTR_RATING_KEY in data:
        return int(data[ATTR_RATING_KEY])
    if ATTR_ITEM_ID not in data and ATTR_PATH not in data:
        raise validation_error("refresh_target_required")
    runtime = ingest_runtime(call.hass, entry.entry_id)
    store = runtime.store
    if ATTR_ITEM_ID in data:
        item_id = int(data[ATTR_ITEM_ID])
        item = await call.hass.async_add_executor_job(store.get_item, item_id)
        if item is None:
            raise validation_error("item_not_found", item_id=str(item_id))
        if item.plex_rating_key is None or not item.plex_rating_key.isdigit():
            raise validation_error("item_not_in_plex", item_id=str(item_id))
        return int(item.plex_rating_key)
    raw = str(data[ATTR_PATH])
    settings = runtime.settings
    roots = (settings.movies_root, settings.tv_root)
    path = await async_checked_path(call.hass, raw, roots, library=True)
    wanted = {raw, str(path)}
    filed = await call.hass.async_add_executor_job(
        lambda: store.filed(file_name=path.name, limit=100)
    )
    for item in filed:
        if item.destination in wanted and (key := item.plex_rating_key) and key.isdigit():
            return int(key)
    index = entry.runtime_data.library.index
    pairs = tuple((str(a), str(b)) for a, b in entry.options.get(CONF_PATH_MAP) or ())
    if index.loaded:
        snapshot = index.snapshot
        found = await call.hass.async_add_executor_job(
            _indexed_key, snapshot, PathMap(pairs), wanted
        )
        if found is not None:
            return found
    raise validation_error("path_not_in_plex", path=raw)


def _indexed_key(snapshot: Snapshot, path_map: PathMap, wanted: set[str]) -> int | None:
    """The movie or episode whose file (as Plex sees it) is one of `wanted` (as we see it)."""

    def ours(file: str) -> str | None:
        local = path_map.to_local(file)
        return str(local) if local is not None else None

    for item in snapshot.items.values():
        if any(ours(file) in wanted for file in item.files):
            return item.rating_key
    for episode in snapshot.episodes.values():
        if episode.file and ours(episode.file) in wanted:
            return episode.rating_key
    return None
