"""Ingest service actions: ingest, plan, identify, approve, reject, history.

Every path a call names is checked before anything reads it (call_targets.py); the engine's
errors become translated Home Assistant errors (errors.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
import probatio as vol

from ..call_targets import async_checked_path, ingest_runtime
from ..const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DRY_RUN,
    ATTR_EPISODES,
    ATTR_ITEM_ID,
    ATTR_LIMIT,
    ATTR_MEDIA_TYPE,
    ATTR_NAME,
    ATTR_PATH,
    ATTR_QUERY,
    ATTR_SEASON,
    ATTR_STATUS,
    ATTR_TMDB_ID,
    SERVICE_APPROVE,
    SERVICE_HISTORY,
    SERVICE_IDENTIFY,
    SERVICE_INGEST,
    SERVICE_PLAN,
    SERVICE_REJECT,
)
from ..engine.ingest.sources import source_file
from ..engine.store.items import ItemStatus
from ..permissions import async_register_service
from .errors import translated_errors, validation_error
from .fields import ENTRY, ID, MAX_PATH, PATH

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from pathlib import Path

    from ..runtime.ingest import IngestRuntime

    type Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]

INGEST_SCHEMA = vol.Schema(
    {**ENTRY, vol.Required(ATTR_PATH): PATH, vol.Optional(ATTR_DRY_RUN, default=False): bool}
)
PLAN_SCHEMA = vol.Schema({**ENTRY, vol.Required(ATTR_PATH): PATH})
IDENTIFY_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Exclusive(ATTR_PATH, "what"): PATH,
        vol.Exclusive(ATTR_NAME, "what"): vol.All(cv.string, vol.Length(min=1, max=MAX_PATH)),
    }
)
APPROVE_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Required(ATTR_ITEM_ID): ID,
        vol.Optional(ATTR_TMDB_ID): ID,
        vol.Optional(ATTR_MEDIA_TYPE): vol.In(["movie", "tv"]),
        vol.Optional(ATTR_SEASON): vol.All(vol.Coerce(int), vol.Range(min=0, max=9999)),
        vol.Optional(ATTR_EPISODES): vol.All(
            cv.ensure_list, [vol.All(vol.Coerce(int), vol.Range(min=0, max=99999))]
        ),
    }
)
REJECT_SCHEMA = vol.Schema({**ENTRY, vol.Required(ATTR_ITEM_ID): ID})
HISTORY_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Optional(ATTR_STATUS): vol.In([status.value for status in ItemStatus]),
        vol.Optional(ATTR_QUERY): vol.All(cv.string, vol.Length(max=200)),
        vol.Optional(ATTR_LIMIT, default=50): vol.All(vol.Coerce(int), vol.Range(min=1, max=1000)),
    }
)


def async_setup_ingest_services(hass: HomeAssistant) -> None:
    """Register the ingest services; those that change files or the store are admin-only.

    `ingest` is (`plan` is its dry run for everyone).
    """
    table: tuple[tuple[str, vol.Schema, Handler, SupportsResponse, bool], ...] = (
        (SERVICE_INGEST, INGEST_SCHEMA, _ingest, SupportsResponse.OPTIONAL, True),
        (SERVICE_PLAN, PLAN_SCHEMA, _plan, SupportsResponse.ONLY, False),
        (SERVICE_IDENTIFY, IDENTIFY_SCHEMA, _identify, SupportsResponse.ONLY, False),
        (SERVICE_APPROVE, APPROVE_SCHEMA, _approve, SupportsResponse.OPTIONAL, True),
        (SERVICE_REJECT, REJECT_SCHEMA, _reject, SupportsResponse.OPTIONAL, True),
        (SERVICE_HISTORY, HISTORY_SCHEMA, _history, SupportsResponse.ONLY, False),
    )
    for name, schema, handler, response, admin in table:
        async_register_service(hass, name, handler, schema, response, admin=admin)


def _runtime(call: ServiceCall) -> IngestRuntime:
    return ingest_runtime(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))


async def _path(call: ServiceCall, runtime: IngestRuntime) -> Path:
    raw = str(call.data[ATTR_PATH])
    return await async_checked_path(call.hass, raw, runtime.settings.ingest_folders)


async def _ingest(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    path = await _path(call, runtime)
    dry_run = bool(call.data[ATTR_DRY_RUN])
    with translated_errors(call.hass, "ingest_failed", entry_id=runtime.entry_id, path=str(path)):
        outcomes = await runtime.service.ingest(path, dry_run=dry_run)
    return {"results": [outcome.as_json() for outcome in outcomes]}


async def _plan(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    path = await _path(call, runtime)
    with translated_errors(call.hass, "ingest_failed", entry_id=runtime.entry_id, path=str(path)):
        planned = await runtime.service.plan(path)
    return {"results": [p.as_json() for p in planned]}


async def _identify(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    if ATTR_PATH in call.data:
        path = await _path(call, runtime)
        with translated_errors(call.hass, "identify_failed", entry_id=runtime.entry_id):
            source = await call.hass.async_add_executor_job(source_file, path)
            planned = await runtime.service.pipeline.plan_file(source)
        return planned.found.as_json()
    if ATTR_NAME not in call.data:
        raise validation_error("path_or_name_required")
    identifier = runtime.service.pipeline.identifier
    with translated_errors(call.hass, "identify_failed", entry_id=runtime.entry_id):
        found = await identifier.identify(str(call.data[ATTR_NAME]))
    return found.as_json()


async def _approve(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    episodes = call.data.get(ATTR_EPISODES)
    # A rejected TMDb key leaves the item in the queue.
    with translated_errors(call.hass, "ingest_failed", entry_id=runtime.entry_id):
        outcome = await runtime.service.approve(
            call.data[ATTR_ITEM_ID],
            tmdb_id=call.data.get(ATTR_TMDB_ID),
            media_type=call.data.get(ATTR_MEDIA_TYPE),
            season=call.data.get(ATTR_SEASON),
            episodes=tuple(episodes) if episodes else None,
        )
    return outcome.as_json()


async def _reject(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    with translated_errors(call.hass, "ingest_failed", entry_id=runtime.entry_id):
        item = await runtime.service.reject(call.data[ATTR_ITEM_ID])
    return item.as_dict()


async def _history(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    store = runtime.store
    items = await call.hass.async_add_executor_job(
        lambda: store.history(
            status=call.data.get(ATTR_STATUS),
            query=call.data.get(ATTR_QUERY),
            limit=int(call.data[ATTR_LIMIT]),
        )
    )
    counts: dict[str, Any] = await call.hass.async_add_executor_job(store.counts)
    return {"items": [item.as_dict() for item in items], "counts": counts}
