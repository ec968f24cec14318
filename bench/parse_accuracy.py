"""Parsing accuracy over the shared corpora, against plain guessit as the baseline.

Run: `.venv/bin/python -m bench.parse_accuracy [--limit N] [--workers N]`

For every case in `../shared/corpora/ALL_filename_cases.tsv` (8,399 release names and paths
from guessit, Sonarr, Radarr, Jellyfin, PTN/PTT, anitomy... with their expected fields) and
`plex_path_ground_truth.tsv` (907 real paths from Plex libraries, with what Plex matched),
compare title, year, season and episode with the expectation, for Videodrome's `parse()` and
for guessit called directly on the same input. Titles agree when they are equal after the
scorer's normalisation (case, accents, punctuation, articles). Only fields the case states
are counted. Prints agreement per source and overall, ours against guessit's.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
import csv
from dataclasses import dataclass, field
from pathlib import Path
import sys
import time
from typing import Any

from guessit import guessit

from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.score import normalise

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
FIELDS = ("title", "year", "season", "episode")
csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True, slots=True)
class Case:
    """One input with the fields it is expected to yield (None: not stated)."""

    source: str
    text: str
    expected: dict[str, str]


@dataclass(slots=True)
class Tally:
    """Agreement counts for one source: field -> [ours, guessit's, cases]."""

    counts: dict[str, list[int]] = field(default_factory=lambda: {f: [0, 0, 0] for f in FIELDS})


def load_cases(limit: int | None) -> list[Case]:
    """Both corpora as cases, with the source named by its corpus."""
    cases: list[Case] = []
    with (CORPORA / "ALL_filename_cases.tsv").open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file, delimiter="\t"):
            expected = {f: row[f] for f in FIELDS if row.get(f)}
            if expected and row["input"]:
                source = row["source"].split(":", 1)[0]
                cases.append(Case(source, row["input"], expected))
    with (CORPORA / "plex_path_ground_truth.tsv").open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file, delimiter="\t"):
            movie = row["type"] == "movie"
            expected = {
                "title": row["title"] if movie else row["show_title"],
                "year": row["year"] if movie else "",
                "season": "" if movie else row["season"],
                "episode": "" if movie else row["episode"],
            }
            kind = "plex-paths:movie" if movie else "plex-paths:episode"
            cases.append(Case(kind, row["file_path"], {k: v for k, v in expected.items() if v}))
    return cases[:limit] if limit else cases


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _numbers(value: Any) -> str:
    values = value if isinstance(value, list | tuple) else [value]
    return ",".join(str(v) for v in values if isinstance(v, int))


def ours(text: str) -> dict[str, str]:
    """Videodrome's reading of the input."""
    parsed = parse(text)
    return {
        "title": parsed.title or "",
        "year": str(parsed.year or ""),
        "season": _numbers(parsed.seasons),
        "episode": _numbers(parsed.episodes),
    }


def baseline(text: str) -> dict[str, str]:
    """guessit's reading of the same input."""
    try:
        guess = dict(guessit(text))
    except Exception:  # noqa: BLE001 (guessit's own failures count as misses)
        return {}
    return {
        "title": str(_first(guess.get("title")) or ""),
        "year": str(_first(guess.get("year")) or ""),
        "season": _numbers(guess.get("season")),
        "episode": _numbers(guess.get("episode")),
    }


def both(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """Ours and the baseline, timed together in a worker process."""
    return ours(text), baseline(text)


def agrees(name: str, expected: str, found: str) -> bool:
    """Whether a field matches its expectation."""
    if name == "title":
        return bool(found) and normalise(expected) == normalise(found)
    if name in {"season", "episode"}:
        wanted = {int(v) for v in expected.replace(" ", "").split(",") if v.lstrip("-").isdigit()}
        got = {int(v) for v in found.split(",") if v}
        return bool(wanted) and wanted == got
    return expected.strip() == found.strip()


def main(argv: list[str] | None = None) -> None:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, help="only the first N cases")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    cases = load_cases(args.limit)
    unique = sorted({c.text for c in cases})
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = dict(zip(unique, pool.map(both, unique, chunksize=64), strict=True))
    elapsed = time.perf_counter() - started
    tallies: dict[str, Tally] = defaultdict(Tally)
    for case in cases:
        mine, theirs = results[case.text]
        for group in (case.source, "ALL"):
            counts = tallies[group].counts
            for name, wanted in case.expected.items():
                counts[name][0] += agrees(name, wanted, mine.get(name, ""))
                counts[name][1] += agrees(name, wanted, theirs.get(name, ""))
                counts[name][2] += 1
    print(f"parse accuracy: {len(cases)} cases ({len(unique)} distinct inputs), {elapsed:.1f} s")
    print("agreement with the expected value, Videodrome / plain guessit (cases)")
    header = f"{'source':<26}" + "".join(f"{f:>24}" for f in FIELDS)
    print(header)
    for group in sorted(tallies, key=lambda g: (g == "ALL", g)):
        cells = []
        for name in FIELDS:
            ours_ok, guessit_ok, total = tallies[group].counts[name]
            cells.append(
                f"{100 * ours_ok / total:6.1f}/{100 * guessit_ok / total:5.1f}% ({total:>5})"
                if total
                else f"{'-':>22}"
            )
        print(f"{group:<26}" + "".join(f"{c:>24}" for c in cells))


if __name__ == "__main__":
    main()
