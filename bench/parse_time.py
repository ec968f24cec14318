"""How long guessit takes to read a name in this process (the fallback when its child cannot).

Run: `.venv/bin/python -m bench.parse_time [--examples 3000] [--longest 1500]`

`parse()` reads a name in the calling thread when its guessit process cannot answer, and
nothing interrupts a thread: this measures what that costs (engine/identify/parse.py states
the figures and the decision they support). Each name is parsed with an empty cache, guessit
warmed up first. The figures are the CPU time of the parsing thread (`time.thread_time`), so
that other work on the machine does not inflate them; the wall time of the slowest names is
printed beside it. Per group, the median, p99, p99.9 and the slowest names:

- every distinct input of `../shared/corpora/ALL_filename_cases.tsv` (release names and paths
  from guessit, Sonarr, Radarr, Jellyfin, PTN/PTT, anitomy);
- `--examples` names from each of the fuzz strategies of tests/reliability/strategies.py
  (`names`, `release_names`; derandomized, so every run draws the same), half of them under
  an ingest folder;
- constructed worst cases at the filesystem's limits: runs of episode markers, SxxExx, years,
  dates, brackets, as one file name of 255 bytes, and as two folders and a file name of 255
  bytes each (what a file on disk, or a provider request, can be at most);
- the same shapes past those limits (a folder longer than any file system allows, which only a
  service call's free text can hold), up to `--longest` characters: guessit itself, timed
  directly, since `parse()` no longer reads such a name in this process.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
import statistics
import sys
import time

from guessit import guessit
from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.videodrome.engine.identify.parse import _parse_cached, parse
from tests.reliability import strategies

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ALL_filename_cases.tsv"
MARKERS = ".".join(f"{i % 9 + 1}x0{i % 9 + 1}" for i in range(60)) + "."
SHAPES = {
    "episode markers": MARKERS,
    "SxxExx": "S01E01.",
    "years": "1999.2000.",
    "dates": "2019.03.15.",
    "brackets": "[1080p](x264){GRP}",
    "episode ranges": "E01-E02.",
}
csv.field_size_limit(sys.maxsize)

type Timing = tuple[float, float, str, tuple[str, ...]]  # CPU s, wall s, name, reasons


def _run(path: str) -> Timing:
    _parse_cached.cache_clear()
    cpu, wall = time.thread_time(), time.perf_counter()
    parsed = parse(path)
    return time.thread_time() - cpu, time.perf_counter() - wall, path, parsed.reasons


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def corpus() -> list[Timing]:
    """Every distinct input of the shared corpus."""
    with CORPUS.open(encoding="utf-8", newline="") as file:
        inputs = sorted({row["input"] for row in csv.DictReader(file, delimiter="\t")})
    return [_run(text) for text in inputs if text]


def fuzzed(strategy: st.SearchStrategy[str], examples: int) -> list[Timing]:
    """`examples` names drawn from `strategy`, half of them below an ingest folder."""
    timings: list[Timing] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy, st.booleans())
    def draw(name: str, rooted: bool) -> None:
        timings.append(_run(f"/downloads/{name}" if rooted else name))

    draw()
    return timings


def at_the_limits() -> list[Timing]:
    """Each shape as one name of 255 bytes, and as two folders and a name of 255 bytes each."""
    timings: list[Timing] = []
    for unit in SHAPES.values():
        name = _fill(unit, 251) + ".mkv"
        timings.append(_run(name))
        timings.append(_run(f"{_fill(unit, 255)}/{_fill(unit, 255)}/{name}"))
    return timings


def past_the_limits(longest: int) -> list[Timing]:
    """Episode markers in one folder longer than a name may be: guessit alone, timed."""
    timings: list[Timing] = []
    size = 700
    while size <= longest:
        text = f"Show.2019.{_fill(MARKERS, size)}/{_fill(MARKERS, 200)}.mkv"
        cpu, wall = time.thread_time(), time.perf_counter()
        guessit(text)
        took = (time.thread_time() - cpu, time.perf_counter() - wall)
        timings.append((*took, text, ("guessit alone",)))
        size *= 2
    return timings


def describe(label: str, timings: list[Timing], show: int = 3) -> None:
    """Median, p99, p99.9, the slowest, and the slowest names."""
    if not timings:
        return
    ordered = sorted(timings)
    seconds = [t for t, _, _, _ in ordered]

    def at(share: float) -> float:
        return seconds[min(len(seconds) - 1, int(share * len(seconds)))] * 1000

    print(
        f"  {label}: {len(seconds)} names, CPU time median "
        f"{statistics.median(seconds) * 1000:.1f} ms, p99 {at(0.99):.1f} ms, p99.9 "
        f"{at(0.999):.1f} ms, slowest {seconds[-1] * 1000:.0f} ms"
    )
    for cpu, wall, text, reasons in reversed(ordered[-show:]):
        shown = text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"
        print(
            f"    {cpu * 1000:6.0f} ms ({wall * 1000:6.0f} ms wall)  {shown!r} {', '.join(reasons)}"
        )


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=3000)
    parser.add_argument("--longest", type=int, default=1500, help="characters, past the limits")
    args = parser.parse_args(argv)
    print(f"guessit in this process, Python {sys.version.split()[0]}", flush=True)
    parse("Warm.Up.2000.1080p.BluRay.x264-GRP.mkv")  # guessit builds its rules on first use
    if CORPUS.exists():
        describe("corpus (distinct inputs)", corpus())
    else:
        print(f"  corpus: {CORPUS} not found")
    describe("fuzz strategy names", fuzzed(strategies.names, args.examples))
    describe("fuzz strategy release_names", fuzzed(strategies.release_names(), args.examples))
    describe("worst shapes at the filesystem's limits", at_the_limits(), show=4)
    describe("past the limits (guessit alone)", past_the_limits(args.longest), show=4)


if __name__ == "__main__":
    main()
