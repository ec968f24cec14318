"""The library index of a loaded entry: loaded, retried, kept current; the pipeline's lookup.

The index loads in the background after setup (setup returns at once; until the first load
finishes every answer says `loading`, never a false "not found"), follows Plex's
notifications through the coordinator, and is rebuilt every few hours as a safety net.

A load that read nothing (Plex away), or left a library section unread, partly read or kept
from before, is tried again after 30 s, then 60 s, doubling up to 10 minutes (`Backoff`); after
that the regular rebuild takes over. Plex answering again (the coordinator's first good poll
after an outage or a setup while Plex was away) loads it at once, and so does a reconnection
of the notification websocket: what Plex announced while it was down was missed. Nothing is
read before the coordinator has seen that the address reaches the configured server.

A scan that ends has the scanned sections read again, but at most once per
`SCAN_REBUILD_COOLDOWN` for a burst of scans (each ingest asks Plex for one): the items each
scan adds reach the index by their own notifications meanwhile, and reading a large section
after every one of 10,000 files was quadratic work on the event loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
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
from ..engine.library.loading import Backoff, LoadState
from ..engine.plex.errors import PlexError
from ..engine.plex.scan import PathMap

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry

    from ..coordinator import PlexCoordinator
    from ..engine.identify.identifier import Identification
    from ..engine.library.records import Existing
    from ..engine.plex.client import PlexClient
    from ..engine.plex.notifications import Notification

_LOGGER = logging.getLogger(__name__)

REBUILD_INTERVAL = timedelta(hours=6)
SCAN_REBUILD_COOLDOWN = timedelta(minutes=5)
_SEASON_FOLDER = re.compile(r"^(?:season|series|staffel|saison)\s*\d+$|^specials$", re.IGNORECASE)


@dataclass(slots=True)
class LibraryRuntime:
    """One server's index, kept current."""

    index: LibraryIndex
    backoff: Backoff = field(default_factory=Backoff)  # tests make it quick
    queue: asyncio.Queue[Notification] = field(default_factory=asyncio.Queue)
    # Called after each load that reached Plex (the ingest's catch-up), and after each load
    # whatever came of it (the entities that show the index's state).
    loaded_listeners: list[Callable[[], None]] = field(default_factory=list)
    change_listeners: list[Callable[[], None]] = field(default_factory=list)
    _unsubscribers: list[Callable[[], None]] = field(default_factory=list)
    _hass: HomeAssistant | None = None
    _entry: ConfigEntry[Any] | None = None
    _coordinator: PlexCoordinator | None = None
    _reading: bool = False  # a read of the whole library is under way
    _cancel_retry: Callable[[], None] | None = None
    _scanned: set[int] = field(default_factory=set)  # sections to read again
    _last_scan_rebuild: float | None = None  # the loop's clock
    _cancel_scan_rebuild: Callable[[], None] | None = None
    scan_rebuilds: int = 0  # sections read again after scans, so far
    loads: int = 0  # whole-library loads tried, for tests and diagnostics
    retry_in: float | None = None  # seconds until the retry now scheduled (None: none)

    @callback
    def on_notification(self, notification: Notification) -> None:
        """From the coordinator: changes to the library go to the index, in order."""
        if notification.type in {"timeline", "activity"}:
            self.queue.put_nowait(notification)

    @property
    def complete(self) -> bool:
        """Whether the last load read every section completely."""
        index = self.index
        return (
            index.loaded
            and index.failure is None
            and all(load.state is LoadState.COMPLETE for load in index.sections)
        )

    @property
    def server_known(self) -> bool:
        """Whether Plex has answered as the configured server (the coordinator checks it).

        Not yet only when the entry was set up while Plex was away.
        """
        coordinator = self._coordinator
        return coordinator is None or (coordinator.data is not None and coordinator.data.known)

    async def _async_follow(self) -> None:
        """Apply Plex's notifications to the index, in order, until the entry unloads."""
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
    def load_now(self, _now: Any = None) -> None:
        """Read the whole library now (in the background), unless a read is under way."""
        if self._reading:
            return
        assert self._hass is not None  # noqa: S101 (after start())
        assert self._entry is not None  # noqa: S101
        self._reading = True  # before the task: it may run to its end before it is returned
        self._entry.async_create_background_task(
            self._hass, self._async_read_all(), f"{DOMAIN} library index {self._entry.title}"
        )

    async def _async_read_all(self) -> None:
        self._reading = True
        try:
            await self._async_read_once()
        finally:
            self._reading = False

    async def _async_read_once(self) -> None:
        """Read every section; on a failed or incomplete read, schedule the next try."""
        self._cancel_retry_timer()
        if not self.server_known:
            return  # the coordinator's first good answer loads it (on_server_update)
        self.loads += 1
        try:
            await self.index.refresh()
        except PlexError as err:
            log_failure(_LOGGER, err, "Could not read the Plex library: %s", err)
        if self.complete:
            self.backoff.reset()
        elif (delay := self.backoff.next_delay()) is not None and self._hass is not None:
            self.retry_in = delay
            self._cancel_retry = async_call_later(self._hass, delay, self.load_now)
        if self.index.failure is None:
            for listener in list(self.loaded_listeners):
                listener()
        self._changed()

    def _cancel_retry_timer(self) -> None:
        self.retry_in = None
        if self._cancel_retry is not None:
            self._cancel_retry()
            self._cancel_retry = None

    def _changed(self) -> None:
        for listener in list(self.change_listeners):
            listener()

    @callback
    def on_server_update(self) -> None:
        """The coordinator polled: the moment to read the library if nothing could be yet.

        That is, when Plex answers as the right server while the index is unread, or the last
        read failed.
        """
        coordinator = self._coordinator
        answered = coordinator is None or coordinator.last_update_success
        unread = not self.index.loaded or self.index.failure is not None
        if answered and unread and self.server_known:
            self.load_now()

    @callback
    def on_connection(self, connected: bool) -> None:
        """The websocket connected: after a drop, what it missed is read again.

        Also when nothing could be read so far: Plex answers again.
        """
        coordinator = self._coordinator
        listener = coordinator.listener if coordinator is not None else None
        unread = not self.index.loaded or self.index.failure is not None
        if connected and ((listener is not None and listener.reconnected) or unread):
            self.load_now()

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
        self._changed()

    async def _async_rebuild(self, _now: Any = None) -> None:
        """The regular rebuild: a read of its own, with retries of its own if it fails."""
        self.backoff.reset()
        if not self._reading:
            await self._async_read_all()

    def start(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        coordinator: PlexCoordinator | None = None,
    ) -> None:
        """Load in the background; follow notifications and the coordinator; rebuild now and then.

        With `coordinator`, nothing is read before it has seen the configured server answer,
        its good polls after an outage load the index, and so do websocket reconnections.
        """
        self._hass, self._entry, self._coordinator = hass, entry, coordinator
        if coordinator is not None:
            coordinator.notification_listeners.append(self.on_notification)
            coordinator.connection_listeners.append(self.on_connection)
            self._unsubscribers.append(coordinator.async_add_listener(self.on_server_update))
        self.load_now()
        entry.async_create_background_task(
            hass, self._async_follow(), f"{DOMAIN} library notifications {entry.title}"
        )
        self._unsubscribers.append(
            async_track_time_interval(hass, self._async_rebuild, REBUILD_INTERVAL)
        )

    def stop(self) -> None:
        """Stop the periodic rebuild and the retries (the loader task ends with the entry)."""
        self._cancel_retry_timer()
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
        """The existing copy of the identified movie or episode, if Plex has one.

        Raises what `LibraryIndex.find` raises when the index cannot say (engine/library/
        errors.py): the pipeline holds the file, or asks a person.
        """
        existing = await self._index.find(found)
        if existing is None or existing.file is None:
            return existing
        # Where Home Assistant sees Plex's copy: a better one is filed beside it (versions.py).
        local = self._path_map.to_local(existing.file)
        return replace(existing, local_file=str(local)) if local is not None else existing

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
