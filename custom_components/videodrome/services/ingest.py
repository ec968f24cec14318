"""Ingest service actions: ingest, plan, identify, history.

Every path a call names is checked before anything reads it (call_targets.py); the engine's
errors become translated Home Assistant errors (errors.py). `plan` and `identify` answer for
every video of a folder, at most `MAX_VIDEOS` of them (their answer lists each). `ingest` and
`plan` follow the auto-ingest switch unless the call says `auto`, and decide with the
entry's threshold unless the call gives its own `threshold`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
import probatio as vol

from ..call_targets import async_checked_path, ingest_runtime, loaded_entry
from ..const import (
    ATTR_AUTO,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DRY_RUN,
    ATTR_LIMIT,
    ATTR_NAME,
    ATTR_PATH,
    ATTR_QUERY,
    ATTR_STATUS,
    ATTR_THRESHOLD,
    SERVICE_HISTORY,
    SERVICE_IDENTIFY,
    SERVICE_INGEST,
    SERVICE_PLAN,
)
from ..engine.identify.score import Thresholds
from ..engine.ingest.plan import quality_report
from ..engine.ingest.sources import source_file
from ..engine.store.items import ItemStatus
from ..permissions import async_register_service
from .errors import translated_errors, validation_error
from .fields import ENTRY, MAX_PATH, PATH, THRESHOLD

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from pathlib import Path

    from ..data import VideodromeConfigEntry
    from ..engine.ingest.sources import SourceFile
    from ..runtime.ingest import IngestRuntime

    type Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]

# The most videos of one folder that `plan` and `identify` answer for in one call.
MAX_VIDEOS: Final = 500

DECIDING: Final = {vol.Optional(ATTR_THRESHOLD): THRESHOLD, vol.Optional(ATTR_AUTO): bool}
INGEST_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Required(ATTR_PATH): PATH,
        vol.Optional(ATTR_DRY_RUN, default=False): bool,
        **DECIDING,
    }
)
PLAN_SCHEMA = vol.Schema({**ENTRY, vol.Required(ATTR_PATH): PATH, **DECIDING})
IDENTIFY_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Exclusive(ATTR_PATH, "what"): PATH,
        vol.Exclusive(ATTR_NAME, "what"): vol.All(cv.string, vol.Length(min=1, max=MAX_PATH)),
    }
)
HISTORY_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Optional(ATTR_STATUS): vol.In([status.value for status in ItemStatus]),
        vol.Optional(ATTR_QUERY): vol.All(cv.string, vol.Length(max=200)),
        vol.Optional(ATTR_LIMIT, default=50): vol.All(vol.Coerce(int), vol.Range(min=1, max=1000)),
    }
)


def async_setup_ingest_services(hass: HomeAssistant) -> None:
    """Register the ingest services; `ingest` changes files and is admin-only.

    `plan` is its dry run for everyone.
    """
    table: tuple[tuple[str, vol.Schema, Handler, SupportsResponse, bool], ...] = (
        (SERVICE_INGEST, INGEST_SCHEMA, _ingest, SupportsResponse.OPTIONAL, True),
        (SERVICE_PLAN, PLAN_SCHEMA, _plan, SupportsResponse.ONLY, False),
        (SERVICE_IDENTIFY, IDENTIFY_SCHEMA, _identify, SupportsResponse.ONLY, False),
        (SERVICE_HISTORY, HISTORY_SCHEMA, _history, SupportsResponse.ONLY, False),
    )
    for name, schema, handler, response, admin in table:
        async_register_service(hass, name, handler, schema, response, admin=admin)


def _entry_and_runtime(call: ServiceCall) -> tuple[VideodromeConfigEntry, IngestRuntime]:
    entry = loaded_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    return entry, ingest_runtime(call.hass, entry.entry_id)


def _runtime(call: ServiceCall) -> IngestRuntime:
    return ingest_runtime(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))


async def _path(call: ServiceCall, runtime: IngestRuntime) -> Path:
    raw = str(call.data[ATTR_PATH])
    return await async_checked_path(call.hass, raw, runtime.settings.ingest_folders)


def _deciding(call: ServiceCall, entry: VideodromeConfigEntry) -> dict[str, Any]:
    """`auto` and `thresholds` for the engine: the call's, else the switch's and the entry's."""
    auto = call.data.get(ATTR_AUTO)
    if auto is None:
        watcher = entry.runtime_data.watcher
        auto = watcher.auto_ingest if watcher is not None else True
    threshold = call.data.get(ATTR_THRESHOLD)
    return {
        "auto": bool(auto),
        "thresholds": Thresholds.for_auto(float(threshold)) if threshold is not None else None,
    }


async def _videos(call: ServiceCall, runtime: IngestRuntime, path: Path) -> list[SourceFile]:
    """The videos at `path`; refused when a folder holds more than `MAX_VIDEOS`."""
    with translated_errors(call.hass, "identify_failed", path=str(call.data[ATTR_PATH])):
        found = await runtime.service.pipeline.sources(path)
    if len(found) > MAX_VIDEOS:
        raise validation_error(
            "too_many_videos",
            path=str(call.data[ATTR_PATH]),
            count=str(len(found)),
            limit=str(MAX_VIDEOS),
        )
    return found


async def _ingest(call: ServiceCall) -> ServiceResponse:
    entry, runtime = _entry_and_runtime(call)
    path = await _path(call, runtime)
    dry_run = bool(call.data[ATTR_DRY_RUN])
    with translated_errors(call.hass, "ingest_failed", entry_id=runtime.entry_id, path=str(path)):
        outcomes = await runtime.service.ingest(path, dry_run=dry_run, **_deciding(call, entry))
    return {"results": [outcome.as_json() for outcome in outcomes]}


async def _plan(call: ServiceCall) -> ServiceResponse:
    entry, runtime = _entry_and_runtime(call)
    path = await _path(call, runtime)
    await _videos(call, runtime, path)  # a folder too large is refused before any is read
    with translated_errors(call.hass, "ingest_failed", entry_id=runtime.entry_id, path=str(path)):
        planned = await runtime.service.plan(path, **_deciding(call, entry))
    return {"results": [p.as_json() for p in planned]}


async def _identify(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    pipeline = runtime.service.pipeline
    if ATTR_PATH in call.data:
        path = await _path(call, runtime)
        if await call.hass.async_add_executor_job(path.is_dir):
            videos = await _videos(call, runtime, path)
            with translated_errors(call.hass, "identify_failed", entry_id=runtime.entry_id):
                found = [(await pipeline.plan_file(video)).found for video in videos]
            return {"results": [f.as_json() for f in found]}
        with translated_errors(call.hass, "identify_failed", entry_id=runtime.entry_id):
            source = await call.hass.async_add_executor_job(source_file, path)
            planned = await pipeline.plan_file(source)
        # With Plex's copy's quality and the decision when Plex already has it (versions.py).
        return {**planned.found.as_json(), "quality": planned.as_json()["quality"]}
    if ATTR_NAME not in call.data:
        raise validation_error("path_or_name_required")
    with translated_errors(call.hass, "identify_failed", entry_id=runtime.entry_id):
        identified = await pipeline.identifier.identify(str(call.data[ATTR_NAME]))
    return {**identified.as_json(), "quality": quality_report(identified.path, None)}


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
