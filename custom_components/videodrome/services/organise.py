"""Organise service actions: rename a library folder's files in place to Plex's names; undo.

Both are admin-only, `organise`'s dry run included (it reads the whole library).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
import probatio as vol

from ..call_targets import async_checked_path, ingest_runtime
from ..const import (
    ATTR_BATCH,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DRY_RUN,
    ATTR_ITEM_ID,
    ATTR_PATH,
    SERVICE_ORGANISE,
    SERVICE_UNDO,
)
from ..engine.errors import VideodromeError
from ..permissions import async_register_service
from .errors import translated_errors, validation_error
from .fields import ENTRY, ID, PATH

if TYPE_CHECKING:
    from ..engine.ingest.organise import Organiser
    from ..runtime.ingest import IngestRuntime

ORGANISE_SCHEMA = vol.Schema(
    {**ENTRY, vol.Required(ATTR_PATH): PATH, vol.Optional(ATTR_DRY_RUN, default=True): bool}
)
UNDO_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Exclusive(ATTR_ITEM_ID, "which"): ID,
        vol.Exclusive(ATTR_BATCH, "which"): vol.All(
            cv.string, vol.Match(r"^organise:[0-9a-f]{1,32}$")
        ),
    }
)


def async_setup_organise_services(hass: HomeAssistant) -> None:
    """Register `organise` and `undo` (admin-only)."""
    async_register_service(
        hass, SERVICE_ORGANISE, _organise, ORGANISE_SCHEMA, SupportsResponse.OPTIONAL, admin=True
    )
    async_register_service(
        hass, SERVICE_UNDO, _undo, UNDO_SCHEMA, SupportsResponse.OPTIONAL, admin=True
    )


def _organiser(call: ServiceCall) -> tuple[IngestRuntime, Organiser]:
    runtime = ingest_runtime(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    organiser = runtime.service.organiser
    assert organiser is not None  # noqa: S101 (the runtime always makes one)
    return runtime, organiser


async def _organise(call: ServiceCall) -> ServiceResponse:
    runtime, organiser = _organiser(call)
    raw = str(call.data[ATTR_PATH])
    settings = runtime.settings
    roots = (settings.movies_root, settings.tv_root)
    path = await async_checked_path(call.hass, raw, roots, library=True)
    with translated_errors(call.hass, "ingest_failed", entry_id=runtime.entry_id, path=raw):
        results = await organiser.organise(path, dry_run=bool(call.data[ATTR_DRY_RUN]))
    batches = {r.item.batch for r in results if r.item is not None and r.item.batch}
    return {"batch": next(iter(batches), None), "results": [r.as_json() for r in results]}


async def _undo(call: ServiceCall) -> ServiceResponse:
    _runtime, organiser = _organiser(call)
    if ATTR_ITEM_ID not in call.data and ATTR_BATCH not in call.data:
        raise validation_error("item_or_batch_required")
    # What cannot be undone (nothing matches, no longer organised) is the caller's to fix.
    with translated_errors(call.hass, "ingest_failed", refused=VideodromeError):
        items = await organiser.undo(
            item_id=call.data.get(ATTR_ITEM_ID), batch=call.data.get(ATTR_BATCH)
        )
    return {"items": [item.as_dict() for item in items]}
