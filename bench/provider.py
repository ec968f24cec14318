"""The metadata provider under a library scan: how long Plex waits for each kind of answer.

Run: `.venv/bin/python -m bench.provider [--history 10000] [--requests 200]`

A TMDb emulator with the demo catalogue (in this process) and a history of `--history` filed
items (SQLite on disk, as in Home Assistant). Plex's timeout for providers is not documented
(10, 30, 60 or 90 s are all quoted), so the budget here is well under 10 s per call. Printed,
in the same run, p50 and p99 per request of:

- the baseline: identifying a file name the history does not know (guessit + TMDb + scoring),
  what a match costs without Videodrome's history;
- a match answered from the history by file name (the file Videodrome filed), as a ratio of
  the baseline;
- metadata of a title first asked (TMDb in the client's memory) and then from the answer cache;
- every episode of the largest show (`grandchildren`), first and then a cached page of 20.
"""

from __future__ import annotations

import argparse
import asyncio
from functools import partial
from pathlib import Path
import random
import statistics
import tempfile
import time
from typing import TYPE_CHECKING

import aiohttp

from custom_components.videodrome.engine.identify.guessit_process import GuessitProcesses
from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.provider.documents import Page
from custom_components.videodrome.engine.provider.requests import MatchRequest
from custom_components.videodrome.engine.provider.service import MetadataProvider
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.emulators.catalogue import Catalogue
from tests.emulators.tmdb import TMDbEmulator

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

KEY = "bench-key"


def _figures(label: str, seconds: list[float], baseline: float | None = None) -> float:
    p50 = statistics.median(seconds)
    p99 = statistics.quantiles(seconds, n=100)[98] if len(seconds) > 1 else seconds[0]
    ratio = f", {p50 / baseline:.3f}x the baseline" if baseline else ""
    print(f"  {label}: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms{ratio}")
    return p50


async def _time(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    seconds: list[float] = []
    for call in calls:
        started = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - started)
    return seconds


async def main_async(history: int, requests: int, seed: int) -> None:
    """Fill the history, start the emulator, time each kind of request."""
    rng = random.Random(seed)
    catalogue = Catalogue.load()
    movies = list(catalogue.movies)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "history.db")
        names: list[tuple[str, int]] = []
        for number in range(history):
            movie = rng.choice(movies)
            name = f"{movie.title} ({movie.year}) - copy {number}.mkv"
            store.add_item(
                source=f"/ingest/{number}.mkv",
                status="ingested",
                kind="movie",
                title=movie.title,
                year=movie.year,
                tmdb_id=movie.tmdb_id,
                target=f"{movie.title} ({movie.year})/{name}",
                destination=f"/media/Movies/{movie.title} ({movie.year})/{name}",
            )
            names.append((name, movie.tmdb_id))
        async with TMDbEmulator(catalogue, api_key=KEY) as emulator, aiohttp.ClientSession() as s:
            tmdb = TMDbClient(s, api_key=KEY, base_url=emulator.url, rate=1000)

            async def run_blocking(job: Callable[[], object]) -> object:
                return await asyncio.get_running_loop().run_in_executor(None, job)

            guessit = GuessitProcesses()
            identifier = Identifier(tmdb, run_blocking=run_blocking, guessit=guessit.lane("ingest"))
            movie_provider = MetadataProvider(
                "movie", tmdb, store=store, identifier=identifier, run_blocking=run_blocking
            )
            # A client of its own, so that metadata is fetched, not found in memory.
            fresh = TMDbClient(s, api_key=KEY, base_url=emulator.url, rate=1000)
            metadata_provider = MetadataProvider("movie", fresh, run_blocking=run_blocking)
            tv = MetadataProvider("tv", fresh, run_blocking=run_blocking)
            print(f"provider: {history} items in the history, {requests} requests of each kind")
            unknown = [
                MatchRequest.from_json(
                    {"type": 1, "filename": f"Movies/{m.title.replace(' ', '.')}.{m.year}.{n}.mkv"}
                )
                for n, m in enumerate(rng.choice(movies) for _ in range(requests))
            ]
            baseline = _figures(
                "baseline, match by identification",
                await _time([partial(movie_provider.match, r) for r in unknown]),
            )
            known = [
                MatchRequest.from_json({"type": 1, "filename": f"Movies/x/{name}"})
                for name, _ in rng.sample(names, min(requests, len(names)))
            ]
            _figures(
                "match from the history by file name",
                await _time([partial(movie_provider.match, r) for r in known]),
                baseline,
            )
            keys = [f"tmdb-movie-{m.tmdb_id}" for m in movies]
            first = await _time([partial(metadata_provider.metadata, k) for k in keys])
            _figures("metadata, first asked", first, baseline)
            cached = await _time([partial(metadata_provider.metadata, k) for k in keys * 5])
            _figures("metadata, cached answer", cached, baseline)
            largest = max(catalogue.shows, key=lambda s: sum(x.episode_count for x in s.seasons))
            key = f"tmdb-show-{largest.tmdb_id}"
            episodes = sum(x.episode_count for x in largest.seasons)
            whole = await _time([partial(tv.grandchildren, key, Page(0, 20))])
            _figures(f"grandchildren of {largest.name} ({episodes} episodes), first", whole)
            pages = await _time(
                [partial(tv.grandchildren, key, Page(n * 20, 20)) for n in range(requests)]
            )
            _figures("grandchildren, a cached page of 20", pages, baseline)
            await tmdb.close()
            await fresh.close()
            await asyncio.to_thread(guessit.close)
        store.close()


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.history, args.requests, args.seed))


if __name__ == "__main__":
    main()
