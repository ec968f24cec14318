"""The ingest side of a loaded entry: built from the entry's options, torn down on unload.

Everything here is glue: the engine's `IngestService` does the work; this module gives it
Home Assistant's executor, session and config folder, turns its events into bus events
(`videodrome_ingested`, `videodrome_review_required`, ...) and a dispatcher signal that the
review-queue, last-ingest and event entities listen to. Every hour an executor job expires and
bounds the TMDb cache (engine/store/tmdb_cache.py) and gives the space back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
import logging
import os
from pathlib import Path
import sqlite3
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval

from .. import const, issues
from ..const import (
    CONF_AUTO_THRESHOLD,
    CONF_FILE_EXTRAS,
    CONF_INCLUDE_IDS,
    CONF_INGEST_FOLDERS,
    CONF_MATCH_FIX,
    CONF_MOVIES_ROOT,
    CONF_PATH_MAP,
    CONF_TMDB_API_KEY,
    CONF_TRANSFER_MODE,
    CONF_TV_ROOT,
    CONF_UPLOAD_POSTERS,
    CONF_VERIFY_CHECKSUM,
    CONF_WHEN_HELD,
    DEFAULT_AUTO_THRESHOLD,
    DEFAULT_MATCH_FIX,
    DEFAULT_TRANSFER_MODE,
    DEFAULT_WHEN_HELD,
    DOMAIN,
)
from ..data import create_availability
from ..engine.identify.identifier import Identifier
from ..engine.identify.score import Thresholds
from ..engine.ingest.organise import Organiser
from ..engine.ingest.pipeline import Pipeline
from ..engine.ingest.plan import Settings
from ..engine.ingest.service import Event, IngestService
from ..engine.ingest.transfer import TransferMode
from ..engine.plex.fix_match import PLEX_CORRECTED, MatchFix
from ..engine.plex.scan import PLEX_MATCHED, PLEX_NOT_FOUND, PathMap, PlexSync
from ..engine.store.database import Store
from ..engine.store.tmdb_cache import PURGE_INTERVAL
from ..engine.tmdb.client import TMDbClient
from ..entry_files import database_path
from ..guessit import async_guessit_lane
from ..summaries import upgrade_summary

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ..engine.ingest.plan import LibraryLookup
    from ..engine.plex.client import PlexClient
    from ..engine.store.items import Item

_LOGGER = logging.getLogger(__name__)

EVENT_PREFIX = f"{DOMAIN}_"
CACHE_PURGE_INTERVAL = timedelta(seconds=PURGE_INTERVAL)


def signal_item(entry_id: str) -> str:
    """The dispatcher signal sent with (kind, item) when an item changes."""
    return f"{DOMAIN}_{entry_id}_item"


@dataclass(slots=True)
class IngestRuntime:
    """The parts of one entry's ingest, for services and entities."""

    service: IngestService
    entry_id: str
    tmdb: TMDbClient
    store: Store
    settings: Settings
    _cancel_purge: Callable[[], None] | None = None
    _purging: asyncio.Task[None] | None = field(default=None, repr=False)

    @callback
    def start_cache_purge(self, hass: HomeAssistant) -> None:
        """Expire and bound the TMDb cache every `CACHE_PURGE_INTERVAL` (until `close`)."""

        @callback
        def purge(_now: datetime) -> None:
            if self._purging is None or self._purging.done():
                self._purging = hass.async_create_background_task(
                    self._async_purge(hass), f"{DOMAIN} TMDb cache purge"
                )

        self._cancel_purge = async_track_time_interval(
            hass, purge, CACHE_PURGE_INTERVAL, name=f"{DOMAIN} TMDb cache purge"
        )

    async def _async_purge(self, hass: HomeAssistant) -> None:
        try:
            purged = await hass.async_add_executor_job(self.store.tmdb_cache.purge)
        except sqlite3.Error as err:
            _LOGGER.warning("Could not purge the TMDb cache: %s", err)
            return
        _LOGGER.debug("TMDb cache purged: %s", purged)

    async def close(self, hass: HomeAssistant) -> None:
        """Stop the purges, cancel TMDb requests still running and close the database."""
        if self._cancel_purge is not None:
            self._cancel_purge()
            self._cancel_purge = None
        if self._purging is not None:  # its executor job uses the store: let it finish
            await asyncio.gather(self._purging, return_exceptions=True)
        await self.tmdb.close()
        await hass.async_add_executor_job(self.store.close)


def unusable_folders(hass: HomeAssistant, options: Mapping[str, Any]) -> list[str]:
    """The configured folders that are missing, unreadable or not allowlisted. Blocking."""
    folders = [
        *options.get(CONF_INGEST_FOLDERS, ()),
        options[CONF_MOVIES_ROOT],
        options[CONF_TV_ROOT],
    ]
    bad: list[str] = []
    for folder in folders:
        path = Path(folder)
        usable = path.is_dir() and os.access(path, os.R_OK | os.X_OK)
        if not usable or not hass.config.is_allowed_path(str(path)):
            bad.append(str(folder))
    return bad


def _open_store(path: Path) -> Store:
    path.parent.mkdir(parents=True, exist_ok=True)
    return Store(path)


def ingest_enabled(options: Mapping[str, Any]) -> bool:
    """Whether the entry's options switch ingest on (a TMDb key and the folders are set)."""
    return bool(
        options.get(CONF_TMDB_API_KEY)
        and options.get(CONF_INGEST_FOLDERS)
        and options.get(CONF_MOVIES_ROOT)
        and options.get(CONF_TV_ROOT)
    )


def settings_from(options: Mapping[str, Any]) -> Settings:
    """The pipeline's settings from the entry's options."""
    return Settings(
        ingest_folders=tuple(Path(p) for p in options[CONF_INGEST_FOLDERS]),
        movies_root=Path(options[CONF_MOVIES_ROOT]),
        tv_root=Path(options[CONF_TV_ROOT]),
        mode=TransferMode(options.get(CONF_TRANSFER_MODE, DEFAULT_TRANSFER_MODE)),
        verify_checksum=bool(options.get(CONF_VERIFY_CHECKSUM, False)),
        file_extras=bool(options.get(CONF_FILE_EXTRAS, True)),
        when_held=str(options.get(CONF_WHEN_HELD, DEFAULT_WHEN_HELD)),
    )


async def async_create_runtime(
    hass: HomeAssistant, entry: ConfigEntry[Any], plex: PlexClient, lookup: LibraryLookup
) -> IngestRuntime:
    """Open the store, recover from a crash, and wire the engine together."""
    options = entry.options
    path = database_path(hass, entry.entry_id)
    store = await hass.async_add_executor_job(_open_store, path)
    key = str(options[CONF_TMDB_API_KEY])
    bearer = key.startswith("eyJ")  # v4 read access tokens are JWTs

    async def run_blocking(job: Any) -> Any:
        return await hass.async_add_executor_job(job)

    tmdb = TMDbClient(
        async_get_clientsession(hass),
        api_key=None if bearer else key,
        bearer_token=key if bearer else None,
        base_url=const.TMDB_BASE_URL,
        store=store,
        run_blocking=run_blocking,
        availability=create_availability("TMDb", entry),
    )
    auto = float(options.get(CONF_AUTO_THRESHOLD, DEFAULT_AUTO_THRESHOLD))
    identifier = Identifier(
        tmdb,
        thresholds=Thresholds(auto=auto, review=min(Thresholds().review, auto)),
        include_ids=bool(options.get(CONF_INCLUDE_IDS, True)),
        run_blocking=run_blocking,
        guessit=async_guessit_lane(hass, "ingest"),
    )
    settings = settings_from(options)
    pipeline = Pipeline(identifier, settings, lookup=lookup, run_blocking=run_blocking)
    pairs = tuple((str(a), str(b)) for a, b in options.get(CONF_PATH_MAP) or ())
    sync = PlexSync(plex, PathMap(pairs))

    @callback
    def on_event(kind: str, item: Item) -> None:
        if item.plex_status == PLEX_NOT_FOUND and item.destination:
            issues.report(
                hass, issues.ISSUE_PATH_MAPPING, entry.entry_id,
                folder=str(Path(item.destination).parent),
            )  # fmt: skip
        elif item.plex_status in {PLEX_MATCHED, PLEX_CORRECTED}:
            issues.clear(hass, issues.ISSUE_PATH_MAPPING, entry.entry_id)
        data = {"config_entry_id": entry.entry_id, "item": item.as_dict()}
        if kind == Event.UPGRADED:  # the older copy stays: both files and qualities
            data.update(upgrade_summary(item))
        hass.bus.async_fire(f"{EVENT_PREFIX}{kind}", data)
        async_dispatcher_send(hass, signal_item(entry.entry_id), kind, item)

    service = IngestService(
        store,
        pipeline,
        identifier,
        tmdb,
        sync,
        run_blocking=run_blocking,
        on_event=on_event,
        match_fix=MatchFix(options.get(CONF_MATCH_FIX, DEFAULT_MATCH_FIX)),
        upload_posters=bool(options.get(CONF_UPLOAD_POSTERS, False)),
    )
    # Organising works on the library folders themselves: no "already in the library" check
    # (the files are the library), and the roots are where names are read from.
    roots = (settings.movies_root, settings.tv_root)
    organise_settings = Settings(
        roots, *roots, settings.mode, settings.verify_checksum, file_extras=False
    )
    service.organiser = Organiser(
        Pipeline(identifier, organise_settings, run_blocking=run_blocking),
        store,
        sync,
        run_blocking=run_blocking,
    )
    await service.start()
    runtime = IngestRuntime(service, entry.entry_id, tmdb, store, settings)
    runtime.start_cache_purge(hass)
    return runtime
