"""What several benchmarks share."""

from __future__ import annotations

import asyncio
import bisect
import gc
import json
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from pathlib import Path

TICK = 0.005  # the loop monitor's ticker, seconds


async def tmdb_emulator(
    document: dict[str, Any], folder: Path, *, api_key: str, rate: float
) -> tuple[asyncio.subprocess.Process, str]:
    """The TMDb emulator in its own process (as TMDb is on another machine), rate limited.

    Serves `document` (written to `folder/catalogue.json`); returns the process (terminate
    and wait for it when done) and the URL it prints once it listens.
    """
    catalogue = folder / "catalogue.json"
    catalogue.write_text(json.dumps(document), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.emulators.tmdb", "--api-key", api_key, "--catalog",
        str(catalogue), "--rate-limit", str(rate), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    return process, line.decode().split()[-1]


class LoopMonitor:
    """How late a 5 ms ticker wakes up, and when garbage collections ran (and which)."""

    def __init__(self) -> None:
        self.late: list[tuple[float, float]] = []  # (when the sleep began, lateness)
        self.collections: list[tuple[float, float, int]] = []  # (start, end, generation)
        self._started: dict[int, tuple[float, int]] = {}
        self._task: asyncio.Task[None] | None = None

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        thread = threading.get_ident()
        if phase == "start":
            self._started[thread] = (time.perf_counter(), int(info.get("generation", -1)))
        elif thread in self._started:
            start, generation = self._started.pop(thread)
            self.collections.append((start, time.perf_counter(), generation))

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            self.late.append((before, time.perf_counter() - before - TICK))

    def longest(self) -> float:
        """The longest stall."""
        return max((late for _, late in self.late), default=0.0)

    def longest_without_gc(self) -> float:
        """The longest stall that no garbage collection (in any thread) overlapped."""
        spans = sorted((a, b) for a, b, _ in self.collections)
        starts = [a for a, _ in spans]
        longest = 0.0
        for began, late in self.late:
            end = began + TICK + late
            i = bisect.bisect_left(starts, end)
            if not any(b > began for _, b in spans[max(0, i - 50) : i]):
                longest = max(longest, late)
        return longest

    def longest_collection(self) -> float:
        """The longest garbage collection, in any thread."""
        return max((b - a for a, b, _ in self.collections), default=0.0)

    def percentile(self, share: float) -> float:
        """The lateness below which `share` of the ticks fall."""
        ordered = sorted(late for _, late in self.late)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    def by_generation(self) -> dict[int, tuple[int, float]]:
        """Per generation: how many collections, and the longest (seconds)."""
        result: dict[int, tuple[int, float]] = {}
        for a, b, generation in self.collections:
            count, longest = result.get(generation, (0, 0.0))
            result[generation] = (count + 1, max(longest, b - a))
        return dict(sorted(result.items()))

    def __enter__(self) -> Self:
        gc.callbacks.append(self._gc)
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._gc)
        assert self._task is not None
        self._task.cancel()
