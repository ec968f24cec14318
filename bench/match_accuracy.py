"""Matching accuracy over real Plex movie paths, against the product's plain baseline.

Run: `.venv/bin/python -m bench.match_accuracy [--seed N]`

The 434 movie paths of `../shared/corpora/plex_path_ground_truth.tsv` come from real Plex
libraries; 353 carry the TMDb id Plex matched, which is the truth here. The TMDb emulator is
seeded with those titles (real title, year and id) plus look-alike distractors made the way
real catalogues are: a remake with the same title in another year, a sequel ("Title 2"), a
spin-off ("Title: Origins"), each with its own popularity. Every path is identified as the
product would, in two passes: the names as they are, and with every year removed (the hard
case: remakes cannot be told apart).

For each pass it prints top-1 accuracy (the best candidate is the right film), the share
decided automatically, and the wrong automatic decisions (the target is zero), for Videodrome's
scorer and for the baseline the product was specified with: the same 40/30/15/15 weights and
0.85 threshold on the same candidates, without normalisation, the sequel rule, the title
floor or the ambiguity rules.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
from dataclasses import dataclass
from pathlib import Path
import random
import re
import time

import aiohttp
from rapidfuzz import fuzz

from custom_components.videodrome.engine.identify.identifier import Identification, Identifier
from custom_components.videodrome.engine.identify.score import Decision, popularity_score
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.catalogue import Catalogue, CatalogueMovie
from tests.emulators.tmdb import TMDbEmulator

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
KEY = "bench-key"
_YEAR = re.compile(r"[\s.(\[]*(?<!\d)(?:19|20)\d{2}(?!\d)[)\]]?")


@dataclass(frozen=True, slots=True)
class Case:
    """A real path and the TMDb id Plex matched (None: Plex had no TMDb id)."""

    path: str
    title: str
    year: int
    tmdb_id: int | None


def load() -> list[Case]:
    """The movie rows of the ground truth."""
    with (CORPORA / "plex_path_ground_truth.tsv").open(encoding="utf-8", newline="") as file:
        return [
            Case(r["file_path"], r["title"], int(r["year"]), int(r["tmdb"]) if r["tmdb"] else None)
            for r in csv.DictReader(file, delimiter="\t")
            if r["type"] == "movie" and r["year"]
        ]


def catalogue(cases: list[Case], rng: random.Random) -> Catalogue:
    """The true films plus look-alikes."""
    movies: dict[int, CatalogueMovie] = {}
    next_id = 90_000_000

    def film(tmdb_id: int, title: str, year: int) -> CatalogueMovie:
        votes = int(10 ** rng.uniform(1, 4.5))
        return CatalogueMovie(
            tmdb_id=tmdb_id, imdb_id=None, title=title, original_title=title,
            original_language="en", release_date=f"{year}-{rng.randint(1, 12):02d}-15",
            popularity=round(votes / 300, 1), vote_count=votes,
            vote_average=round(rng.uniform(5, 8.5), 1),
        )  # fmt: skip

    for case in cases:
        if case.tmdb_id is not None and case.tmdb_id not in movies:
            movies[case.tmdb_id] = film(case.tmdb_id, case.title, case.year)
    taken = {(m.title.casefold(), m.year) for m in movies.values()}
    for case in [c for c in cases if c.tmdb_id is not None]:
        distractors = [
            (case.title, case.year + rng.choice((-30, -21, -12, -7, 8, 15))),  # a remake
            (f"{case.title} 2", case.year + rng.randint(2, 5)),  # a sequel
            (f"{case.title}: Origins", case.year + rng.randint(-10, 10)),  # a spin-off
        ]
        for title, year in rng.sample(distractors, rng.randint(1, 3)):
            if (title.casefold(), year) in taken:
                continue  # "Deadpool" + " 2" is the real Deadpool 2: no twin of a real film
            taken.add((title.casefold(), year))
            next_id += 1
            movies[next_id] = film(next_id, title, year)
    return Catalogue(movies=tuple(movies.values()), shows=())


def baseline(found: Identification) -> tuple[int | None, bool]:
    """The plain baseline on the candidates Videodrome fetched: (best id, decided automatically)."""
    reading = found.parsed.readings[0] if found.parsed.readings else None
    if reading is None or not found.ranked:
        return None, False
    best: tuple[float, int] | None = None
    for scored in found.ranked:
        candidate = scored.candidate
        title = fuzz.ratio(reading.title.lower(), candidate.title.lower()) / 100
        if reading.year is None or candidate.year is None:
            year = 0.5
        else:
            year = {0: 1.0, 1: 0.5}.get(abs(reading.year - candidate.year), 0.0)
        total = 0.4 * title + 0.3 * year + 0.15 * popularity_score(candidate) + 0.15
        if best is None or total > best[0]:
            best = (total, candidate.tmdb_id)
    assert best is not None
    return best[1], best[0] >= 0.85


@dataclass(slots=True)
class Figures:
    """Counts for one scorer in one pass."""

    top1: int = 0
    auto: int = 0
    wrong_auto: int = 0
    cases: int = 0

    def line(self, name: str) -> str:
        """One row of the table."""
        share = 100 / self.cases if self.cases else 0.0
        return (
            f"  {name:<11} top-1 {self.top1 * share:5.1f}%   auto {self.auto * share:5.1f}%"
            f"   wrong auto {self.wrong_auto:3d} ({self.wrong_auto * share:.1f}%)"
        )


async def run_pass(identifier: Identifier, cases: list[Case], strip_years: bool) -> None:
    """Identify every path; print both scorers' figures."""
    ours, plain = Figures(), Figures()
    wrong: list[str] = []
    started = time.perf_counter()
    for case in cases:
        if case.tmdb_id is None:
            continue
        path = _YEAR.sub("", case.path) if strip_years else case.path
        found = await identifier.identify(path)
        best = found.ranked[0].candidate.tmdb_id if found.ranked else None
        ours.cases += 1
        ours.top1 += best == case.tmdb_id
        if found.decision is Decision.AUTO:
            ours.auto += 1
            if found.match is None or found.match.tmdb_id != case.tmdb_id:
                ours.wrong_auto += 1
                wrong.append(f"    {path} -> {found.match.title if found.match else None}")
        base_best, base_auto = baseline(found)
        plain.cases += 1
        plain.top1 += base_best == case.tmdb_id
        plain.auto += base_auto
        plain.wrong_auto += base_auto and base_best != case.tmdb_id
    elapsed = time.perf_counter() - started
    label = "years removed from the names" if strip_years else "names as they are"
    print(f"{label}: {ours.cases} paths with a TMDb id, {elapsed:.1f} s")
    print(ours.line("Videodrome"))
    print(plain.line("baseline"))
    for line in wrong[:10]:
        print(line)


async def main_async(seed: int) -> None:
    """Seed the emulator, identify, print."""
    rng = random.Random(seed)
    cases = load()
    books = catalogue(cases, rng)
    print(
        f"match accuracy: {len(cases)} movie paths, emulator catalogue of {len(books.movies)} "
        f"films ({len({c.tmdb_id for c in cases if c.tmdb_id})} true, the rest look-alikes)"
    )
    async with TMDbEmulator(books, api_key=KEY) as emulator, aiohttp.ClientSession() as session:
        tmdb = TMDbClient(session, api_key=KEY, base_url=emulator.url, rate=1000)
        identifier = Identifier(tmdb)
        await run_pass(identifier, cases, strip_years=False)
        await run_pass(identifier, cases, strip_years=True)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.seed))


if __name__ == "__main__":
    main()
