"""Ingest service actions: ingest, plan, identify, approve, reject, history.

Every path a call names is checked before anything reads it: absolute, no `..`, existing,
inside one of the entry's ingest folders once symbolic links are resolved (a link that
escapes is refused), and inside Home Assistant's `allowlist_external_dirs`. Input at fault
raises `ServiceValidationError`; Plex, TMDb or the disk failing raises `HomeAssistantError`;
both translated.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio as vol

from .. import issues
from ..const import ATTR_CONFIG_ENTRY_ID, ATTR_PATH, DOMAIN
from ..engine.errors import UnsafePathError, VideodromeError
from ..engine.ingest.service import ReviewError
from ..engine.ingest.sources import source_file
from ..engine.tmdb.errors import TMDbAuthError
from ..permissions import async_register_service

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from ..runtime.ingest import IngestRuntime

    type Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]

SERVICE_INGEST = "ingest"
SERVICE_PLAN = "plan"
SERVICE_IDENTIFY = "identify"
SERVICE_APPROVE = "approve"
SERVICE_REJECT = "reject"
SERVICE_HISTORY = "history"
SERVICE_ORGANISE = "organise"
SERVICE_UNDO = "undo"
ATTR_BATCH = "batch"
ATTR_DRY_RUN = "dry_run"
ATTR_NAME = "name"
ATTR_ITEM_ID = "item_id"
ATTR_TMDB_ID = "tmdb_id"
ATTR_MEDIA_TYPE = "media_type"
ATTR_SEASON = "season"
ATTR_EPISODES = "episodes"
ATTR_STATUS = "status"
ATTR_QUERY = "query"
ATTR_LIMIT = "limit"
MAX_PATH = 4096

_ENTRY = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
# Ids are stored as SQLite integers (signed 64-bit): a larger number is refused by the schema.
MAX_ID = 2**63 - 1
_ID = vol.All(cv.positive_int, vol.Range(max=MAX_ID))
_PATH = vol.All(cv.string, vol.Length(min=1, max=MAX_PATH))
INGEST_SCHEMA = vol.Schema(
    {**_ENTRY, vol.Required(ATTR_PATH): _PATH, vol.Optional(ATTR_DRY_RUN, default=False): bool}
)
PLAN_SCHEMA = vol.Schema({**_ENTRY, vol.Required(ATTR_PATH): _PATH})
IDENTIFY_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Exclusive(ATTR_PATH, "what"): _PATH,
        vol.Exclusive(ATTR_NAME, "what"): vol.All(cv.string, vol.Length(min=1, max=MAX_PATH)),
    }
)
APPROVE_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required(ATTR_ITEM_ID): _ID,
        vol.Optional(ATTR_TMDB_ID): _ID,
        vol.Optional(ATTR_MEDIA_TYPE): vol.In(["movie", "tv"]),
        vol.Optional(ATTR_SEASON): vol.All(vol.Coerce(int), vol.Range(min=0, max=9999)),
        vol.Optional(ATTR_EPISODES): vol.All(
            cv.ensure_list, [vol.All(vol.Coerce(int), vol.Range(min=0, max=99999))]
        ),
    }
)
ORGANISE_SCHEMA = vol.Schema(
    {**_ENTRY, vol.Required(ATTR_PATH): _PATH, vol.Optional(ATTR_DRY_RUN, default=True): bool}
)
UNDO_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Exclusive(ATTR_ITEM_ID, "which"): _ID,
        vol.Exclusive(ATTR_BATCH, "which"): vol.All(
            cv.string, vol.Match(r"^organise:[0-9a-f]{1,32}$")
        ),
    }
)
REJECT_SCHEMA = vol.Schema({**_ENTRY, vol.Required(ATTR_ITEM_ID): _ID})
HISTORY_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Optional(ATTR_STATUS): vol.In(
            [
                "pending",
                "review",
                "transferring",
                "ingested",
                "skipped",
                "rejected",
                "failed",
                "organised",
                "undone",
            ]
        ),
        vol.Optional(ATTR_QUERY): vol.All(cv.string, vol.Length(max=200)),
        vol.Optional(ATTR_LIMIT, default=50): vol.All(vol.Coerce(int), vol.Range(min=1, max=1000)),
    }
)


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _failure(key: str, err: Exception) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders={"error": str(err)}
    )


def async_setup_ingest_services(hass: HomeAssistant) -> None:
    """Register the ingest services; those that change files or the store are admin-only.

    `organise` is, dry run included (it reads the whole library), and `ingest` too (`plan`
    is its dry run for everyone).
    """
    table: tuple[tuple[str, vol.Schema, Handler, SupportsResponse, bool], ...] = (
        (SERVICE_INGEST, INGEST_SCHEMA, _ingest, SupportsResponse.OPTIONAL, True),
        (SERVICE_PLAN, PLAN_SCHEMA, _plan, SupportsResponse.ONLY, False),
        (SERVICE_IDENTIFY, IDENTIFY_SCHEMA, _identify, SupportsResponse.ONLY, False),
        (SERVICE_APPROVE, APPROVE_SCHEMA, _approve, SupportsResponse.OPTIONAL, True),
        (SERVICE_REJECT, REJECT_SCHEMA, _reject, SupportsResponse.OPTIONAL, True),
        (SERVICE_HISTORY, HISTORY_SCHEMA, _history, SupportsResponse.ONLY, False),
        (SERVICE_ORGANISE, ORGANISE_SCHEMA, _organise, SupportsResponse.OPTIONAL, True),
        (SERVICE_UNDO, UNDO_SCHEMA, _undo, SupportsResponse.OPTIONAL, True),
    )
    for name, schema, handler, response, admin in table:
        async_register_service(hass, name, handler, schema, response, admin=admin)


def _runtime(call: ServiceCall) -> IngestRuntime:
    from .scan import loaded_entry  # noqa: PLC0415 (services imports this module)

    entry = loaded_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    runtime = entry.runtime_data.ingest
    if runtime is None:
        raise _error("ingest_not_configured", name=entry.title)
    return runtime


def _checked(
    hass: HomeAssistant, runtime: IngestRuntime, raw: str, *, library: bool = False
) -> Path:
    """Resolve a path from a call; refuse it outside the ingest (or library) folders.

    Blocking: it resolves links and checks access on disk.
    """
    if "\x00" in raw or any(ord(ch) < 0x20 for ch in raw):  # noqa: PLR2004 (control chars)
        raise _error("invalid_path", path=repr(raw), reason="control characters")
    if any("\ud800" <= ch <= "\udfff" for ch in raw):  # undecodable bytes (surrogateescape)
        raise _error("invalid_path", path=ascii(raw), reason="not valid UTF-8")
    path = Path(raw)
    if not path.is_absolute() or ".." in path.parts:
        raise _error("invalid_path", path=raw, reason="it must be absolute, without '..'")
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError, NotADirectoryError:
        raise _error("path_not_found", path=raw) from None
    except (OSError, RuntimeError) as err:  # a symlink loop, a permission problem
        raise _error("invalid_path", path=raw, reason=str(err)) from err
    settings = runtime.settings
    roots = (settings.movies_root, settings.tv_root) if library else settings.ingest_folders
    folders = [f.resolve() for f in roots]
    if not any(resolved == f or resolved.is_relative_to(f) for f in folders):
        listed = ", ".join(map(str, folders)) or "-"
        if library:
            raise _error("path_outside_library", path=raw, folders=listed)
        raise _error("path_outside_ingest", path=raw, folders=listed)
    if not hass.config.is_allowed_path(str(resolved)):
        raise _error("path_not_allowed", path=raw)
    if not os.access(resolved, os.R_OK):
        raise _error("invalid_path", path=raw, reason="not readable")
    return resolved


async def _path(call: ServiceCall, runtime: IngestRuntime) -> Path:
    raw = str(call.data[ATTR_PATH])
    return await call.hass.async_add_executor_job(_checked, call.hass, runtime, raw)


async def _ingest(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    path = await _path(call, runtime)
    try:
        outcomes = await runtime.service.ingest(path, dry_run=bool(call.data[ATTR_DRY_RUN]))
    except UnsafePathError as err:
        raise _error("invalid_path", path=str(path), reason=str(err)) from err
    except TMDbAuthError as err:
        issues.report(call.hass, issues.ISSUE_TMDB_KEY, runtime.entry_id)
        raise _failure("ingest_failed", err) from err
    except VideodromeError as err:
        raise _failure("ingest_failed", err) from err
    return {"results": [outcome.as_json() for outcome in outcomes]}


async def _plan(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    path = await _path(call, runtime)
    try:
        planned = await runtime.service.plan(path)
    except UnsafePathError as err:
        raise _error("invalid_path", path=str(path), reason=str(err)) from err
    except TMDbAuthError as err:
        issues.report(call.hass, issues.ISSUE_TMDB_KEY, runtime.entry_id)
        raise _failure("ingest_failed", err) from err
    except VideodromeError as err:
        raise _failure("ingest_failed", err) from err
    return {"results": [p.as_json() for p in planned]}


async def _identify(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    if ATTR_PATH in call.data:
        path = await _path(call, runtime)
        try:
            source = await call.hass.async_add_executor_job(source_file, path)
            planned = await runtime.service.pipeline.plan_file(source)
        except TMDbAuthError as err:
            issues.report(call.hass, issues.ISSUE_TMDB_KEY, runtime.entry_id)
            raise _failure("identify_failed", err) from err
        except VideodromeError as err:
            raise _failure("identify_failed", err) from err
        return planned.found.as_json()
    if ATTR_NAME not in call.data:
        raise _error("path_or_name_required")
    identifier = runtime.service.pipeline.identifier
    try:
        found = await identifier.identify(str(call.data[ATTR_NAME]))
    except TMDbAuthError as err:
        issues.report(call.hass, issues.ISSUE_TMDB_KEY, runtime.entry_id)
        raise _failure("identify_failed", err) from err
    return found.as_json()


async def _approve(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    episodes = call.data.get(ATTR_EPISODES)
    try:
        outcome = await runtime.service.approve(
            call.data[ATTR_ITEM_ID],
            tmdb_id=call.data.get(ATTR_TMDB_ID),
            media_type=call.data.get(ATTR_MEDIA_TYPE),
            season=call.data.get(ATTR_SEASON),
            episodes=tuple(episodes) if episodes else None,
        )
    except ReviewError as err:
        raise _error("review_refused", error=str(err)) from err
    except TMDbAuthError as err:  # the item stays in the queue
        issues.report(call.hass, issues.ISSUE_TMDB_KEY, runtime.entry_id)
        raise _failure("ingest_failed", err) from err
    except (VideodromeError, OSError) as err:
        raise _failure("ingest_failed", err) from err
    return outcome.as_json()


async def _reject(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    try:
        item = await runtime.service.reject(call.data[ATTR_ITEM_ID])
    except ReviewError as err:
        raise _error("review_refused", error=str(err)) from err
    return item.as_dict()


async def _organise(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    organiser = runtime.service.organiser
    assert organiser is not None  # noqa: S101 (the runtime always makes one)
    raw = str(call.data[ATTR_PATH])
    path = await call.hass.async_add_executor_job(
        lambda: _checked(call.hass, runtime, raw, library=True)
    )
    try:
        results = await organiser.organise(path, dry_run=bool(call.data[ATTR_DRY_RUN]))
    except UnsafePathError as err:
        raise _error("invalid_path", path=raw, reason=str(err)) from err
    except VideodromeError as err:
        raise _failure("ingest_failed", err) from err
    batches = {r.item.batch for r in results if r.item is not None and r.item.batch}
    return {"batch": next(iter(batches), None), "results": [r.as_json() for r in results]}


async def _undo(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    organiser = runtime.service.organiser
    assert organiser is not None  # noqa: S101 (the runtime always makes one)
    if ATTR_ITEM_ID not in call.data and ATTR_BATCH not in call.data:
        raise _error("item_or_batch_required")
    try:
        items = await organiser.undo(
            item_id=call.data.get(ATTR_ITEM_ID), batch=call.data.get(ATTR_BATCH)
        )
    except VideodromeError as err:
        raise _error("review_refused", error=str(err)) from err
    return {"items": [item.as_dict() for item in items]}


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
