"""Folder watcher: how soon a finished download is noticed, and what watching costs when idle.

Run: `.venv/bin/python -m bench.watcher [--files 50] [--folders 200] [--per-folder 50]
[--idle-seconds 30] [--seed 1]`

Everything happens in a temporary folder under the repository (a disk, not tmpfs), removed at
the end, on one event loop; `FolderWatcher.run` drives the watcher, checking every 0.1 s.
Printed:

- the inotify limits (`max_user_watches`, `max_user_instances`) against the watches the idle
  tree needs (one per folder), and whether a watcher fell back to rescans (`inotify_error`);
- detection latency with inotify (rescan every 1 s) and, as the baseline measured in the same
  run, with rescans only (every 2 s), with the ratio: `--files` files dropped one at a time
  with random gaps of 0.1 to 0.5 s, each in a new release folder, every other one written as
  `.mkv` in one go and the others written as `.part` and renamed to `.mkv` (as download
  clients do); latency runs from the `close()` or the rename to `on_ready`, with a stability
  window of 0 s; median, p95 and max;
- idle cost with `--folders` x `--per-folder` tiny files under watch (10,000 by default), in
  both modes at the integration's default rescan intervals (300 s with inotify, 60 s for
  network shares, which rely on rescans alone), so a 30 s window holds no rescan. Once the
  initial scan settled and every file was handed out (`is_handled` answers from a store of
  handed-out files, as the integration's store does): the initial scan's wall and CPU time,
  CPU time of the whole process (every thread) as a share of wall time over
  `--idle-seconds` (target with inotify: under 1%), process RSS growth from before the
  watcher was made (RSS is the process's: inotify goes first, and the second mode reuses heap
  the first freed, so its figure is understated), the CPU and wall cost of one full rescan
  of every file (the median of five) and the CPU share that rescans add at the default
  interval;
- the watcher's memory by tracemalloc, in a second pass per mode (tracemalloc slows Python
  down, so it stays out of the CPU figures): traced memory once the initial scan settled
  minus traced memory before the watcher was made, less the benchmark's own store set (target
  with inotify: under 10 MB), per file, and the peak during the initial scan.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
from dataclasses import dataclass
import gc
import math
import os
from pathlib import Path
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from typing import TYPE_CHECKING, Any

from custom_components.videodrome.engine.ingest.watcher import FileState, FolderWatcher

if TYPE_CHECKING:
    from collections.abc import Callable

HERE = Path(__file__).resolve().parents[1]
CHECK_INTERVAL = 0.1
LATENCY_RESCAN = {True: 1.0, False: 2.0}  # keyed by "uses inotify"
DEFAULT_RESCAN = {True: 300.0, False: 60.0}  # the integration's defaults
MODE = {True: "inotify", False: "rescans only"}
GAPS = (0.1, 0.5)
PAYLOAD = b"\x1a\x45\xdf\xa3" + b"x" * 60  # a tiny file that starts like Matroska
MIB = 1024 * 1024


class Store:
    """The files handed out so far, as the integration's store records them."""

    def __init__(self, expected: int) -> None:
        # Path text and version, as the integration's SQLite store keeps them (on disk there):
        # not the watcher's FileState objects, so the watcher's own memory can be told apart.
        self.handled: set[tuple[str, int, int, int, int]] = set()
        self.calls = 0
        self.expected = expected
        self.complete = asyncio.Event()  # every expected file was handed out

    def add(self, state: FileState) -> None:
        """`on_ready`: record the file."""
        self.calls += 1
        self.handled.add((str(state.path), state.size, state.mtime_ns, state.inode, state.device))
        if len(self.handled) >= self.expected:
            self.complete.set()

    def is_handled(self, state: FileState) -> bool:
        """`is_handled` (in an executor job): was this version handed out already?"""
        return (
            str(state.path),
            state.size,
            state.mtime_ns,
            state.inode,
            state.device,
        ) in self.handled


def _deep_size(handled: set[tuple[str, int, int, int, int]]) -> int:
    """Bytes of the store's set and everything in it."""
    return sys.getsizeof(handled) + sum(
        sys.getsizeof(entry) + sum(sys.getsizeof(field) for field in entry) for entry in handled
    )


class CountingWatcher(FolderWatcher):
    """A `FolderWatcher` that counts its checks and rescans."""

    def __init__(
        self, roots: list[Path], on_ready: Callable[[FileState], None], **options: Any
    ) -> None:
        """A watcher as `FolderWatcher(roots, on_ready, **options)` makes it."""
        super().__init__(roots, on_ready, **options)
        self.checks = 0
        self.rescans = 0
        self.checked = asyncio.Event()  # start() is done

    async def check(self) -> list[FileState]:
        """Count, then check."""
        self.checks += 1
        self.checked.set()
        return await super().check()

    async def rescan(self) -> None:
        """Count, then rescan."""
        self.rescans += 1
        await super().rescan()


@dataclass(frozen=True, slots=True)
class Latency:
    """Detection latencies of one mode, in seconds."""

    seconds: tuple[float, ...]
    dropped: int
    extra_calls: int
    fallback: OSError | None

    @property
    def median(self) -> float:
        """The median latency."""
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        """The 95th percentile (nearest rank)."""
        ordered = sorted(self.seconds)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]


@dataclass(frozen=True, slots=True)
class Idle:
    """What one mode cost with the tree under watch."""

    scan_wall: float
    scan_cpu: float
    idle_wall: float
    idle_cpu: float
    checks: int
    rescans: int
    rss_after_scan: int  # bytes over the RSS before the watcher was made
    rss_after_idle: int
    rescan_cpu: float  # one full rescan, median
    rescan_wall: float
    fallback: OSError | None


def rss() -> int:
    """The process's resident set size, in bytes."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu() -> float:
    """CPU time of the whole process (every thread, user and system), in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def release_free_memory() -> None:
    """Collect garbage and give free heap back to the system, so RSS starts from a floor."""
    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: RSS figures include whatever the allocator keeps
        return
    libc.malloc_trim(0)


def filesystem_of(path: Path) -> str:
    """The type of the filesystem `path` is on (from /proc/self/mounts)."""
    best, kind = "", "unknown"
    for line in Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines():
        fields = line.split()
        mount = fields[1].replace("\\040", " ")
        inside = os.fspath(path) == mount or os.fspath(path).startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > len(best):
            best, kind = mount, fields[2]
    return kind


def inotify_limit(name: str) -> str:
    """One of /proc/sys/fs/inotify's limits, or why it cannot be read."""
    try:
        return Path("/proc/sys/fs/inotify", name).read_text(encoding="ascii").strip()
    except OSError as err:
        return f"unreadable ({err.strerror})"


async def finish(task: asyncio.Task[None]) -> None:
    """End a `run()` task (which stops the watcher), raising what it raised."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def wait_for(event: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Wait for `event` unless the `run()` task ends first (raising what it raised)."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done():
        await task
        raise RuntimeError("the watcher stopped")


async def settle(watcher: FolderWatcher, store: Store, task: asyncio.Task[None]) -> None:
    """Wait until every file was handed out and nothing is pending."""
    try:
        async with asyncio.timeout(180):
            await wait_for(store.complete, task)
    except TimeoutError:
        raise TimeoutError(f"{len(store.handled)} of {store.expected} handed out") from None
    if watcher.pending:
        raise RuntimeError(f"{watcher.pending} files still pending")


async def latency(base: Path, inotify: bool, files: int, rng: random.Random) -> Latency:
    """Drop files one at a time; time each from its close or rename to `on_ready`."""
    root = base / f"latency-{'inotify' if inotify else 'rescans'}"
    root.mkdir()
    store = Store(files)
    noticed: dict[Path, float] = {}

    def on_ready(state: FileState) -> None:
        noticed.setdefault(state.path, time.perf_counter())
        store.add(state)

    watcher = CountingWatcher(
        [root], on_ready, stability=0.0, use_inotify=inotify, is_handled=store.is_handled
    )
    task = asyncio.create_task(watcher.run(CHECK_INTERVAL, LATENCY_RESCAN[inotify]))
    async with asyncio.timeout(30):
        await wait_for(watcher.checked, task)
    dropped: dict[Path, float] = {}
    try:
        for n in range(files):
            await asyncio.sleep(rng.uniform(*GAPS))
            folder = root / f"Drop.Test.{n:03d}.2024.1080p.WEB-DL.x264-GRP"
            folder.mkdir()
            final = folder / f"{folder.name}.mkv"
            if n % 2:
                partial = folder / f"{final.name}.part"
                with partial.open("wb") as out:
                    out.write(PAYLOAD)
                partial.rename(final)
            else:
                with final.open("wb") as out:
                    out.write(PAYLOAD)
            dropped[final] = time.perf_counter()
        # Files still unnoticed after two rescans more are reported as missed.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2 * LATENCY_RESCAN[inotify] + 2):
                await wait_for(store.complete, task)
        fallback = watcher.inotify_error
    finally:
        await finish(task)
    seconds = tuple(noticed[path] - at for path, at in dropped.items() if path in noticed)
    return Latency(seconds, files, store.calls - len(noticed), fallback)


def make_tree(root: Path, folders: int, per_folder: int) -> None:
    """Release folders of tiny episodes, as a download folder holds them."""
    for f in range(folders):
        folder = root / f"Bench.Show.{f:03d}.S01.1080p.WEB-DL.x264-GRP"
        folder.mkdir(parents=True)
        for e in range(1, per_folder + 1):
            (folder / f"Bench.Show.{f:03d}.S01E{e:02d}.1080p.WEB-DL.x264-GRP.mkv").write_bytes(
                PAYLOAD
            )


async def idle(tree: Path, inotify: bool, files: int, seconds: float) -> Idle:
    """Let the watcher settle over the tree, then measure it doing nothing, then a rescan."""
    release_free_memory()
    rss_before = rss()
    store = Store(files)
    watcher = CountingWatcher(
        [tree], store.add, stability=0.0, use_inotify=inotify, is_handled=store.is_handled
    )
    cpu_started, started = cpu(), time.perf_counter()
    task = asyncio.create_task(watcher.run(CHECK_INTERVAL, DEFAULT_RESCAN[inotify]))
    try:
        await settle(watcher, store, task)
        scan_wall, scan_cpu = time.perf_counter() - started, cpu() - cpu_started
        await asyncio.sleep(1.0)  # the executor's threads go quiet
        rss_after_scan = rss() - rss_before
        checks, rescans = watcher.checks, watcher.rescans
        cpu_idle, idle_started = cpu(), time.perf_counter()
        await asyncio.sleep(seconds)
        idle_wall, idle_cpu = time.perf_counter() - idle_started, cpu() - cpu_idle
        checks, rescans = watcher.checks - checks, watcher.rescans - rescans
        rss_after_idle = rss() - rss_before
        costs: list[tuple[float, float]] = []
        for _ in range(5):
            cpu_rescan, rescan_started = cpu(), time.perf_counter()
            await watcher.rescan()
            costs.append((cpu() - cpu_rescan, time.perf_counter() - rescan_started))
        if watcher.pending or store.calls != files:
            raise RuntimeError("a rescan of unchanged files found something to hand out")
        fallback = watcher.inotify_error
    finally:
        await finish(task)
    return Idle(
        scan_wall,
        scan_cpu,
        idle_wall,
        idle_cpu,
        checks,
        rescans,
        rss_after_scan,
        rss_after_idle,
        statistics.median(c for c, _ in costs),
        statistics.median(w for _, w in costs),
        fallback,
    )


async def traced(tree: Path, inotify: bool, files: int) -> tuple[int, int, int]:
    """Traced growth once settled, its peak during the scan, and the benchmark store's share."""
    release_free_memory()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        store = Store(files)
        watcher = FolderWatcher(
            [tree], store.add, stability=0.0, use_inotify=inotify, is_handled=store.is_handled
        )
        task = asyncio.create_task(watcher.run(CHECK_INTERVAL, DEFAULT_RESCAN[inotify]))
        try:
            await settle(watcher, store, task)
            await asyncio.sleep(1.0)
            gc.collect()
            current, peak = tracemalloc.get_traced_memory()
        finally:
            await finish(task)
        # The store (its set, tuples, strings and integers) is the benchmark's, not the watcher's.
        return current - before, peak - before, _deep_size(store.handled)
    finally:
        tracemalloc.stop()


def ms(seconds: float) -> str:
    """Seconds as milliseconds."""
    return f"{seconds * 1000:.0f} ms"


def print_latency(inotify: bool, result: Latency) -> None:
    """One mode's latency line."""
    label = "inotify" if inotify else "baseline, rescans only"
    print(
        f"  {label} (rescan every {LATENCY_RESCAN[inotify]:g} s): median {ms(result.median)}, "
        f"p95 {ms(result.p95)}, max {ms(max(result.seconds))}; "
        f"{len(result.seconds)}/{result.dropped} noticed, {result.extra_calls} duplicate calls"
    )
    if result.fallback is not None:
        print(f"    inotify FELL BACK to rescans: {result.fallback}")


def print_idle(inotify: bool, result: Idle, seconds: float, *, first: bool) -> None:
    """One mode's idle lines."""
    interval = DEFAULT_RESCAN[inotify]
    share = result.idle_cpu / result.idle_wall * 100
    print(
        f"  {MODE[inotify]} (default rescan every {interval:g} s): initial scan "
        f"{result.scan_wall:.2f} s wall, {result.scan_cpu:.2f} s CPU"
    )
    print(
        f"    idle {result.idle_wall:.1f} s: {share:.3f}% CPU ({ms(result.idle_cpu)}), "
        f"{result.checks} checks, {result.rescans} rescans in the window"
        + ("" if result.rescans else f" (none due within {seconds:g} s)")
    )
    print(
        f"    RSS +{result.rss_after_scan / MIB:.1f} MiB after the initial scan, "
        f"+{result.rss_after_idle / MIB:.1f} MiB after the idle window"
        + ("" if first else " (reuses heap the first pass freed: understated)")
    )
    print(
        f"    one full rescan: {ms(result.rescan_cpu)} CPU ({ms(result.rescan_wall)} wall); "
        f"every {interval:g} s that adds {result.rescan_cpu / interval * 100:.3f}% CPU"
    )
    if result.fallback is not None:
        print(f"    inotify FELL BACK to rescans: {result.fallback}")


async def main_async(
    files: int, folders: int, per_folder: int, idle_seconds: float, seed: int
) -> None:
    """Check the limits, measure latency, build the tree, measure idle cost and memory."""
    rng = random.Random(seed)
    total = folders * per_folder
    with tempfile.TemporaryDirectory(prefix="bench-watcher-", dir=HERE) as folder:
        base = Path(folder)
        print(
            f"watcher: checks every {CHECK_INTERVAL:g} s; temporary folder on "
            f"{filesystem_of(base)} under {HERE}"
        )
        print(
            f"  inotify limits: max_user_watches {inotify_limit('max_user_watches')}, "
            f"max_user_instances {inotify_limit('max_user_instances')}; the idle tree needs "
            f"{folders + 1} watches"
        )
        print(
            f"latency, {files} files one at a time (gaps {GAPS[0]:g} to {GAPS[1]:g} s), each "
            f"in a new folder, half written in one go, half as .part renamed to .mkv; "
            f"stability 0 s; from close/rename to on_ready:"
        )
        results = {mode: await latency(base, mode, files, rng) for mode in (True, False)}
        for mode, result in results.items():
            print_latency(mode, result)
        fast, slow = results[True], results[False]
        print(
            f"  ratio rescans only / inotify: median {slow.median / fast.median:.1f}x, "
            f"p95 {slow.p95 / fast.p95:.1f}x"
        )
        tree = base / "idle"
        started = time.perf_counter()
        await asyncio.to_thread(make_tree, tree, folders, per_folder)
        print(
            f"idle, {total:,} files in {folders} folders x {per_folder} "
            f"(written in {time.perf_counter() - started:.1f} s), every file handed out, "
            f"window {idle_seconds:g} s, checks every {CHECK_INTERVAL:g} s (an upper bound):"
        )
        for n, mode in enumerate((True, False)):
            spent = await idle(tree, mode, total, idle_seconds)
            print_idle(mode, spent, idle_seconds, first=n == 0)
        print("  tracemalloc (a second pass; traced growth to the settled watcher):")
        for mode in (True, False):
            grown, peak, store = await traced(tree, mode, total)
            print(
                f"    {MODE[mode]}: watcher {(grown - store) / MIB:.1f} MiB, "
                f"{(grown - store) / total:.0f} bytes per file (all traced {grown / MIB:.1f} MiB "
                f"less the benchmark's store set {store / MIB:.1f} MiB); peak during the scan "
                f"{peak / MIB:.1f} MiB"
            )


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=50, help="files dropped per mode")
    parser.add_argument("--folders", type=int, default=200)
    parser.add_argument("--per-folder", type=int, default=50)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.files, args.folders, args.per_folder, args.idle_seconds, args.seed))


if __name__ == "__main__":
    main()
