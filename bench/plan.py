"""`plan` over 1,000 files: what the checks cost on top of identification.

Run: `.venv/bin/python -m bench.plan [--files 1000] [--titles 300]`

The same synthetic library as `bench.throughput` (films in one or two releases, episodes of
shows with one to three seasons) is written to an ingest folder as small real files; a Plex
emulator with empty Movies and TV libraries and a TMDb emulator without a rate limit stand in
for the servers (both in this process). Printed, in the same run:

- the baseline: identifying every file (parse + TMDb + score + naming), the work `plan`
  cannot avoid;
- `plan` over the whole folder: the walk, identification, destination checks, companion
  lookup and the "already in the library?" question to Plex, with the ratio to the baseline;
- the same `plan` a second time (parsed names and TMDb answers cached in memory), as a
  re-plan of the queue.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import random
import tempfile
import time

import aiohttp

from bench.throughput import make_library
from custom_components.videodrome.engine.identify.guessit_process import GuessitProcesses
from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.identify.parse import _parse_cached
from custom_components.videodrome.engine.ingest.pipeline import Pipeline
from custom_components.videodrome.engine.ingest.plan import Settings
from custom_components.videodrome.engine.library.index import LibraryIndex
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.catalogue import Catalogue
from tests.emulators.plex import PlexEmulator, PlexLibrary
from tests.emulators.tmdb import TMDbEmulator

HERE = Path(__file__).resolve().parents[1]
KEY = "bench-key"
TOKEN = "bench-token"  # noqa: S105 (the emulator's, not a secret)


async def main_async(files: int, titles: int, seed: int) -> None:
    """Build the folder and the emulators, time the baseline and the plans."""
    library = make_library(files, titles, random.Random(seed))
    with tempfile.TemporaryDirectory(dir=HERE) as folder:
        root = Path(folder)
        ingest, movies, tv = root / "ingest", root / "movies", root / "tv"
        for path in (ingest, movies, tv):
            path.mkdir()
        for name in library.files:
            (ingest / name).write_bytes(b"x" * 64)
        plex_library = PlexLibrary.empty()
        plex_library.add_section("Movies", "movie", [str(movies)], key=1)
        plex_library.add_section("TV Shows", "show", [str(tv)], key=2)
        catalogue = Catalogue.from_dict(library.document)
        guessit = GuessitProcesses()
        lane = guessit.lane("ingest")
        async with (
            TMDbEmulator(catalogue, api_key=KEY) as tmdb_emulator,
            PlexEmulator(plex_library, token=TOKEN) as plex,
            aiohttp.ClientSession() as session,
        ):
            print(f"plan: {len(library.files)} files of {titles} titles in one ingest folder")
            tmdb = TMDbClient(session, api_key=KEY, base_url=tmdb_emulator.url, rate=1000)
            identifier = Identifier(tmdb, guessit=lane)
            started = time.perf_counter()
            for name in library.files:
                await identifier.identify(ingest / name, root=ingest)
            baseline = time.perf_counter() - started
            print(
                f"  baseline, identify each file: {baseline:.2f} s "
                f"({baseline / files * 1000:.2f} ms per file)"
            )
            fresh = Identifier(
                TMDbClient(session, api_key=KEY, base_url=tmdb_emulator.url, rate=1000),
                guessit=lane,
            )
            pipeline = Pipeline(
                fresh,
                Settings((ingest,), movies, tv),
                lookup=LibraryIndex(PlexClient(plex.url, TOKEN, session)),
            )
            _parse_cached.cache_clear()  # the baseline must not warm the plan
            started = time.perf_counter()
            planned = await pipeline.plan(ingest)
            first = time.perf_counter() - started
            actions: dict[str, int] = {}
            for item in planned:
                actions[str(item.action)] = actions.get(str(item.action), 0) + 1
            print(
                f"  plan, first time: {first:.2f} s ({first / files * 1000:.2f} ms per file, "
                f"{first / baseline:.2f}x the baseline); actions {actions}"
            )
            started = time.perf_counter()
            await pipeline.plan(ingest)
            again = time.perf_counter() - started
            print(
                f"  plan, again (TMDb cached): {again:.2f} s "
                f"({again / files * 1000:.2f} ms per file)"
            )
        await asyncio.to_thread(guessit.close)


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--titles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.files, args.titles, args.seed))


if __name__ == "__main__":
    main()
