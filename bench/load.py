"""Load: 10,000 files dropped into the ingest folder at once, with the watcher and ingest running.

Run: `.venv/bin/python -m bench.load [--files 10000] [--titles 1500] [--stability 1]
[--idle 5] [--gc-freeze] [--tracemalloc] [--seed 1]`

One event loop runs what the integration runs: the folder watcher (inotify, a check every
0.5 s, the stability window `--stability`), its queue and one worker that hands each ready
file to the ingest service (auto-ingest on, hardlink mode, a SQLite store on disk), which
identifies it (guessit in its own process, asked from the default executor, as in the
integration; `VIDEODROME_GUESSIT_PROCESS=0` reads names in this process instead, for
comparison) against the TMDb emulator in its own process, limited to 40 requests a second as
TMDb is. Plex is left out of the loop: its scan and match
check after each transfer (see the README's Known limitations) would measure the Plex
emulator, not Videodrome. Files are tiny,
named like releases (films in one or two releases, the rest episodes, from a synthetic
catalogue the emulator serves), in release and season folders, under a temporary folder in
the repository (a disk, not tmpfs). Printed:

- every file accounted for: the store's rows by status, and files with no row (lost: must be
  0); the watcher's pending count and the queue at the end;
- wall time from the first file written to the last one recorded, and files per second;
- memory: process RSS before the drop, at its peak (sampled every 0.2 s, and the kernel's
  high-water mark) and at the end; with `--tracemalloc`, Python's traced peak (slower); the
  guessit process's RSS at the end;
- the event loop's lateness, measured by a 5 ms ticker: longest stall, the longest that no
  garbage collection overlapped, the 99th percentile, and garbage collections (count per
  generation, longest full collection), timed with `gc.callbacks`;
- the baseline in the same run: the same ticker on the same loop, watcher started and idle,
  for `--idle` seconds before the drop;
- whether the target (no stall over 50 ms under load) was met.

`--gc-freeze` calls `gc.freeze()` once guessit is warmed up, as an experiment: objects that
exist then are never scanned again by the collector (see the README for why the integration
does not do this).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass
import gc
import os
from pathlib import Path
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings

import aiohttp

from bench._common import LoopMonitor, tmdb_emulator
from bench.throughput import make_library
from custom_components.videodrome.engine.identify.guessit_process import GuessitProcesses
from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import Settings
from custom_components.videodrome.engine.ingest.service import IngestService
from custom_components.videodrome.engine.ingest.transfer import TransferMode
from custom_components.videodrome.engine.ingest.watcher import FileState, FolderWatcher
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.tmdb.client import TMDbClient

HERE = Path(__file__).resolve().parents[1]
KEY = "bench-key"
RATE = 40.0
CHECK_INTERVAL = 0.5
MIB = 1024 * 1024
STALL_TARGET = 0.050  # the target: the event loop never stalled more than 50 ms


def rss(pid: int | str = "self") -> int:
    """A process's resident set size (this one's by default), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def relative_path(name: str) -> str:
    """Where a download client would put the file: a release folder, or show/season."""
    if ".S" in name and (marker := name.split(".S", 1)[1][:2]).isdigit():
        show = name.split(".S", 1)[0]
        return f"{show}/Season {int(marker):02d}/{name}"
    return f"{name.removesuffix('.mkv')}/{name}"


def drop(ingest: Path, names: tuple[str, ...]) -> list[Path]:
    """Write every file (tiny, Matroska-like), as fast as the disk allows. Blocking."""
    written: list[Path] = []
    for name in names:
        path = ingest / relative_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x1a\x45\xdf\xa3" + name.encode()[:60])
        written.append(path)
    return written


@dataclass(slots=True)
class Runtime:
    """The watcher, its queue and worker, and the ingest service: the integration's runtime."""

    watcher: FolderWatcher
    service: IngestService
    queue: asyncio.Queue[str]  # path text, as the integration queues them
    handled: int = 0
    errors: int = 0

    async def work(self) -> None:
        """One file at a time, as the integration's worker."""
        while True:
            path = await self.queue.get()
            try:
                await self.service.ingest(Path(path), auto=True)
            except Exception as err:  # noqa: BLE001 (counted; the run goes on)
                self.errors += 1
                print(f"    error for {path}: {err!r}")
            finally:
                self.handled += 1
                self.queue.task_done()


async def run(args: argparse.Namespace) -> None:
    """Build, drop, wait, print."""
    library = make_library(args.files, args.titles, random.Random(args.seed))
    names = library.files
    print(
        f"load: {len(names)} files ({sum('.S' in n for n in names)} episodes), "
        f"{args.titles} titles; TMDb emulator in its own process at {RATE:.0f} requests/s; "
        f"Python {sys.version.split()[0]}, gc thresholds {gc.get_threshold()}"
    )
    await asyncio.to_thread(parse, "Warm.Up.2000.mkv")  # guessit builds its rules once
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
        print(f"  gc.freeze(): {gc.get_freeze_count()} objects frozen")
    with tempfile.TemporaryDirectory(prefix="bench-load-", dir=HERE) as folder:
        base = Path(folder)
        for sub in ("ingest", "movies", "tv"):
            (base / sub).mkdir()
        process, url = await tmdb_emulator(library.document, base, api_key=KEY, rate=RATE)
        store = Store(base / "videodrome.db")
        try:
            async with aiohttp.ClientSession() as session:
                await measure(args, base, names=names, url=url, session=session, store=store)
        finally:
            store.close()
            process.terminate()
            await process.wait()


async def measure(  # noqa: PLR0915 (one run, measured step by step)
    args: argparse.Namespace,
    base: Path,
    *,
    names: tuple[str, ...],
    url: str,
    session: aiohttp.ClientSession,
    store: Store,
) -> None:
    """The run itself."""
    tmdb = TMDbClient(session, api_key=KEY, base_url=url, store=store, rate=RATE)
    guessit = GuessitProcesses()  # as the integration runs it (VIDEODROME_GUESSIT_PROCESS)
    identifier = Identifier(tmdb, guessit=guessit.lane("ingest"))
    settings = Settings((base / "ingest",), base / "movies", base / "tv", TransferMode.HARDLINK)
    pipeline = Pipeline(identifier, settings)
    service = IngestService(store, pipeline, identifier, tmdb, None, run_blocking=asyncio.to_thread)
    queue: asyncio.Queue[str] = asyncio.Queue()

    def is_handled(state: FileState) -> bool:
        found = store.find_handled(
            str(state.path), state.size, state.mtime_ns, state.device, state.inode
        )
        return found is not None

    watcher = FolderWatcher(
        [base / "ingest"],
        lambda state: queue.put_nowait(os.fspath(state.path)),
        stability=args.stability,
        is_handled=is_handled,
    )
    runtime = Runtime(watcher, service, queue)
    driver = asyncio.create_task(watcher.run(CHECK_INTERVAL, 300.0))
    worker = asyncio.create_task(runtime.work())
    peak = 0

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss())
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    try:
        with LoopMonitor() as idle:
            await asyncio.sleep(args.idle)
        gc.collect()
        before = rss()
        if args.tracemalloc:
            tracemalloc.start()
        with LoopMonitor() as busy:
            started = time.perf_counter()
            written = await asyncio.to_thread(drop, base / "ingest", names)
            dropped = time.perf_counter() - started
            total = len(written)
            while True:
                await asyncio.sleep(0.5)
                counts: dict[str, int] = await asyncio.to_thread(store.counts)
                if sum(counts.values()) >= total and queue.qsize() == 0 and not watcher.pending:
                    break
                if time.perf_counter() - started > args.timeout:
                    print(f"  timed out after {args.timeout:.0f} s: {counts}")
                    break
            wall = time.perf_counter() - started
        traced = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        tracemalloc.stop()
        after = rss()
        sources = {item.source for item in await asyncio.to_thread(store.history, limit=10 * total)}
        lost = [p for p in written if str(p) not in sources]
        statuses = Counter(
            item.status for item in await asyncio.to_thread(store.history, limit=10 * total)
        )
    finally:
        for task in (sampler, worker, driver):
            task.cancel()
        await asyncio.gather(sampler, worker, driver, return_exceptions=True)
        child = guessit.lane("ingest").pid
        child_rss = rss(child) if child is not None else 0
        await asyncio.to_thread(guessit.close)
    print(f"  accounted for: {dict(sorted(statuses.items()))}; lost: {len(lost)} of {total}")
    print(
        f"    at the end: watcher pending {watcher.pending}, queue {queue.qsize()}, "
        f"worker errors {runtime.errors}; TMDb requests {tmdb.stats.requests}"
    )
    print(
        f"  wall: {wall:.1f} s from the first file written to the last recorded "
        f"({total / wall:.0f} files/s; writing them took {dropped:.1f} s)"
    )
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"  memory: RSS {before / MIB:.0f} MiB before the drop, peak {peak / MIB:.0f} MiB "
        f"(+{(peak - before) / MIB:.0f} MiB; kernel high-water mark {maxrss / MIB:.0f} MiB), "
        f"{after / MIB:.0f} MiB at the end"
        + (f"; tracemalloc peak {traced / MIB:.1f} MiB" if traced is not None else "")
    )
    print(
        f"  guessit's process (pid {child}): RSS {child_rss / MIB:.0f} MiB at the end"
        if child is not None
        else "  guessit ran in this process (VIDEODROME_GUESSIT_PROCESS=0 or it could not start)"
    )
    for label, monitor in (("baseline (idle, same loop)", idle), ("under load", busy)):
        by_generation = monitor.by_generation()
        generations = ", ".join(
            f"gen{g}: {n} (longest {longest * 1000:.1f} ms)"
            for g in range(3)
            for n, longest in [by_generation.get(g, (0, 0.0))]
        )
        print(
            f"  event loop {label}: longest stall {monitor.longest() * 1000:.1f} ms, "
            f"without a GC {monitor.longest_without_gc() * 1000:.1f} ms, p99 "
            f"{monitor.percentile(0.99) * 1000:.1f} ms, median "
            f"{statistics.median(late for _, late in monitor.late) * 1000:.2f} ms over "
            f"{len(monitor.late)} ticks; collections {generations}"
        )
    verdict = "met" if busy.longest() <= STALL_TARGET else "NOT met"
    print(f"  target: no stall over {STALL_TARGET * 1000:.0f} ms under load: {verdict}")
    print(f"  objects tracked by the GC at the end: {len(gc.get_objects()):,}")


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--titles", type=int, default=1500)
    parser.add_argument("--stability", type=float, default=1.0)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gc-freeze", action="store_true")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)
    # watchdog warns when a watch is added twice for a folder created under a busy watch
    # (its own bookkeeping, harmless); thousands of new folders make that line a flood.
    warnings.filterwarnings("ignore", "Callback with id", RuntimeWarning)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
