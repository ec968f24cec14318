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

Then one section per hard class of issue 24 (tests/emulators/hard_cases.py: sequel numbers
written otherwise, punctuation and letters, names in other languages, anime with absolute
numbers, shows without popularity), each identified against an emulator holding that class's
titles and look-alikes. There the baseline also searches as the seed did (the name's first
reading, then without the year; no other spelling, no details): scoring it on the candidates
Videodrome fetched would credit it with Videodrome's searches. An episode is right when its
show, season and episode are (the seed files a name without a season in season 1); an
automatic decision is wrong when the work or the place is, or when the case is one a person
must decide (`expected_auto` false: a show TMDb has no absolute order for, an episode title
that is another episode's). Requests per name are Videodrome's TMDb requests, the class's
cache starting empty. With `../shared/corpora/tmdblib-wiremock` present, the last line replays
TMDb's own recorded answers for `Breaking.Bad.S01E01.Pilot…` (popularity 0, no votes).
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
from typing import TYPE_CHECKING

import aiohttp
from rapidfuzz import fuzz

from custom_components.videodrome.engine.identify.identifier import Identification, Identifier
from custom_components.videodrome.engine.identify.score import Decision, popularity_score
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators import hard_cases
from tests.emulators.catalogue import Catalogue, CatalogueMovie
from tests.emulators.tmdb import TMDbEmulator
from tests.emulators.tmdb_recorded import WIREMOCK, RecordedTMDb

if TYPE_CHECKING:
    from custom_components.videodrome.engine.identify.parsed_name import ParsedName
    from custom_components.videodrome.engine.tmdb.models import Candidate
    from tests.emulators.hard_cases import HardCase

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
    return plain_best(found.parsed, tuple(s.candidate for s in found.ranked))


def plain_best(parsed: ParsedName, candidates: tuple[Candidate, ...]) -> tuple[int | None, bool]:
    """The seed's 40/30/15/15 scoring of `candidates`: (best id, decided automatically)."""
    reading = parsed.readings[0] if parsed.readings else None
    if reading is None or not candidates:
        return None, False
    best: tuple[float, int] | None = None
    for candidate in candidates:
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


async def seed_search(tmdb: TMDbClient, parsed: ParsedName) -> tuple[Candidate, ...]:
    """The candidates the seed found: the first reading, then without the year."""
    if not parsed.readings:
        return ()
    reading = parsed.readings[0]
    search = tmdb.search_tv if parsed.kind.value == "episode" else tmdb.search_movie
    found = await search(reading.title, reading.year)
    if not found and reading.year is not None:
        found = await search(reading.title, None)
    return found


def placed_right(case: HardCase, season: int | None, episodes: tuple[int, ...]) -> bool:
    """Whether an episode lands where the case says (a film has no place to check)."""
    return case.media_type == "movie" or (season, episodes) == (case.season, case.episodes)


async def run_class(name: str, session: aiohttp.ClientSession) -> None:
    """One hard class: Videodrome and the seed's baseline, each with an empty cache."""
    cases = hard_cases.CLASSES[name]
    ours, plain = Figures(), Figures()
    wrong: list[str] = []
    async with TMDbEmulator(hard_cases.catalogue(name), api_key=KEY) as emulator:
        tmdb = TMDbClient(session, api_key=KEY, base_url=emulator.url, rate=1000)
        seed = TMDbClient(session, api_key=KEY, base_url=emulator.url, rate=1000)
        identifier = Identifier(tmdb)
        for case in cases:
            found = await identifier.identify(case.name)
            best = found.ranked[0].candidate.tmdb_id if found.ranked else None
            chosen = found.match.tmdb_id if found.match is not None else None
            place = placed_right(case, found.season, found.episodes)
            ours.cases += 1
            ours.top1 += best == case.tmdb_id and place
            if found.decision is Decision.AUTO:
                ours.auto += 1
                if chosen != case.tmdb_id or not place or not case.expected_auto:
                    ours.wrong_auto += 1
                    wrong.append(f"    {case.name} -> {found.match.title if found.match else None}")
            parsed = found.parsed
            base_best, base_auto = plain_best(parsed, await seed_search(seed, parsed))
            # The seed files a name without a season in season 1, the name's episodes.
            base_place = placed_right(case, parsed.season or 1, parsed.episodes)
            plain.cases += 1
            plain.top1 += base_best == case.tmdb_id and base_place
            plain.auto += base_auto
            plain.wrong_auto += base_auto and (
                base_best != case.tmdb_id or not base_place or not case.expected_auto
            )
    per_name = tmdb.stats.requests / len(cases)
    print(f"{name.replace('_', ' ')}: {len(cases)} names, {per_name:.2f} TMDb requests per name")
    print(ours.line("Videodrome"))
    print(plain.line("baseline"))
    for line in wrong[:10]:
        print(line)


async def recorded_case(session: aiohttp.ClientSession) -> None:
    """TMDb's own recorded answers (TMDbLib's): the title without popularity, identified."""
    if not WIREMOCK.is_dir():
        print("TMDb's recorded answers: ../shared/corpora/tmdblib-wiremock absent, skipped")
        return
    name = "Breaking.Bad.S01E01.Pilot.720p.BluRay.x264-GRP.mkv"
    async with RecordedTMDb() as recorded:
        tmdb = TMDbClient(session, api_key=KEY, base_url=recorded.url, rate=1000)
        found = await Identifier(tmdb).identify(name)
        base_best, base_auto = plain_best(found.parsed, await seed_search(tmdb, found.parsed))
    plain_score = found.ranked[0].score if found.ranked else 0.0
    print(
        f"TMDb's recorded answers (tmdblib-wiremock), {name}: Videodrome {found.decision} "
        f"{found.confidence:.2f} ({', '.join(found.reasons)}); baseline "
        f"{'auto' if base_auto else 'review'} {plain_score:.2f} (tmdb {base_best})"
    )


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
    print("the hard cases (issue 24), each class against its own catalogue:")
    async with aiohttp.ClientSession() as session:
        for name in hard_cases.CLASSES:
            await run_class(name, session)
        await recorded_case(session)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.seed))


if __name__ == "__main__":
    main()
