"""Identification throughput against a TMDb that allows 40 requests a second.

Run: `.venv/bin/python -m bench.throughput [--files 1000] [--titles 300] [--no-baseline]`

A synthetic library of `--titles` distinct titles (two thirds films, one third shows with one
to three seasons) becomes `--files` file names (films in one or two releases, the rest
episodes). All of them are identified at once, as a burst from the watcher would be, through
one `Identifier` (parsing in the default executor) against the TMDb emulator limited to 40
requests per second. Printed:

- wall time against the bound `requests / 40` (no client can be faster at that rate);
- requests made against the minimum (one search per distinct title and year; per show one
  details fetch and one fetch per season);
- 429 answers, and the longest event-loop stall seen by a 5 ms ticker (target: under 20 ms);
- the baseline in the same run: the same files with a fresh client per file (no shared
  cache or request sharing), the requests it needs and the time that costs at 40/s.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path
import random
import re
import tempfile
import time
from typing import Any

import aiohttp

from bench._common import LoopMonitor, tmdb_emulator
from custom_components.videodrome.engine.identify.guessit_process import (
    GuessitProcesses,
    GuessProcess,
)
from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.score import Decision
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.catalogue import Catalogue

KEY = "bench-key"
_EPISODE = re.compile(r"^(.*)\.S(\d{2})E\d{2}\.")
_MOVIE = re.compile(r"^(.*?\.\d{4})\.")
RATE = 40.0
WORDS = [
    "amber",
    "anchor",
    "arrow",
    "autumn",
    "badger",
    "banner",
    "beacon",
    "birch",
    "blade",
    "bloom",
    "border",
    "bramble",
    "breeze",
    "bridge",
    "canyon",
    "cedar",
    "cinder",
    "citadel",
    "clover",
    "comet",
    "copper",
    "coral",
    "crimson",
    "crown",
    "dagger",
    "dawn",
    "delta",
    "desert",
    "drift",
    "ember",
    "falcon",
    "fable",
    "feather",
    "fjord",
    "forge",
    "frost",
    "galaxy",
    "garnet",
    "glacier",
    "harbor",
    "hollow",
    "horizon",
    "island",
    "ivory",
    "jade",
    "jasper",
    "jungle",
    "kestrel",
    "lantern",
    "lark",
    "legend",
    "lotus",
    "marble",
    "meadow",
    "meteor",
    "mirror",
    "monsoon",
    "nebula",
    "nectar",
    "oasis",
    "obsidian",
    "ocean",
    "onyx",
    "orchid",
    "paragon",
    "pebble",
    "phoenix",
    "pilgrim",
    "prairie",
    "quartz",
    "quiver",
    "raven",
    "ridge",
    "river",
    "saffron",
    "shadow",
    "sierra",
    "silver",
    "sparrow",
    "spire",
    "summit",
    "tempest",
    "thistle",
    "thunder",
    "timber",
    "torrent",
    "tundra",
    "velvet",
    "violet",
    "voyage",
    "willow",
    "winter",
    "zenith",
]


@dataclass(frozen=True, slots=True)
class Library:
    """The synthetic catalogue and the file names made from it."""

    document: dict[str, Any]
    files: tuple[str, ...]
    minimum_requests: int


def make_library(files: int, titles: int, rng: random.Random) -> Library:
    """Distinct titles, then files: films in one or two releases, the rest episodes."""
    names: set[str] = set()
    while len(names) < titles:
        names.add(" ".join(w.capitalize() for w in rng.sample(WORDS, rng.choice((2, 3)))))
    ordered = sorted(names)
    rng.shuffle(ordered)
    film_count = titles * 2 // 3
    movies = [
        {"tmdb_id": 100_000 + n, "imdb_id": None, "title": title, "original_title": title,
         "original_language": "en", "release_date": f"{rng.randint(1950, 2025)}-05-01",
         "popularity": rng.uniform(1, 80), "vote_count": rng.randint(50, 20000),
         "vote_average": 7.0}
        for n, title in enumerate(ordered[:film_count])
    ]  # fmt: skip
    shows = [
        {"tmdb_id": 200_000 + n, "tvdb_id": 300_000 + n, "imdb_id": None, "name": title,
         "original_name": title, "original_language": "en",
         "first_air_date": f"{rng.randint(1990, 2024)}-09-01", "popularity": rng.uniform(1, 80),
         "vote_count": rng.randint(50, 20000), "vote_average": 7.5,
         "seasons": [{"season_number": s, "episode_count": 12}
                     for s in range(1, rng.randint(1, 3) + 1)]}
        for n, title in enumerate(ordered[film_count:])
    ]  # fmt: skip
    document = {"movies": movies, "shows": shows}
    catalogue = Catalogue.from_dict(document)
    names_out = [
        f"{movie.title.replace(' ', '.')}.{movie.year}.{quality}.mkv"
        for movie in catalogue.movies
        for quality in ("1080p.BluRay.x264-GRP", "2160p.WEB-DL.x265-GRP")[: rng.randint(1, 2)]
    ]
    episodes = [(show, season.season_number, e) for show in catalogue.shows
                for season in show.seasons for e in range(1, season.episode_count + 1)]  # fmt: skip
    rng.shuffle(episodes)
    needed = max(files - len(names_out), len(catalogue.shows))
    # Every show appears at least once, so every title is asked for.
    chosen = [next(e for e in episodes if e[0] is show) for show in catalogue.shows]
    chosen += [e for e in episodes if e not in chosen][: needed - len(chosen)]
    names_out += [
        f"{show.name.replace(' ', '.')}.S{season:02d}E{episode:02d}.720p.HDTV.mkv"
        for show, season, episode in chosen
    ]
    rng.shuffle(names_out)
    names_out = names_out[:files]
    seasons_used = {m.groups() for n in names_out if (m := _EPISODE.match(n))}
    shows_used = {show for show, _ in seasons_used}
    movies_used = {m.group(1) for n in names_out if (m := _MOVIE.match(n))}
    minimum = len(movies_used) + 2 * len(shows_used) + len(seasons_used)
    return Library(document, tuple(names_out), minimum)


@dataclass(frozen=True, slots=True)
class Run:
    """What one burst cost."""

    seconds: float
    monitor: LoopMonitor
    requests: int
    refused: int
    auto: int


async def burst(url: str, files: tuple[str, ...], *, shared: bool, guessit: GuessProcess) -> Run:
    """Identify every file at once, through one client (shared) or a client per file."""
    async with aiohttp.ClientSession() as session:
        clients: list[TMDbClient] = []

        def client() -> TMDbClient:
            made = TMDbClient(session, api_key=KEY, base_url=url, rate=RATE)
            clients.append(made)
            return made

        one = Identifier(client(), guessit=guessit)
        limit = asyncio.Semaphore(64)

        async def identify(name: str) -> Decision:
            async with limit:
                identifier = one if shared else Identifier(client(), guessit=guessit)
                return (await identifier.identify(name)).decision

        with LoopMonitor() as monitor:
            started = time.perf_counter()
            decisions = await asyncio.gather(*(identify(name) for name in files))
            elapsed = time.perf_counter() - started
        return Run(
            elapsed,
            monitor,
            sum(c.stats.requests for c in clients),
            sum(c.stats.rate_limited for c in clients),
            sum(d is Decision.AUTO for d in decisions),
        )


async def main_async(files: int, titles: int, baseline: bool, seed: int) -> None:
    """Build, run, print."""
    library = make_library(files, titles, random.Random(seed))
    print(
        f"throughput: {len(library.files)} files, {titles} distinct titles, TMDb limited to "
        f"{RATE:.0f} requests/s (emulator in its own process)"
    )
    # guessit builds its rules on first use (about a second, once per process): not measured.
    guessit = GuessitProcesses()
    lane = guessit.lane("ingest")
    await asyncio.to_thread(parse, "Warm.Up.2000.mkv", guessit=lane)
    with tempfile.TemporaryDirectory() as folder:
        process, url = await tmdb_emulator(library.document, Path(folder), api_key=KEY, rate=RATE)
        try:
            run = await burst(url, library.files, shared=True, guessit=lane)
            bound = run.requests / RATE
            print(
                f"  Videodrome: {run.seconds:.1f} s wall, bound requests/40 = {bound:.1f} s "
                f"(ratio {run.seconds / bound:.2f}); {run.requests} requests against a minimum "
                f"of {library.minimum_requests} "
                f"(ratio {run.requests / library.minimum_requests:.2f})"
                f", {run.requests / titles:.2f} per distinct title; {run.refused} answered 429"
            )
            stalls = run.monitor
            print(
                f"    event loop: longest stall {stalls.longest() * 1000:.1f} ms; without a GC "
                f"pause {stalls.longest_without_gc() * 1000:.1f} ms; {len(stalls.collections)} "
                f"collections, longest {stalls.longest_collection() * 1000:.1f} ms"
            )
            print(f"    {run.auto} of {len(library.files)} decided automatically")
            if baseline:
                base = await burst(url, library.files, shared=False, guessit=lane)
                print(
                    f"  baseline (a client per file, no sharing): {base.seconds:.1f} s wall, "
                    f"{base.requests} requests ({base.requests / run.requests:.2f}x), "
                    f"{base.refused} answered 429"
                )
        finally:
            process.terminate()
            await process.wait()
            await asyncio.to_thread(guessit.close)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--titles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.files, args.titles, not args.no_baseline, args.seed))


if __name__ == "__main__":
    main()
