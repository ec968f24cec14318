"""Review service actions: approve or reject a queued item, named by its id or its file.

Both are admin-only. `path` is the queued file as Home Assistant sees it (inside an ingest
folder, or a library folder for a file `organise` queued), checked like every path a call
names (call_targets.py) before the store is asked which item waits for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
import probatio as vol

from ..call_targets import async_checked_path, ingest_runtime
from ..const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_EPISODES,
    ATTR_ITEM_ID,
    ATTR_MEDIA_TYPE,
    ATTR_PATH,
    ATTR_SEASON,
    ATTR_TMDB_ID,
    SERVICE_APPROVE,
    SERVICE_REJECT,
)
from ..permissions import async_register_service
from .errors import translated_errors, validation_error
from .fields import ENTRY, ID, PATH

if TYPE_CHECKING:
    from ..engine.store.items import Item
    from ..runtime.ingest import IngestRuntime

WHICH = {vol.Exclusive(ATTR_ITEM_ID, "which"): ID, vol.Exclusive(ATTR_PATH, "which"): PATH}
APPROVE_SCHEMA = vol.Schema(
    {
        **ENTRY,
        **WHICH,
        vol.Optional(ATTR_TMDB_ID): ID,
        vol.Optional(ATTR_MEDIA_TYPE): vol.In(["movie", "tv"]),
        vol.Optional(ATTR_SEASON): vol.All(vol.Coerce(int), vol.Range(min=0, max=9999)),
        vol.Optional(ATTR_EPISODES): vol.All(
            cv.ensure_list, [vol.All(vol.Coerce(int), vol.Range(min=0, max=99999))]
        ),
    }
)
REJECT_SCHEMA = vol.Schema({**ENTRY, **WHICH})


def async_setup_review_services(hass: HomeAssistant) -> None:
    """Register `approve` and `reject` (admin-only)."""
    async_register_service(
        hass, SERVICE_APPROVE, _approve, APPROVE_SCHEMA, SupportsResponse.OPTIONAL, admin=True
    )
    async_register_service(
        hass, SERVICE_REJECT, _reject, REJECT_SCHEMA, SupportsResponse.OPTIONAL, admin=True
    )


async def _queued_id(call: ServiceCall, runtime: IngestRuntime) -> int:
    """The id the call names, or the id of the item that waits for review at its `path`."""
    if ATTR_ITEM_ID in call.data:
        return int(call.data[ATTR_ITEM_ID])
    if ATTR_PATH not in call.data:
        raise validation_error("item_or_path_required")
    raw = str(call.data[ATTR_PATH])
    settings = runtime.settings
    folders = (*settings.ingest_folders, settings.movies_root, settings.tv_root)
    path = await async_checked_path(call.hass, raw, folders)
    store = runtime.store

    def queued() -> Item | None:
        # The store has the path as the watcher or the call that queued it named it: through
        # the configured folder, or resolved.
        return store.review_item(str(path)) or store.review_item(raw)

    item = await call.hass.async_add_executor_job(queued)
    if item is None:
        raise validation_error("path_not_queued", path=raw)
    return item.id


async def _approve(call: ServiceCall) -> ServiceResponse:
    runtime = ingest_runtime(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    item_id = await _queued_id(call, runtime)
    episodes = call.data.get(ATTR_EPISODES)
    # A rejected TMDb key leaves the item in the queue.
    with translated_errors(call.hass, "ingest_failed", entry_id=runtime.entry_id):
        outcome = await runtime.service.approve(
            item_id,
            tmdb_id=call.data.get(ATTR_TMDB_ID),
            media_type=call.data.get(ATTR_MEDIA_TYPE),
            season=call.data.get(ATTR_SEASON),
            episodes=tuple(episodes) if episodes else None,
        )
    return outcome.as_json()


async def _reject(call: ServiceCall) -> ServiceResponse:
    runtime = ingest_runtime(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    item_id = await _queued_id(call, runtime)
    with translated_errors(call.hass, "ingest_failed", entry_id=runtime.entry_id):
        item = await runtime.service.reject(item_id)
    return item.as_dict()
