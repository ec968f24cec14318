"""How late a 5 ms ticker wakes up on Home Assistant's event loop (bench/load_ha.py)."""

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

    def reset(self) -> None:
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
            self._started[thread] = (time.perf_counter(), generation)
        elif thread in self._started:
            start, generation = self._started.pop(thread)
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

    def report(self, began: array, late: array, collections: list) -> dict:
        """Figures over one window (a snapshot; computed in an executor job)."""
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
            "seconds": round(time.perf_counter() - self.window, 1),
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
            "gc_objects": len(gc.get_objects()),
            "gc_frozen": gc.get_freeze_count(),
            "pid": os.getpid(),
            "rss": _rss(),
        }


def census() -> Counter[str]:
    """Objects tracked by the collector, by type (a stall of its own: taken between windows)."""
    return Counter(
        f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects()
    )


def _guessit_child() -> dict:
    try:
        from custom_components.videodrome.engine import guess_process

        pid = guess_process.shared().pid
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
        snapshot = (array("d", probe.began), array("d", probe.late), list(probe.collections))
        report = await hass.async_add_executor_job(probe.report, *snapshot)
        report["guessit"] = await hass.async_add_executor_job(_guessit_child)
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
    from custom_components.videodrome.engine import plex_sync

    plex_sync.PlexSync.__init__.__kwdefaults__["poll_interval"] = seconds


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
