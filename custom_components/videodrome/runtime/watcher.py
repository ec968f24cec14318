"""The folder watcher inside Home Assistant: finds finished downloads and ingests them.

The engine's `FolderWatcher` does the finding (inotify hints from watchdog's thread, handed
to the event loop thread-safely, plus rescans; every stat and walk in an executor job). This
module drives it with Home Assistant's time helpers, feeds ready files one at a time to the
ingest service (auto-ingest on: automatic decisions are filed; off: everything waits for
review), and raises a repair issue when inotify runs out of watches. Unloading the entry
stops the observer thread, the timers and the worker task.

Watching can be stopped and started without unloading (the switch "Watch ingest folders"):
stopped, nothing is noticed (no observer, no timer; the file being ingested is finished, the
queued ones are forgotten and found again once watching starts). Whether the entry watches
is kept in its options (`watching`), so a restart, or a crash, starts it as it was left, and
nothing is noticed in between. `async_rescan_now` looks through every folder at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
import errno
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .. import issues
from ..const import DOMAIN
from ..engine.availability import log_failure
from ..engine.errors import VideodromeError
from ..engine.ingest.service import waiting_for_tmdb
from ..engine.ingest.watcher import FileState, FolderWatcher
from ..engine.store.items import ItemStatus
from ..engine.tmdb.errors import TMDbAuthError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.config_entries import ConfigEntry

    from .ingest import IngestRuntime

_LOGGER = logging.getLogger(__name__)

CONF_STABILITY = "stability_seconds"
CONF_RESCAN_INTERVAL = "rescan_minutes"
CONF_AUTO_INGEST = "auto_ingest"
CONF_NETWORK_SHARE = "network_share"
# Not a form field: the switch "Watch ingest folders" keeps its state here (on when absent).
CONF_WATCHING = "watching"
DEFAULT_STABILITY = 60
DEFAULT_RESCAN_MINUTES = 5
DEFAULT_NETWORK_RESCAN_MINUTES = 1
CHECK_INTERVAL = timedelta(seconds=5)
UPDATE_COOLDOWN = 1.0  # seconds between two updates of the watcher's entities
ISSUE_INOTIFY = "inotify_watch_limit"
MODE_INOTIFY = "inotify"  # change notifications, and rescans as a safety net
MODE_RESCAN = "rescan"  # rescans only (a network share, or no inotify watches left)
MODE_STOPPED = "stopped"


def signal_watcher(entry_id: str) -> str:
    """The dispatcher signal sent when the watcher's state (running, waiting) changes."""
    return f"{DOMAIN}_{entry_id}_watcher"


@dataclass(slots=True)
class WatcherRuntime:
    """A running watcher, its timers and its worker."""

    hass: HomeAssistant
    entry_id: str
    ingest: IngestRuntime
    watcher: FolderWatcher
    auto_ingest: bool
    rescan_interval: timedelta
    # Path text, not FileState: 10,000 queued files are 10,000 strings, which the garbage
    # collector never scans (see engine/ingest/watcher.py).
    queue: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    running: bool = False
    entry: ConfigEntry[Any] | None = None  # whose options keep `watching`, and its tasks
    last_error: str | None = None  # the watcher's last failure (inotify, a file it ingested)
    _unsubscribers: list[Callable[[], None]] = field(default_factory=list)
    _worker: asyncio.Task[None] | None = None
    _busy: bool = False  # the worker is ingesting a file
    _updates: Debouncer[None] | None = None

    @property
    def waiting(self) -> int:
        """Files settling or queued for identification."""
        return self.watcher.pending + self.queue.qsize()

    @property
    def mode(self) -> str:
        """`inotify`, `rescan` (rescans only) or `stopped`."""
        if not self.running:
            return MODE_STOPPED
        return MODE_INOTIFY if self.watcher.inotify_active else MODE_RESCAN

    async def async_start(self) -> None:
        """Start watching; the first rescan finds what arrived while Home Assistant was off."""
        entry = self.entry
        assert entry is not None  # noqa: S101 (async_create_watcher gives it)
        if self.running:
            return
        self.running = True
        try:
            await self.watcher.start()
        except OSError as err:
            self.running = False
            self.last_error = f"Could not watch the ingest folders: {err}"
            self._changed()
            raise
        self._report_inotify()
        self._unsubscribers.append(
            async_track_time_interval(self.hass, self._async_check, CHECK_INTERVAL)
        )
        self._unsubscribers.append(
            async_track_time_interval(self.hass, self._async_rescan, self.rescan_interval)
        )
        if self._worker is None or self._worker.done():  # else it goes on after its file
            self._worker = entry.async_create_background_task(
                self.hass, self._async_work(), f"{DOMAIN} ingest worker {entry.title}"
            )
        self._changed()

    async def async_pause(self) -> None:
        """Stop watching, without unloading: nothing is noticed until `async_start`.

        The file being ingested is finished; the queued ones are forgotten (the next start
        finds them again).
        """
        if not self.running:
            return
        self.running = False
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()
        while not self.queue.empty():
            self.queue.get_nowait()
            self.queue.task_done()
        if self._worker is not None and not self._busy:
            await self._cancel_worker()
        await self.watcher.stop()
        self._changed()

    async def async_set_watching(self, watching: bool) -> None:
        """Start or stop watching, and keep the choice in the entry's options."""
        entry = self.entry
        assert entry is not None  # noqa: S101 (async_create_watcher gives it)
        if watching:
            await self.async_start()
        else:
            await self.async_pause()
        if entry.options.get(CONF_WATCHING, True) != watching:
            self.hass.config_entries.async_update_entry(
                entry, options={**entry.options, CONF_WATCHING: watching}
            )

    async def async_rescan_now(self) -> None:
        """Look through every ingest folder now, as after a restart.

        A file whose handling failed gets another chance; what it finds settles as usual.
        """
        self.watcher.forget_handed_out()
        await self._async_rescan()

    async def async_stop(self) -> None:
        """Unloading: stop the timers, the worker (even mid-file) and the observer thread."""
        await self.async_pause()
        if self._updates is not None:
            self._updates.async_shutdown()
        await self._cancel_worker()

    async def _cancel_worker(self) -> None:
        if (worker := self._worker) is not None:
            self._worker = None
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)

    @callback
    def _changed(self) -> None:
        """Tell the entities: at once, then at most once per `UPDATE_COOLDOWN`.

        A burst of 10,000 files would otherwise write their states 20,000 times, each recorded.
        """
        if self._updates is None:
            self._updates = Debouncer(
                self.hass,
                _LOGGER,
                cooldown=UPDATE_COOLDOWN,
                immediate=True,
                function=self._send_changed,
            )
        self._updates.async_schedule_call()

    @callback
    def _send_changed(self) -> None:
        async_dispatcher_send(self.hass, signal_watcher(self.entry_id))

    @callback
    def on_ready(self, state: FileState) -> None:
        """A complete file: queue it for the worker (a check that ends after a stop: not)."""
        if not self.running:
            self.watcher.forget(state.path)
            return
        self.queue.put_nowait(os.fspath(state.path))
        self._changed()

    async def _async_check(self, _now: Any = None) -> None:
        await self.watcher.check()
        self._changed()

    async def _async_rescan(self, _now: Any = None) -> None:
        await self.watcher.rescan()
        self._changed()

    async def _async_work(self) -> None:
        """Ingest queued files one at a time (transfers and TMDb have their own limits).

        Stopped watching while it ingests a file, it ends once that file is done.
        """
        while self.running:
            path = Path(await self.queue.get())
            self._busy = True
            try:
                await self._ingest_one(path)
            finally:
                self._busy = False
                self.queue.task_done()
                self._changed()

    async def _ingest_one(self, path: Path) -> None:
        try:
            outcomes = await self.ingest.service.ingest(path, auto=self.auto_ingest)
            issues.clear(self.hass, issues.ISSUE_TMDB_KEY, self.entry_id)
            for failed in (o for o in outcomes if o.status == ItemStatus.FAILED):
                self.last_error = (
                    f"Could not file {failed.planned.source.path.name}: {failed.error}"
                )
            if any(o.item is not None and waiting_for_tmdb(o.item) for o in outcomes):
                # TMDb could not be asked: the next rescan hands the file out again.
                self.watcher.forget(path)
        except TMDbAuthError:
            # Nothing can be identified until the key is fixed: say so once, keep the file
            # for the next rescan after a reload with a new key.
            issues.report(self.hass, issues.ISSUE_TMDB_KEY, self.entry_id)
            self.watcher.forget(path)
        except VideodromeError as err:
            log_failure(_LOGGER, err, "Could not ingest %s: %s", path, err)
            self.last_error = f"Could not ingest {path.name}: {err}"
        except OSError as err:  # the file vanished or became unreadable meanwhile
            _LOGGER.warning("Could not read %s: %s", path, err)
            self.last_error = f"Could not read {path.name}: {err.strerror or err}"
        except Exception as err:  # the worker must outlive any one file's surprise
            _LOGGER.exception("Unexpected error while ingesting %s", path)
            self.last_error = f"Unexpected error while ingesting {path.name}: {err!r}"

    def _report_inotify(self) -> None:
        issue_id = f"{ISSUE_INOTIFY}_{self.entry_id}"
        error = self.watcher.inotify_error
        if error is not None:
            self.last_error = f"Change notifications unavailable ({error.strerror}): rescans only"
        if error is not None and error.errno == errno.ENOSPC:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_INOTIFY,
                translation_placeholders={
                    "folders": ", ".join(str(r) for r in self.watcher.roots),
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)


def watcher_options(options: Mapping[str, Any]) -> tuple[float, bool, bool, timedelta]:
    """Stability (s), network share, auto-ingest default, rescan interval, from the options."""
    network = bool(options.get(CONF_NETWORK_SHARE, False))
    default_minutes = DEFAULT_NETWORK_RESCAN_MINUTES if network else DEFAULT_RESCAN_MINUTES
    minutes = float(options.get(CONF_RESCAN_INTERVAL, default_minutes))
    return (
        float(options.get(CONF_STABILITY, DEFAULT_STABILITY)),
        network,
        bool(options.get(CONF_AUTO_INGEST, True)),
        timedelta(minutes=max(minutes, 0.25)),
    )


async def async_create_watcher(
    hass: HomeAssistant, entry: ConfigEntry[Any], ingest: IngestRuntime
) -> WatcherRuntime:
    """Create the watcher of an entry's ingest folders; started unless it was stopped."""
    stability, network, auto, rescan = watcher_options(entry.options)
    store = ingest.store

    def is_handled(state: FileState) -> bool:
        found = store.find_handled(
            str(state.path), state.size, state.mtime_ns, state.device, state.inode
        )
        return found is not None and not waiting_for_tmdb(found)

    async def run_blocking(job: Any) -> Any:
        return await hass.async_add_executor_job(job)

    runtime: WatcherRuntime

    def on_ready(state: FileState) -> None:
        runtime.on_ready(state)  # the runtime exists by the time a file is ready

    watcher = FolderWatcher(
        ingest.settings.ingest_folders,
        on_ready,
        stability=stability,
        use_inotify=not network,
        is_handled=is_handled,
        run_blocking=run_blocking,
        # Home Assistant's clock, so that tests can move time forward.
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    runtime = WatcherRuntime(hass, entry.entry_id, ingest, watcher, auto, rescan, entry=entry)
    if entry.options.get(CONF_WATCHING, True):
        await runtime.async_start()
    return runtime
