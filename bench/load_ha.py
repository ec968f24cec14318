"""Load inside Home Assistant: 10,000 files dropped into the ingest folder of a real instance.

Run: `.venv/bin/python -m bench.load_ha [--files 10000] [--titles 1500] [--seed 1] [--idle 10]
[--plex-poll 0.02] [--timeout 3600] [--after 300] [--keep] [--census] [--promotions]
[--gc-freeze]`

`bench/load.py` measures the engine alone in a bare event loop; this runs the same load through
a real Home Assistant process (`tests/e2e/stack.py`: `python -m homeassistant` with Videodrome
linked in, the Plex and TMDb emulators as processes on loopback, and `scripts/demo_bootstrap.py`
adding the server through the config flow: auto-ingest on, hardlink mode, a 10 s stability
window), with everything the integration runs around the engine: its entities, bus events,
dispatcher signals, review queue, repairs, Plex's scan and match check after every transfer,
and Home Assistant's recorder, history and logbook. The TMDb emulator serves the synthetic
catalogue of `bench.throughput.make_library` (limited to 40 requests a second, as TMDb is);
the Plex emulator has Movies and TV Shows sections over the media folders, matching against
the same catalogue. Files are named and laid out as in `bench/load.py`, under a temporary
folder in the repository (a disk, not tmpfs).

The measuring is done inside Home Assistant by `loop_probe`, a tiny custom integration the
bench writes into the temporary config folder (not a real integration of this repository): a
5 ms ticker on Home Assistant's event loop, `gc.callbacks` timing every collection (in every
thread), a watchdog thread that samples the event loop thread's stack while a tick is over
25 ms late (what was running during a stall), and `GET /api/loop_probe` (JSON) /
`POST /api/loop_probe/reset` (a new window), authenticated. With `loop_probe: plex_poll:` it
also shortens how often Videodrome polls Plex's activities after a scan (shipped: 1 s, the
first poll after 0.2 s): Plex's scan and match check still run for every file, but the
0.2 s sleep per file would otherwise make 10,000 files take over half an hour and spread the
same work thinner; `--plex-poll 1` runs it as shipped.

Printed:

- files dropped, titles, seed, Python version;
- every file accounted for: Videodrome's store's rows by status and by Plex status (read
  read-only from the bench's process), and files with no row (lost: must be 0);
- wall time from the first file written to the last row recorded, and files per second;
- memory: Home Assistant's RSS before the drop, at its peak (sampled every 0.5 s from
  /proc) and at the end; the guessit process's RSS at the end;
- the event loop: baseline (`--idle` seconds after setup, before the drop) and under load:
  longest stall, the longest that no garbage collection overlapped, p99, median, ticks over
  20 ms and 50 ms, collections per generation with the longest, the longest stalls (and the
  collections overlapping them), and the stacks the watchdog saw most during stalls;
- the load's window kept open after the load until a full collection has run (at most
  `--after` seconds more): a full collection made due by the burst may run there, once it is
  over;
- what the middle collections moved to the oldest generation (during the load, after it),
  against what starts a full collection: a quarter of what the last one kept. The probe runs
  one full collection just before the drop, so the count starts from nothing (in a Home
  Assistant that has run for a while it starts anywhere below the quarter), and prints how
  long it took: what a full collection of this heap costs;
- warnings and errors in Home Assistant's log;
- whether the target was met: no stall over 50 ms under load, nor in the window after it.

Diagnostics (off by default): `--census` counts Home Assistant's tracked objects by type before
and after the load (what stayed); `--promotions` traces allocations (tracemalloc: several times
slower) and, before each middle collection, counts the young objects by where they were
allocated (what the collection moves to the oldest generation, whose growth by a quarter
triggers a full collection); `--gc-freeze` is an experiment, not Videodrome's behaviour:
`gc.collect()` and `gc.freeze()` in Home Assistant's process just before the drop, what a host
process could do to keep its startup heap out of full collections.
"""

from __future__ import annotations

import argparse
from collections import Counter
from contextlib import closing, suppress
import json
import os
from pathlib import Path
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from typing import Any

from bench.load import MIB, STALL_TARGET, drop, rss
from bench.throughput import make_library
from tests.e2e.stack import ROOT, Stack

RATE = 40.0
SAMPLE_INTERVAL = 0.5
POLL_INTERVAL = 1.0
UNFINISHED = {"pending", "transferring"}

PROBE_MANIFEST = {
    "domain": "loop_probe",
    "name": "Loop probe (bench/load_ha.py)",
    "version": "0.0.1",
    "documentation": "https://example.invalid/loop_probe",
    "codeowners": [],
    "dependencies": ["http"],
    "requirements": [],
    "iot_class": "local_push",
}

PROBE = '''"""How late a 5 ms ticker wakes up on Home Assistant's event loop (bench/load_ha.py)."""

from __future__ import annotations

from array import array
import asyncio
import bisect
from collections import Counter
import gc
import os
from pathlib import Path
import statistics
import sys
import threading
import time
import traceback
import tracemalloc

import voluptuous as vol

from homeassistant.components.http import HomeAssistantView
from homeassistant.core import HomeAssistant

DOMAIN = "loop_probe"
TICK = 0.005
STALL_SAMPLE = 0.025  # the watchdog samples the loop's stack past this lateness
WATCH_INTERVAL = 0.010
CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Any(
            None,
            {
                vol.Optional("plex_poll"): vol.Coerce(float),
                vol.Optional("promotions"): bool,
            },
        )
    },
    extra=vol.ALLOW_EXTRA,
)


# Where idle threads wait (executor workers, timers, watchdog's observer between events).
IDLE = {
    "_worker", "wait", "select", "poll", "read_events", "_wait_for_tstate_lock", "get",
    "_run_safe_shutdown_loop", "dequeue", "_check_inotify_fd", "_run_event_loop",
}


def _describe(frame, depth: int) -> str:
    frames = traceback.extract_stack(frame)[-depth:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))


def _origin(trace, kind: str) -> str:
    if trace is None:
        return f"? {kind}"
    frames = list(reversed(trace))  # innermost first
    for marker in ("custom_components/videodrome/", "homeassistant/", "site-packages/"):
        for frame in frames:
            if marker in frame.filename:
                where = frame.filename.split(marker, 1)[1]
                return f"{marker.split('/')[-2]}/{where}:{frame.lineno} {kind}"
    frame = frames[0]
    return f"{Path(frame.filename).name}:{frame.lineno} {kind}"


def _rss(pid: int | str = "self") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Probe:
    def __init__(self) -> None:
        self.loop_thread = threading.get_ident()
        self.began = array("d")  # when each sleep began
        self.late = array("d")  # how late it woke up
        self.collections: list[tuple[float, float, int, bool]] = []  # start, end, gen, in loop
        self._started: dict[int, tuple[float, int]] = {}
        self.window = time.perf_counter()
        self.last = time.perf_counter()  # when the ticker last ran
        self.stacks: Counter[str] = Counter()
        self.others: Counter[str] = Counter()  # other threads running Python meanwhile
        self.stall_samples = 0
        self.queues: dict[str, int] = {}  # Videodrome's queues: now, and the peak in the window
        self.census_before: Counter[str] | None = None  # objects by type when the window began
        # With `promotions`: where the young objects a middle collection moves to the oldest
        # generation were allocated (tracemalloc), summed over the window's middle collections.
        self.promotions: Counter[str] | None = None
        # Each middle collection: when, and how many young objects it moved to the oldest
        # generation (at most: the young ones it did not collect).
        self.middles: list[tuple[float, int]] = []
        self._young: dict[int, int] = {}
        self.settle: dict | None = None  # the full collection run just before the drop
        self.mark: dict | None = None  # where the load ended in this window

    def reset(self) -> None:
        self.middles = []
        self.mark = None
        self.began = array("d")
        self.late = array("d")
        self.collections = []
        self.stacks = Counter()
        self.others = Counter()
        self.stall_samples = 0
        self.queues = {}
        if self.promotions is not None:
            self.promotions = Counter()
        self.window = time.perf_counter()

    def gc_callback(self, phase: str, info: dict) -> None:
        thread = threading.get_ident()
        if phase == "start":
            generation = int(info.get("generation", -1))
            if generation == 1 and self.promotions is not None:
                self.count_promotions()
            if generation == 1:
                self._young[thread] = len(gc.get_objects(0)) + len(gc.get_objects(1))
            self._started[thread] = (time.perf_counter(), generation)
        elif thread in self._started:
            start, generation = self._started.pop(thread)
            if generation == 1 and thread in self._young:
                moved = self._young.pop(thread) - int(info.get("collected", 0))
                self.middles.append((start, moved))
            self.collections.append(
                (start, time.perf_counter(), generation, thread == self.loop_thread)
            )

    def count_promotions(self) -> None:
        """Before a middle collection: the young objects (what survives moves to the oldest
        generation), each by the place that allocated it (the innermost frame of Videodrome,
        else of Home Assistant, else of any library)."""
        assert self.promotions is not None
        for generation in (0, 1):
            for obj in gc.get_objects(generation):
                trace = tracemalloc.get_object_traceback(obj)
                self.promotions[_origin(trace, type(obj).__name__)] += 1

    async def tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            self.last = now = time.perf_counter()
            self.began.append(before)
            self.late.append(now - before - TICK)

    async def sample_queues(self, hass: HomeAssistant) -> None:
        """Every 0.5 s: Videodrome's Plex notification queue (the library index) and watcher."""
        while True:
            await asyncio.sleep(0.5)
            for entry in hass.config_entries.async_entries("videodrome"):
                data = getattr(entry, "runtime_data", None)
                library = getattr(data, "library", None)
                watcher = getattr(data, "watcher", None)
                now = {
                    "library_notifications": library.queue.qsize() if library else 0,
                    "watcher_waiting": watcher.waiting if watcher else 0,
                }
                for key, value in now.items():
                    self.queues[key] = value
                    peak = f"{key}_peak"
                    self.queues[peak] = max(self.queues.get(peak, 0), value)

    def watch(self) -> None:
        """A thread: while the ticker is late, which code holds the event loop."""
        while True:
            time.sleep(WATCH_INTERVAL)
            if time.perf_counter() - self.last < TICK + STALL_SAMPLE:
                continue
            current = sys._current_frames()
            frame = current.get(self.loop_thread)
            if frame is None:
                continue
            self.stacks[_describe(frame, 8)] += 1
            self.stall_samples += 1
            me = threading.get_ident()
            for ident, other in current.items():
                if ident not in {me, self.loop_thread} and other.f_code.co_name not in IDLE:
                    self.others[_describe(other, 4)] += 1

    def report(
        self,
        began: array,
        late: array,
        collections: list,
        light: bool = False,
        middles: list | None = None,
        until: float | None = None,
    ) -> dict:
        """Figures over one window (a snapshot; computed in an executor job). `light`: without
        counting the tracked objects (that holds the GIL for tens of milliseconds); `until`:
        the window's end, if not now."""
        ordered = sorted(late)
        spans = sorted((a, b) for a, b, _, _ in collections)
        starts = [a for a, _ in spans]

        def overlapping(start: float, lateness: float) -> list[tuple[float, float]]:
            end = start + TICK + lateness
            i = bisect.bisect_left(starts, end)
            return [(a, b) for a, b in spans[max(0, i - 50) : i] if b > start]

        without_gc = 0.0
        for start, lateness in zip(began, late, strict=True):
            if lateness > without_gc and not overlapping(start, lateness):
                without_gc = lateness
        worst = sorted(zip(late, began, strict=True), reverse=True)[:10]
        generation_of = {(a, b): (g, in_loop) for a, b, g, in_loop in collections}
        longest = []
        for lateness, start in worst:
            gcs = [
                {"generation": generation_of[(a, b)][0], "in_loop": generation_of[(a, b)][1],
                 "ms": round((b - a) * 1000, 1)}
                for a, b in overlapping(start, lateness)
            ]
            longest.append({
                "ms": round(lateness * 1000, 1),
                "at_s": round(start - self.window, 1),
                "gc": gcs,
            })
        generations: dict[str, dict] = {}
        for a, b, generation, in_loop in collections:
            entry = generations.setdefault(
                str(generation), {"count": 0, "longest_ms": 0.0, "in_loop": 0}
            )
            entry["count"] += 1
            entry["in_loop"] += in_loop
            entry["longest_ms"] = max(entry["longest_ms"], round((b - a) * 1000, 1))
        return {
            "ticks": len(ordered),
            "seconds": round((until or time.perf_counter()) - self.window, 1),
            "longest_ms": ordered[-1] * 1000 if ordered else 0.0,
            "longest_without_gc_ms": without_gc * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
            if ordered else 0.0,
            "median_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
            "over_20ms": sum(1 for x in ordered if x > 0.020),
            "over_50ms": sum(1 for x in ordered if x > 0.050),
            "collections": dict(sorted(generations.items())),
            "longest_stalls": longest,
            "stall_samples": self.stall_samples,
            "stall_stacks": self.stacks.most_common(12),
            "other_threads": self.others.most_common(12),
            "queues": dict(self.queues),
            "promotions": self.promotions.most_common(40) if self.promotions else [],
            "promoted": sum(self.promotions.values()) if self.promotions else 0,
            "gc_threshold": gc.get_threshold(),
            "gc_objects": None if light else len(gc.get_objects()),
            "gc_frozen": gc.get_freeze_count(),
            "middles": [
                (round(t - self.window, 1), moved)
                for t, moved in (self.middles if middles is None else middles)
            ],
            "settle": self.settle,
            "pid": os.getpid(),
            "rss": _rss(),
        }


def census() -> Counter[str]:
    """Objects tracked by the collector, by type (a stall of its own: taken between windows)."""
    return Counter(
        f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects()
    )


def _guessit_child(hass: HomeAssistant) -> dict:
    """Ingest's guessit process (Videodrome's, in hass.data), if one runs."""
    try:
        from custom_components.videodrome.guessit import DATA_GUESSIT

        pid = hass.data[DATA_GUESSIT].processes.lane("ingest").pid
    except Exception:  # noqa: BLE001
        return {"pid": None, "rss": 0}
    return {"pid": pid, "rss": _rss(pid) if pid else 0}


class ProbeView(HomeAssistantView):
    url = "/api/loop_probe"
    name = "api:loop_probe"
    requires_auth = True

    def __init__(self, probe: Probe) -> None:
        self.probe = probe

    async def get(self, request):
        hass = request.app["hass"]
        probe = self.probe
        if request.query.get("fulls"):
            # Only how many full collections ran: sorting the window's ticks for a report
            # holds the GIL for tens of milliseconds, inside the window being measured.
            return self.json({"fulls": sum(1 for c in probe.collections if c[2] == 2)})
        if request.query.get("mark"):
            # Where the load ends, without a report (taken once the window is closed).
            probe.mark = {
                "ticks": len(probe.began),
                "collections": len(probe.collections),
                "middles": len(probe.middles),
                "at": time.perf_counter(),
                "gc_threshold": gc.get_threshold(),
                "queues": dict(probe.queues),
            }
            return self.json({"marked": True})
        light = bool(request.query.get("light"))
        mark = probe.mark if request.query.get("upto") else None
        if mark is None:
            snapshot = (array("d", probe.began), array("d", probe.late), list(probe.collections))
            report = await hass.async_add_executor_job(probe.report, *snapshot, light)
        else:
            ticks, count = mark["ticks"], mark["collections"]
            snapshot = (probe.began[:ticks], probe.late[:ticks], probe.collections[:count])
            report = await hass.async_add_executor_job(
                probe.report, *snapshot, light, probe.middles[: mark["middles"]], mark["at"]
            )
            report |= {k: mark[k] for k in ("gc_threshold", "queues")}
        if not light:
            report["guessit"] = await hass.async_add_executor_job(_guessit_child, hass)
        if request.query.get("census") and probe.census_before is not None:
            grown = census()
            grown.subtract(probe.census_before)
            report["census_growth"] = [
                (name, count) for name, count in grown.most_common(25) if count > 0
            ]
        return self.json(report)


class ResetView(HomeAssistantView):
    url = "/api/loop_probe/reset"
    name = "api:loop_probe:reset"
    requires_auth = True

    def __init__(self, probe: Probe) -> None:
        self.probe = probe

    async def post(self, request):
        if request.query.get("settle"):
            # One full collection now: nothing is counted toward the next one when the load
            # begins, and its length is what a full collection of this process costs.
            began = time.perf_counter()
            gc.collect()
            ms = (time.perf_counter() - began) * 1000
            self.probe.settle = {"ms": round(ms, 1), "kept": len(gc.get_objects())}
            await asyncio.sleep(0.1)
        if request.query.get("census"):
            self.probe.census_before = census()
            await asyncio.sleep(0.1)  # the census's own stall stays out of the window
        if request.query.get("freeze"):
            # The experiment of `--gc-freeze`: what the host process could do, not Videodrome.
            gc.collect()
            gc.freeze()
            await asyncio.sleep(0.1)
        self.probe.reset()
        return self.json({"reset": True})


def _plex_poll(seconds: float) -> None:
    from custom_components.videodrome.engine.plex import scan

    scan.PlexSync.__init__.__kwdefaults__["poll_interval"] = seconds


async def async_setup(hass: HomeAssistant, config: dict) -> bool:
    probe = Probe()
    options = config.get(DOMAIN) or {}
    if options.get("promotions"):
        tracemalloc.start(25)
        probe.promotions = Counter()
    gc.callbacks.append(probe.gc_callback)
    hass.async_create_background_task(probe.tick(), "loop_probe ticker")
    hass.async_create_background_task(probe.sample_queues(hass), "loop_probe queues")
    threading.Thread(target=probe.watch, name="loop_probe watchdog", daemon=True).start()
    hass.http.register_view(ProbeView(probe))
    hass.http.register_view(ResetView(probe))
    if "plex_poll" in options:
        await hass.async_add_executor_job(_plex_poll, options["plex_poll"])
    return True
'''


class LoadStack(Stack):
    """The e2e stack on the bench's catalogue, with the probe and the recorder configured."""

    def __init__(
        self,
        base: Path,
        document: dict[str, Any],
        plex_poll: float,
        *,
        promotions: bool = False,
    ) -> None:
        super().__init__(base)
        self.plex_poll = plex_poll
        self.promotions = promotions
        catalogue = base / "catalogue.json"
        catalogue.write_text(json.dumps(document), encoding="utf-8")
        sections = [
            {"title": "Movies", "type": "movie", "locations": ["Movies"], "key": 1},
            {"title": "TV Shows", "type": "show", "locations": ["TV Shows"], "key": 2},
        ]
        library = base / "plex-library.json"
        library.write_text(
            json.dumps({"catalogue": str(catalogue), "sections": sections}), encoding="utf-8"
        )
        self.plex_library = str(library)
        self.tmdb_args = ("--catalog", str(catalogue), "--rate-limit", str(RATE))

    def _write_config(self) -> None:
        super()._write_config()
        # A regular package (not a namespace one), or the repository's custom_components
        # folder (Home Assistant's working directory) would hide the config folder's.
        (self.config / "custom_components" / "__init__.py").write_text("", encoding="utf-8")
        probe = self.config / "custom_components" / "loop_probe"
        probe.mkdir()
        (probe / "manifest.json").write_text(json.dumps(PROBE_MANIFEST), encoding="utf-8")
        (probe / "__init__.py").write_text(PROBE, encoding="utf-8")
        yaml = self.config / "configuration.yaml"
        text = yaml.read_text(encoding="utf-8")
        # Videodrome logs at its default level (the e2e stack's debug would log every file).
        text = text.replace("custom_components.videodrome: debug", "custom_components: warning")
        text += f"recorder:\nhistory:\nlogbook:\nloop_probe:\n  plex_poll: {self.plex_poll}\n"
        if self.promotions:
            text += "  promotions: true\n"
        yaml.write_text(text, encoding="utf-8")

    @property
    def ha_pid(self) -> int:
        """Home Assistant's process id."""
        return self.pids()["homeassistant"]

    def pids(self) -> dict[str, int]:
        """The stack's processes by name."""
        return {name: process.pid for name, process in self._processes}

    def store(self) -> Path:
        """Videodrome's SQLite store (one entry)."""
        found = sorted((self.config / ".storage").glob("videodrome_*.db"))
        if len(found) != 1:
            raise LookupError(f"expected one Videodrome store, found {found}")
        return found[0]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process (and its waited-for children) has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def read_store(path: Path, query: str) -> list[tuple[Any, ...]]:
    """Rows from Videodrome's store, opened read-only (Home Assistant keeps writing)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        return db.execute(query).fetchall()


class Sampler(threading.Thread):
    """Home Assistant's RSS every 0.5 s, from /proc (outside its process)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_INTERVAL):
            with suppress(OSError):
                self.peak = max(self.peak, rss(self.pid))


def describe(label: str, report: dict[str, Any]) -> None:
    """One window's figures."""
    collections = report["collections"]
    generations = ", ".join(
        f"gen{g}: {c['count']} ({c['in_loop']} in the loop's thread; "
        f"longest {c['longest_ms']:.1f} ms)"
        for g in ("0", "1", "2")
        for c in [collections.get(g, {"count": 0, "in_loop": 0, "longest_ms": 0.0})]
    )
    print(
        f"  event loop {label}: longest stall {report['longest_ms']:.1f} ms, without a GC "
        f"{report['longest_without_gc_ms']:.1f} ms, p99 {report['p99_ms']:.1f} ms, median "
        f"{report['median_ms']:.2f} ms over {report['ticks']} ticks ({report['seconds']:.0f} s); "
        f"ticks over 20 ms: {report['over_20ms']}, over 50 ms: {report['over_50ms']}"
    )
    print(f"    collections {generations}")
    stalls = "; ".join(
        f"{s['ms']:.0f} ms at {s['at_s']:.0f} s"
        + (
            " (GC "
            + ", ".join(f"gen{g['generation']} {g['ms']:.0f} ms" for g in s["gc"] if g["ms"] >= 1)
            + ")"
            if any(g["ms"] >= 1 for g in s["gc"])
            else ""
        )
        for s in report["longest_stalls"][:5]
    )
    print(f"    longest stalls: {stalls}")


def describe_stacks(report: dict[str, Any]) -> None:
    """What the watchdog saw holding the event loop during stalls."""
    print(
        f"  watchdog: {report['stall_samples']} samples of the event loop's stack while a tick "
        "was over 25 ms late; the most frequent (innermost first):"
    )
    for stack, count in report["stall_stacks"][:8]:
        print(f"    {count:5d}  {stack}")
    print("  other threads running Python code in those samples (innermost first):")
    for stack, count in report["other_threads"][:6]:
        print(f"    {count:5d}  {stack}")


def log_lines(stack: LoadStack, since: float) -> tuple[int, int, list[str]]:
    """Warnings and errors in Home Assistant's log from `since` (a time), and a few of them."""
    path = stack.logs / "homeassistant.log"
    start = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since))
    lines = [
        line
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if line[:19] >= start and line[:2] == "20"
    ]
    warnings = [line for line in lines if " WARNING " in line]
    errors = [line for line in lines if " ERROR " in line]
    return len(warnings), len(errors), (errors + warnings)[:5]


def wait_after(stack: LoadStack, seconds: float) -> dict[str, Any]:
    """The load's window, kept open after the load until a full collection has run (at most
    `seconds` more): a full collection the burst made due runs there, and is counted."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(5.0)
        if stack.api("GET", "/api/loop_probe?fulls=1")["fulls"]:
            break
    report: dict[str, Any] = stack.api("GET", "/api/loop_probe?light=1")
    return report


def describe_after(busy: dict[str, Any], after: dict[str, Any]) -> None:
    """The collections of the load and of the window after it."""
    describe_middles(after, busy["seconds"])
    fulls = after["collections"].get("2")
    describe("from the drop until a full collection ran (or --after) after the load", after)
    if fulls:
        print(
            f"    full collections in that window: {fulls['count']}, longest "
            f"{fulls['longest_ms']:.1f} ms (the load's window ended at {busy['seconds']:.0f} s)"
        )
    else:
        print("    no full collection ran in this window")
    if after["stall_samples"]:
        describe_stacks(after)


def describe_middles(report: dict[str, Any], load_ended: float) -> None:
    """What the middle collections moved to the oldest generation, against what starts a full
    collection: a quarter of what the last full one kept (the one just before the drop)."""
    middles = report["middles"]
    during = [m for t, m in middles if t <= load_ended]
    later = [m for t, m in middles if t > load_ended]
    fulls = report["collections"].get("2", {}).get("count", 0)
    print(
        f"  middle collections from the drop on: {len(middles)}, moving (at most) "
        f"{sum(during):,} objects to the oldest generation in {len(during)} during the load, "
        f"{sum(later):,} in {len(later)} after it"
    )
    settle = report.get("settle")
    if settle:
        quarter = settle["kept"] // 4
        moved = sum(m for _, m in middles)
        print(
            f"    the full collection run just before the drop took {settle['ms']:.1f} ms and "
            f"kept {settle['kept']:,} objects: the next one starts once middle collections "
            f"have moved a quarter of that, {quarter:,}; moved from the drop on: {moved:,} "
            f"({100 * moved / quarter:.0f} %)"
            + (f"; {fulls} full collection(s) ran, which start the count again" if fulls else "")
        )


def describe_extras(args: argparse.Namespace, busy: dict[str, Any]) -> None:
    """What `--gc-freeze`, `--promotions` and `--census` add."""
    if args.gc_freeze:
        print(
            f"  EXPERIMENT --gc-freeze: gc.collect() and gc.freeze() in Home Assistant's process "
            f"before the drop ({busy['gc_frozen']:,} objects frozen); not what Videodrome does"
        )
    if busy.get("promotions"):
        print(
            f"  young objects at the middle collections (moved to the oldest generation unless "
            f"garbage): {busy['promoted']:,}, by where they were allocated:"
        )
        for name, count in busy["promotions"]:
            print(f"    {count:>8,}  {name}")
    if "census_growth" in busy:
        print("  objects tracked by Home Assistant's GC, growth over the load by type:")
        for name, count in busy["census_growth"]:
            print(f"    {count:>8,}  {name}")


def run(args: argparse.Namespace, base: Path) -> None:  # noqa: PLR0915 (one run, step by step)
    """Start, measure idle, drop, wait, measure, print."""
    library = make_library(args.files, args.titles, random.Random(args.seed))
    names = library.files
    print(
        f"load in Home Assistant: {len(names)} files ({sum('.S' in n for n in names)} episodes),"
        f" {args.titles} titles, seed {args.seed}; TMDb emulator at {RATE:.0f} requests/s; "
        f"Plex activities polled every {args.plex_poll} s; Python {sys.version.split()[0]}"
    )
    started_at = time.monotonic()
    with LoadStack(base, library.document, args.plex_poll, promotions=args.promotions) as stack:
        print(f"  Home Assistant up with Videodrome in {time.monotonic() - started_at:.0f} s")
        probe = stack.api("GET", "/api/loop_probe")
        pid = int(probe["pid"])
        if pid != stack.ha_pid:
            print(f"  note: the probe runs in pid {pid}, Home Assistant started as {stack.ha_pid}")
        db = stack.store()
        stack.api("POST", "/api/loop_probe/reset")
        time.sleep(args.idle)
        idle = stack.api("GET", "/api/loop_probe")
        before = rss(pid)
        sampler = Sampler(pid)
        sampler.start()
        processes = stack.pids()
        cpu_before = {name: cpu_seconds(p) for name, p in processes.items()}
        load_before = os.getloadavg()[0]
        query = "&".join(
            name
            for name, wanted in (
                ("settle=1", True),
                ("census=1", args.census),
                ("freeze=1", args.gc_freeze),
            )
            if wanted
        )
        stack.api("POST", f"/api/loop_probe/reset?{query}")
        first = time.time()
        written = drop(stack.ingest, names)
        dropped = time.time() - first
        total = len(written)
        finished = 0
        timed_out = False
        while True:
            time.sleep(POLL_INTERVAL)
            rows = dict(read_store(db, "SELECT status, count(*) FROM items GROUP BY status"))
            finished = sum(n for status, n in rows.items() if status not in UNFINISHED)
            if finished >= total:
                break
            if time.time() - first > args.timeout:
                print(f"  TIMED OUT after {args.timeout:.0f} s: {finished} of {total} handled")
                timed_out = True
                break
        # Home Assistant's access tokens last 30 minutes: a long run signs in again.
        stack.headers = stack.sign_in()
        # Only a mark: the load's report is put together once the window after it is closed
        # (sorting the ticks holds the GIL for tens of milliseconds, inside that window).
        stack.api("GET", "/api/loop_probe?mark=1")
        cpu = {name: cpu_seconds(p) - cpu_before[name] for name, p in processes.items()}
        load_after = os.getloadavg()[0]
        sampler.done.set()
        sampler.join()
        after = rss(pid)
        items = read_store(db, "SELECT source, status, plex_status, updated_at FROM items")
        sources = {source for source, _, _, _ in items}
        lost = [p for p in written if str(p) not in sources]
        last = max((updated for *_, updated in items if updated is not None), default=first)
        wall = last - first
        statuses = Counter(status for _, status, _, _ in items)
        plex = Counter(str(plex_status) for _, _, plex_status, _ in items)
        states = stack.states()
        waiting = [
            f"{entity_id}={state['state']}"
            for entity_id, state in states.items()
            if entity_id.startswith("sensor.") and ("waiting" in entity_id or "queue" in entity_id)
        ]
        warnings, errors, sample = log_lines(stack, first)
        after_burst = wait_after(stack, args.after)
        busy = stack.api("GET", "/api/loop_probe?light=1&upto=mark")
        final = stack.api("GET", "/api/loop_probe" + ("?census=1" if args.census else ""))
        busy |= {k: final[k] for k in ("gc_objects", "guessit", "census_growth") if k in final}
        guessit_pid = busy["guessit"]["pid"]
    lost_text = (
        f"not handled yet (timed out): {len(lost)} of {total}"
        if timed_out
        else f"lost: {len(lost)} of {total}"
    )
    print(f"  accounted for: {dict(sorted(statuses.items()))}; {lost_text}")
    print(f"    Plex: {dict(sorted(plex.items()))}; at the end: {', '.join(waiting)}")
    print(
        f"  wall: {wall:.1f} s from the first file written to the last recorded "
        + ("(at the timeout) " if timed_out else "")
        + f"({len(items) / wall:.1f} files/s; writing them took {dropped:.1f} s)"
    )
    print(
        f"  memory: Home Assistant's RSS {before / MIB:.0f} MiB before the drop, peak "
        f"{sampler.peak / MIB:.0f} MiB (+{(sampler.peak - before) / MIB:.0f} MiB), "
        f"{after / MIB:.0f} MiB at the end; objects tracked by its GC at the end: "
        f"{busy['gc_objects']:,} (after the window below)"
    )
    guessit = busy["guessit"]
    print(
        f"  guessit's process (pid {guessit['pid']}): RSS {guessit['rss'] / MIB:.0f} MiB at the end"
        if guessit["pid"] is not None
        else "  guessit ran in Home Assistant's process (it could not start its own)"
    )
    print(f"  Home Assistant's gc thresholds {tuple(busy['gc_threshold'])}")
    queues = busy.get("queues", {})
    print(
        "  Videodrome's queues (sampled every 0.5 s): Plex notifications for the library index "
        f"{queues.get('library_notifications', '?')} at the end, peak "
        f"{queues.get('library_notifications_peak', '?')}; watcher waiting "
        f"{queues.get('watcher_waiting', '?')} at the end, peak "
        f"{queues.get('watcher_waiting_peak', '?')}"
    )
    print(
        "  CPU seconds during the load: "
        + ", ".join(f"{name} {seconds:.0f}" for name, seconds in cpu.items())
        + (f" (guessit's process is not counted: pid {guessit_pid})" if guessit_pid else "")
        + f"; load average {load_before:.1f} before, {load_after:.1f} at the end"
    )
    describe("baseline (idle, after setup)", idle)
    describe("under load", busy)
    describe_stacks(busy)
    describe_after(busy, after_burst)
    describe_extras(args, busy)
    print(f"  Home Assistant's log from the drop on: {warnings} warnings, {errors} errors")
    for line in sample:
        print(f"    {line[:300]}")
    # The load's window and the one after it, until a full collection ran (or --after).
    worst = max(busy["longest_ms"], after_burst["longest_ms"])
    verdict = "met" if worst <= STALL_TARGET * 1000 else "NOT met"
    print(
        f"  target: no stall over {STALL_TARGET * 1000:.0f} ms under load, nor after it until "
        f"a full collection ran (or --after): {verdict} ({worst:.1f} ms)"
    )


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--titles", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--plex-poll", type=float, default=0.02)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument(
        "--after",
        type=float,
        default=300.0,
        help="after the load, measure until a full collection has run, at most this long (s)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--promotions",
        action="store_true",
        help="trace allocations (tracemalloc: slow) and count where the objects each middle "
        "collection promotes come from",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: gc.freeze() Home Assistant's process before the drop (what a host "
        "could do; Videodrome does not)",
    )
    parser.add_argument(
        "--census",
        action="store_true",
        help="count Home Assistant's tracked objects by type before and after the load",
    )
    args = parser.parse_args(argv)
    # `kill` stops the processes too (the stack's context manager ends them on the way out).
    signal.signal(signal.SIGTERM, _interrupt)
    base = Path(tempfile.mkdtemp(prefix="bench-load-ha-", dir=ROOT))
    try:
        run(args, base)
    except KeyboardInterrupt:
        print("  interrupted")
    finally:
        if args.keep:
            print(f"  kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
