"""The library index of a loaded entry, and "do I have it?" for services, Assist and LLMs.

The index loads in the background after setup (setup returns at once; until the first load
finishes every answer says `loading`, never a false "not found"), follows Plex's
notifications through the coordinator, and is rebuilt every few hours as a safety net. A scan
that ends has the scanned sections read again, but at most once per `SCAN_REBUILD_COOLDOWN`
for a burst of scans (each ingest asks Plex for one): the items each scan adds reach the index
by their own notifications meanwhile, and reading a large section after every one of 10,000
files was quadratic work on the event loop.
`async_check_library()` is the one query the service, the intents and the LLM tool share.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
import logging
from pathlib import Path, PurePosixPath
import re
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_interval

from ..const import DOMAIN
from ..engine.availability import log_failure
from ..engine.library.index import LibraryIndex, scanned_sections
from ..engine.library.seasons import show_seasons
from ..engine.plex.errors import PlexError
from ..engine.plex.scan import PathMap
from ..engine.tmdb.errors import TMDbError

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry

    from ..engine.identify.identifier import Identification
    from ..engine.library.records import Existing, Item, Kind
    from ..engine.plex.client import PlexClient
    from ..engine.plex.notifications import Notification
    from ..engine.tmdb.client import TMDbClient

_LOGGER = logging.getLogger(__name__)

REBUILD_INTERVAL = timedelta(hours=6)
SCAN_REBUILD_COOLDOWN = timedelta(minutes=5)
_SEASON_FOLDER = re.compile(r"^(?:season|series|staffel|saison)\s*\d+$|^specials$", re.IGNORECASE)
MAX_ITEMS = 10


@dataclass(slots=True)
class LibraryRuntime:
    """One server's index, kept current."""

    index: LibraryIndex
    queue: asyncio.Queue[Notification] = field(default_factory=asyncio.Queue)
    _unsubscribers: list[Callable[[], None]] = field(default_factory=list)
    _hass: HomeAssistant | None = None
    _scanned: set[int] = field(default_factory=set)  # sections to read again
    _last_scan_rebuild: float | None = None  # the loop's clock
    _cancel_scan_rebuild: Callable[[], None] | None = None
    scan_rebuilds: int = 0  # sections read again after scans, so far

    @callback
    def on_notification(self, notification: Notification) -> None:
        """From the coordinator: changes to the library go to the index, in order."""
        if notification.type in {"timeline", "activity"}:
            self.queue.put_nowait(notification)

    async def _async_load(self) -> None:
        try:
            await self.index.refresh()
        except PlexError as err:
            log_failure(_LOGGER, err, "Could not load the Plex library index: %s", err)
        while True:
            notification = await self.queue.get()
            if sections := scanned_sections(notification):
                self._rebuild_later(sections)
                continue
            try:
                await self.index.apply(notification)
            except PlexError as err:
                _LOGGER.debug("Could not apply a Plex notification to the index: %s", err)

    @callback
    def _rebuild_later(self, sections: set[int]) -> None:
        """Read `sections` again now, or once the cooldown since the last time has passed."""
        hass = self._hass
        assert hass is not None  # noqa: S101 (notifications come after start())
        self._scanned |= sections
        if self._cancel_scan_rebuild is not None:
            return  # already due: it reads these too
        last = self._last_scan_rebuild
        cooldown = SCAN_REBUILD_COOLDOWN.total_seconds()
        wait = 0.0 if last is None else max(0.0, last + cooldown - hass.loop.time())
        self._cancel_scan_rebuild = async_call_later(hass, wait, self._async_rebuild_scanned)

    async def _async_rebuild_scanned(self, _now: Any = None) -> None:
        assert self._hass is not None  # noqa: S101 (scheduled by _rebuild_later)
        self._cancel_scan_rebuild = None
        sections, self._scanned = self._scanned, set()
        self._last_scan_rebuild = self._hass.loop.time()
        if not self.index.loaded:
            return  # the first load, still running, reads every section anyway
        self.scan_rebuilds += len(sections)
        try:
            await self.index.rebuild_sections(sections)
        except PlexError as err:
            _LOGGER.debug("Could not read scanned sections %s again: %s", sorted(sections), err)

    async def _async_rebuild(self, _now: Any = None) -> None:
        try:
            await self.index.refresh()
        except PlexError as err:
            log_failure(_LOGGER, err, "Could not rebuild the Plex library index: %s", err)

    def start(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Load in the background; follow notifications; rebuild now and then."""
        self._hass = hass
        entry.async_create_background_task(
            hass, self._async_load(), f"{DOMAIN} library index {entry.title}"
        )
        self._unsubscribers.append(
            async_track_time_interval(hass, self._async_rebuild, REBUILD_INTERVAL)
        )

    def stop(self) -> None:
        """Stop the periodic rebuild (the loader task ends with the entry)."""
        if self._cancel_scan_rebuild is not None:
            self._cancel_scan_rebuild()
            self._cancel_scan_rebuild = None
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()


class IndexLookup:
    """The ingest pipeline's `LibraryLookup`, answered from the index.

    Plex's notifications keep the index current after an ingest, so nothing needs to be
    invalidated; before the first load, `LibraryIndex.find()` loads it once.
    """

    def __init__(self, index: LibraryIndex, path_map: PathMap | None = None) -> None:
        """Answer from `index`; `path_map` turns Plex's paths into Home Assistant's."""
        self._index = index
        self._path_map = path_map or PathMap()

    async def find(self, found: Identification) -> Existing | None:
        """The existing copy of the identified movie or episode, if Plex has one."""
        return await self._index.find(found)

    def invalidate(self) -> None:
        """Nothing to do: notifications bring the change."""

    async def show_folder(self, found: Identification) -> Path | None:
        """The show's folder from one of its episode files (the folder above "Season NN")."""
        match = found.match
        if match is None or not self._index.loaded:
            return None
        snapshot = self._index.snapshot
        shows = snapshot.by_id(
            tmdb=match.tmdb_id, tvdb=found.tvdb_id, imdb=match.imdb_id, kind="show"
        )
        for show in shows:
            for season in show.seasons:
                for episode in season.episodes:
                    if episode.file:
                        folder = PurePosixPath(episode.file.replace("\\", "/")).parent
                        if _SEASON_FOLDER.match(folder.name):
                            folder = folder.parent
                        return self._path_map.to_local(str(folder))
        return None


def create_library(hass: HomeAssistant, client: PlexClient) -> LibraryRuntime:
    """An empty index for a server (loaded by `start`; snapshots made in the executor)."""
    return LibraryRuntime(LibraryIndex(client, run_blocking=hass.async_add_executor_job))


async def async_check_library(
    index: LibraryIndex,
    tmdb: TMDbClient | None,
    *,
    title: str | None = None,
    year: int | None = None,
    kind: str | None = None,
    tmdb_id: int | None = None,
    tvdb_id: int | None = None,
    imdb_id: str | None = None,
) -> dict[str, Any]:
    """Found or not, the items, their library, and for shows what is present and missing."""
    wanted: Kind | None = "movie" if kind == "movie" else "show" if kind in {"show", "tv"} else None
    if tmdb_id is not None or tvdb_id is not None or imdb_id:
        by_id = index.by_id(tmdb=tmdb_id, tvdb=tvdb_id, imdb=imdb_id, kind=wanted)
        loading, items = by_id.loading, list(by_id.matches)
    else:
        by_title = index.by_title(title or "", year, wanted)
        loading, items = by_title.loading, [match.item for match in by_title.matches]
    if loading:
        return {"loading": True, "found": False, "items": []}
    sections = index.snapshot.sections
    return {
        "loading": False,
        "found": bool(items),
        "items": [await _describe(item, sections, tmdb) for item in items[:MAX_ITEMS]],
    }


async def _describe(item: Item, sections: Any, tmdb: TMDbClient | None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "title": item.title,
        "year": item.year,
        "type": item.kind,
        "library_id": item.section,
        "library_type": sections.get(item.section),
        "rating_key": item.rating_key,
        "tmdb_id": item.tmdb,
        "tvdb_id": item.tvdb,
        "imdb_id": item.imdb,
    }
    if item.kind == "movie":
        record.update(files=list(item.files), resolution=item.resolution, watched=item.watched)
        return record
    seasons = None
    if tmdb is not None and item.tmdb is not None:
        try:
            seasons = (await tmdb.tv(item.tmdb)).seasons
        except TMDbError as err:
            _LOGGER.debug("No TMDb seasons for %s: %s", item.title, err)
    found = show_seasons(item, seasons)
    record["availability"] = {
        "summary": found.summary(),
        "present_seasons": list(found.present_seasons),
        "missing_seasons": list(found.missing_seasons),
        "missing_episodes": {
            str(season): [list(run) for run in runs]
            for season, runs in found.missing_episodes.items()
        },
        "watched": {str(season): list(counts) for season, counts in found.watched.items()},
        "episodes": item.leaf_count,
        "episodes_watched": item.viewed_leaf_count,
    }
    return record
