"""Folder watcher: inotify hints plus periodic rescans, and a stability window before a file counts.

inotify (watchdog's observer thread) only says *where to look*: its events are handed to the
event loop thread-safely and turn into candidates. Rescans find what inotify cannot see
(network shares, overflowed queues, files present at start). A candidate is ready once its
size and mtime have not changed for the stability window. All `stat`s and directory walks run
through `run_blocking` (an executor job in Home Assistant); the watcher owns no timer, so its
caller decides when to `check()` and `rescan()` (Home Assistant's time helpers in the
integration, `run()` standalone).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import errno
import itertools
import logging
import os
from pathlib import Path
import threading
import time
from typing import TYPE_CHECKING

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..blocking import BlockingRunner, run_in_default_executor
from ..identify.filters import ignore_reason, is_ignored_folder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from watchdog.observers.api import BaseObserver

_LOGGER = logging.getLogger(__name__)

type Version = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class FileState:
    """What identifies a version of a file: where it is, how big, when last written, which inode."""

    path: Path
    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def at(cls, path: str, version: Version) -> FileState:
        """The state of the file at `path` whose `version` is known."""
        size, mtime_ns, inode, device = version
        return cls(Path(path), size, mtime_ns, inode, device)


def _version(stat: os.stat_result) -> Version:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_dev)


# What the watcher holds per file is plain strings, numbers and tuples of them, never Path or
# FileState objects: a burst of 10,000 files settles for a minute, and objects alive that long
# reach the garbage collector's oldest generation, where every full collection (which stops the
# event loop) scans them again; strings and tuples of numbers are not scanned at all.
type _Candidate = tuple[float, Version | None]  # (stable since, last stat's version or None)
type _Snapshot = tuple[str, Version | None, bool, Version | None]  # (path, previous, due, seen)


# Hints handled per turn of the event loop: a burst of 10,000 files (30,000 events) handed
# over one callback per event stalled the loop for several hundred milliseconds in one go.
HINT_BATCH = 100
# Candidates judged (and ready files handed out) per turn of the event loop in one check:
# handing 10,000 files over in one go held Home Assistant's loop for 47 ms.
CHECK_BATCH = 500


class _Bridge(FileSystemEventHandler):
    """Collects paths on watchdog's thread; the event loop takes them in small batches.

    Events for one path are merged until the loop takes them (a new file's create, modify and
    close are one hint), and the loop handles at most `HINT_BATCH` paths per turn, so a burst
    never holds it for long.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, hint: Callable[[str, bool], None]) -> None:
        self._loop = loop
        self._hint = hint
        self._lock = threading.Lock()
        self._pending: dict[str, bool] = {}  # path -> is a folder (insertion order kept)
        self._scheduled = False

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in {"opened", "closed_no_write", "deleted"}:
            return
        path = os.fsdecode(event.dest_path or event.src_path)
        with self._lock:
            self._pending[path] = self._pending.get(path, False) or event.is_directory
            if self._scheduled:
                return
            self._scheduled = True
        self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        """On the loop: hand over one batch; come back next turn if more are waiting."""
        with self._lock:
            batch = list(itertools.islice(self._pending.items(), HINT_BATCH))
            for path, _ in batch:
                del self._pending[path]
            more = bool(self._pending)
            self._scheduled = more
        for path, is_directory in batch:
            self._hint(path, is_directory)
        if more:
            self._loop.call_soon(self._drain)


class FolderWatcher:
    """Finds complete video files in the ingest folders."""

    def __init__(
        self,
        roots: Iterable[Path],
        on_ready: Callable[[FileState], None],
        *,
        stability: float = 60.0,
        use_inotify: bool = True,
        is_handled: Callable[[FileState], bool] | None = None,
        run_blocking: BlockingRunner | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Watch `roots`; `on_ready` gets each file once it is complete.

        `is_handled` (called in an executor job) says whether a file was already dealt with,
        for instance in an earlier run; such files are never handed out again.
        """
        self.roots = tuple(Path(root) for root in roots)
        self._on_ready = on_ready
        self.stability = stability
        self.use_inotify = use_inotify
        self._is_handled = is_handled or (lambda _state: False)
        self._run_blocking = run_blocking or run_in_default_executor
        self._clock = clock
        self._candidates: dict[str, _Candidate] = {}  # path text -> candidate
        self._dirty_folders: set[Path] = set()
        # Handed out or found handled, this run: path text -> (size, mtime, inode, device).
        self._seen: dict[str, Version] = {}
        self._observer: BaseObserver | None = None
        self._stopped = False  # between stop() and the next start(): nothing is noticed
        self.inotify_error: OSError | None = None
        self.last_rescan: float | None = None  # the clock's time of the last rescan's end

    @property
    def pending(self) -> int:
        """Files seen but not yet complete (settling)."""
        return len(self._candidates)

    @property
    def inotify_active(self) -> bool:
        """Whether inotify events are being received."""
        return self._observer is not None

    async def start(self) -> None:
        """Start inotify (if wanted and possible) and look at what is already there.

        A watcher stopped before starts again this way, seeing every file anew.
        """
        self._stopped = False
        self.inotify_error = None
        if self.use_inotify:
            bridge = _Bridge(asyncio.get_running_loop(), self._hint)
            try:
                self._observer = await self._run_blocking(lambda: self._start_observer(bridge))
            except OSError as err:
                if err.errno not in {errno.ENOSPC, errno.EMFILE}:
                    raise
                # Out of inotify watches or instances: rescans still find everything.
                _LOGGER.warning("inotify unavailable (%s); relying on rescans", err.strerror)
                self.inotify_error = err
        await self.rescan()

    def _start_observer(self, bridge: _Bridge) -> BaseObserver:
        """In an executor: watch every root (adding a watch per folder is blocking work)."""
        observer = Observer()  # starts watchdog's inotify reader thread already
        try:
            for root in self.roots:
                observer.schedule(bridge, os.fspath(root), recursive=True)
            observer.start()
        except OSError:
            # stop() also ends the reader thread of an observer that never started.
            observer.stop()
            if observer.is_alive():  # pragma: no cover - schedule fails before start
                observer.join()
            raise
        return observer

    async def stop(self) -> None:
        """Stop the inotify thread and forget every file; nothing is noticed until `start()`.

        What a rescan or check still running finds is dropped. The next start looks at every
        file again; those already handled are recognised by `is_handled`.
        """
        self._stopped = True
        self._candidates.clear()
        self._dirty_folders.clear()
        self._seen.clear()
        if (observer := self._observer) is not None:
            self._observer = None
            await self._run_blocking(lambda: _stop_observer(observer))

    def _hint(self, path: str, is_directory: bool) -> None:
        """An inotify event, on the loop thread: look there at the next check."""
        if self._observer is None:
            return  # arrived after stop()
        target = Path(path)
        root = self._root_of(target)
        if root is None:
            return
        if is_directory:
            self._dirty_folders.add(target)
        elif ignore_reason(target, root) is None:
            self._touch(os.fspath(target))

    def _root_of(self, path: Path) -> Path | None:
        return next((root for root in self.roots if path.is_relative_to(root)), None)

    def _touch(self, path: str) -> None:
        candidate = self._candidates.get(path)
        self._candidates[path] = (self._clock(), None if candidate is None else candidate[1])

    def forget(self, path: Path | str) -> None:
        """Hand `path` out again when it is next seen (its handling did not happen)."""
        self._seen.pop(os.fspath(path), None)

    def forget_handed_out(self) -> None:
        """Hand out again every file the next rescan sees (unless `is_handled` knows it).

        A full look, as after a restart: a file whose handling failed gets another chance.
        """
        self._seen.clear()

    async def _collect[T](self, job: Callable[[], list[T]]) -> list[T]:
        """Run `job` in the executor and take its list out of the executor's hands.

        An idle executor thread keeps its last job's result alive until its next job; for a
        walk over 10,000 files that is megabytes of paths held for nothing. The job fills a
        list of ours instead and returns None.
        """
        out: list[T] = []
        await self._run_blocking(lambda: out.extend(job()))
        return out

    async def rescan(self) -> None:
        """Walk every root for files inotify may not have reported."""
        seen = dict(self._seen)
        found = await self._collect(lambda: self._walk(self.roots, seen))
        self._add_found(found)
        if not self._stopped:
            self.last_rescan = self._clock()

    def _walk(self, folders: Iterable[Path], seen: dict[str, Version]) -> list[tuple[str, Version]]:
        """In an executor: the candidate files below `folders`, minus unchanged seen ones."""
        found: list[tuple[str, Version]] = []
        for folder in folders:
            root = self._root_of(folder)
            if root is None:
                continue
            for dirpath, dirnames, filenames in os.walk(folder, onerror=_log_walk_error):
                # Pruning in place keeps os.walk out of working folders entirely.
                dirnames[:] = [d for d in dirnames if is_ignored_folder(d) is None]
                here = Path(dirpath)
                for name in filenames:
                    path = here / name
                    if ignore_reason(path, root) is not None:
                        continue
                    text = os.fspath(path)
                    try:
                        version = _version(path.stat())
                    except OSError:
                        continue
                    if seen.get(text) != version:
                        found.append((text, version))
        return found

    def _add_found(self, found: Iterable[tuple[str, Version]]) -> None:
        if self._stopped:
            return  # a walk that ended after stop(): nothing is noticed
        now = self._clock()
        for path, version in found:
            if path not in self._candidates:
                self._candidates[path] = (now, version)

    async def check(self) -> list[FileState]:
        """Stat the candidates; hand out (and return) those stable for the window."""
        if self._dirty_folders:
            folders, self._dirty_folders = self._dirty_folders, set()
            seen = dict(self._seen)
            self._add_found(await self._collect(lambda: self._walk(folders, seen)))
        if not self._candidates:
            return []
        now = self._clock()
        # The executor job gets copies: the loop may change the originals meanwhile.
        snapshot: list[_Snapshot] = [
            (path, version, now - since >= self.stability, self._seen.get(path))
            for path, (since, version) in self._candidates.items()
        ]
        results = await self._collect(lambda: [self._stat(*item) for item in snapshot])
        ready = await self._judge(results, now)
        for index, state in enumerate(ready, 1):
            self._on_ready(state)
            if index % CHECK_BATCH == 0 and index < len(ready):
                await asyncio.sleep(0)  # a turn for the rest of the loop
        return ready

    async def _judge(
        self, results: list[tuple[str, Version | None, bool]], now: float
    ) -> list[FileState]:
        """The candidates' new stats against the old: the files now ready to hand out."""
        ready: list[FileState] = []
        for index, (path, version, done) in enumerate(results, 1):
            if index % CHECK_BATCH == 0:
                await asyncio.sleep(0)
            candidate = self._candidates.get(path)
            if candidate is None:
                continue
            since, previous = candidate
            if version is None:  # vanished (moved away, deleted, renamed by the downloader)
                del self._candidates[path]
            elif previous != version:
                self._candidates[path] = (now, version)
            elif now - since >= self.stability:
                del self._candidates[path]
                self._seen[path] = version
                if not done:
                    ready.append(FileState.at(path, version))
        return ready

    def _stat(
        self, path: str, previous: Version | None, due: bool, seen: Version | None
    ) -> tuple[str, Version | None, bool]:
        """In an executor: a candidate's version, and whether it was dealt with already.

        `due`: stable for the window, if the stat agrees with `previous`.
        """
        try:
            version = _version(os.stat(path))  # noqa: PTH116 (no Path object per file)
        except OSError:
            return path, None, False
        if seen is not None and seen == version:
            return path, version, True  # handed out earlier in this run, unchanged since
        settled = previous == version and due
        return path, version, settled and self._is_handled(FileState.at(path, version))

    async def run(self, check_interval: float, rescan_interval: float) -> None:
        """Drive the watcher on its own (the benchmark and the command line use this)."""
        await self.start()
        next_rescan = self._clock() + rescan_interval
        try:
            while True:
                await asyncio.sleep(check_interval)
                if self._clock() >= next_rescan:
                    next_rescan = self._clock() + rescan_interval
                    await self.rescan()
                await self.check()
        finally:
            await self.stop()


def _stop_observer(observer: BaseObserver) -> None:
    observer.stop()
    observer.join()


def _log_walk_error(err: OSError) -> None:
    _LOGGER.warning("Cannot read %s: %s", err.filename, err.strerror)
