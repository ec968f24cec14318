"""The Stash provider under a library scan: how long Plex waits, and what it costs Stash.

Run: `.venv/bin/python -m bench.provider_stash [--scenes 50000] [--requests 200]`

The Stash emulator in a process of its own (Stash is another server) with `--scenes`
generated scenes, whose GraphQL it executes with graphql-core and whose files it finds by path
as Stash's SQL does. The provider (engine/provider/stash_service.py) asks it through the Stash
client, with its answers cached (the default lifetime, 300 s) and not (lifetime 0); the
provider's own bound on Stash's rate is lifted, so that the figures are the requests' own.
Printed, in the same run, p50 and p99 per request, as ratios of the baseline:

- the baseline: the one GraphQL request a match needs (`findScenes` by path), made directly
  with aiohttp: what Stash itself takes to answer;
- a match by file name, uncached and cached; metadata of a scene, uncached and cached;
- the letterboxed poster, made (Pillow, in an executor job) and then from its cache;
- how many GraphQL requests each Plex request made;
- for comparison, what finding a name would take by paging through every scene (a few names).
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import contextmanager
from functools import partial
import random
import statistics
import sys
import time
from typing import TYPE_CHECKING

import aiohttp
import orjson

from custom_components.videodrome.engine.provider.budget import RequestBudget, StashLimits
from custom_components.videodrome.engine.provider.rate_limits import BookingLimiter
from custom_components.videodrome.engine.provider.requests import MatchRequest
from custom_components.videodrome.engine.provider.stash_documents import ImageRoute
from custom_components.videodrome.engine.provider.stash_service import StashProvider
from custom_components.videodrome.engine.stash.client import StashClient
from custom_components.videodrome.engine.stash.queries import SCENES_BY_PATH
from tests.emulators.stash_library import StashLibrary

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

BASE = "http://ha.local:8123/api/videodrome/provider/bench/stash"
NAIVE_PAGE = 1000


def _figures(label: str, seconds: list[float], baseline: float | None = None) -> float:
    p50 = statistics.median(seconds)
    p99 = statistics.quantiles(seconds, n=100)[98] if len(seconds) > 1 else seconds[0]
    ratio = f", {p50 / baseline:.3g}x the baseline" if baseline else ""
    print(f"  {label}: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms{ratio}")
    return p50


async def _time(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    seconds: list[float] = []
    for call in calls:
        started = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - started)
    return seconds


class CountingLimits(StashLimits):
    """No bound on Stash's rate, and a count of the requests that went out to Stash."""

    made = 0

    @contextmanager
    def metered(self) -> Iterator[RequestBudget]:
        """The provider's budget for one request, its requests added up once it is done."""
        with super().metered() as budget:
            try:
                yield budget
            finally:
                self.made += budget.made


async def _emulator(scenes: int) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.emulators.stash", "--port", "0", "--scenes", str(scenes),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 120)
    return process, line.decode().split()[-1]


async def _graphql(session: aiohttp.ClientSession, url: str, name: str) -> None:
    """The match's one GraphQL request, made directly."""
    payload = {
        "query": SCENES_BY_PATH,
        "operationName": "VideodromeScenesByPath",
        "variables": {"path": f'"{name}"', "page": 1, "perPage": 40},
    }
    async with session.post(f"{url}/graphql", data=orjson.dumps(payload)) as response:
        assert response.status == 200
        await response.read()


async def _naive(session: aiohttp.ClientSession, url: str, name: str) -> None:
    """Finding a name by reading every scene, a page at a time (what the client never does)."""
    query = (
        "query($page: Int!, $perPage: Int!) { findScenes(filter: {page: $page, per_page: $perPage})"
        " { count scenes { id files { basename } } } }"
    )
    page, read, count = 1, 0, 1
    while read < count:
        body = {"query": query, "variables": {"page": page, "perPage": NAIVE_PAGE}}
        async with session.post(f"{url}/graphql", data=orjson.dumps(body)) as response:
            found = (await response.json())["data"]["findScenes"]
        count, read, page = found["count"], read + len(found["scenes"]), page + 1
        if any(f["basename"] == name for s in found["scenes"] for f in s["files"]):
            return


def _provider(
    session: aiohttp.ClientSession, url: str, ttl: float
) -> tuple[StashProvider, CountingLimits]:
    limits = CountingLimits(BookingLimiter(1e9, 1e9, max_wait=0), max_requests=1_000)
    return StashProvider(StashClient(session, url, cache_ttl=ttl), limits=limits), limits


def _requests(label: str, match: float, metadata: float) -> None:
    each = f"match {match:.2f}, metadata {metadata:.2f}"
    print(f"    GraphQL requests per Plex request ({label}): {each}")


async def main_async(scenes: int, requests: int, seed: int) -> None:
    """Start the emulator, time each kind of request."""
    rng = random.Random(seed)
    library = StashLibrary.generated(scenes)  # the emulator's, to pick names and ids from
    picked = rng.sample(sorted(library.scenes), requests)
    names = [library.scenes[i].files[0].rsplit("/", 1)[-1] for i in picked]
    asked = [MatchRequest.from_json({"type": 1, "filename": f"/Stash/x/{n}"}) for n in names]
    keys = [f"stash-{i}" for i in picked]
    process, url = await _emulator(scenes)
    try:
        async with aiohttp.ClientSession() as session:
            print(f"provider_stash: {scenes:,} scenes in Stash, {requests} requests of each kind")
            await _graphql(session, url, names[0])  # a first request: connections, caches
            # The baseline and the uncached match in turns, so that both meet the same load.
            provider, counter = _provider(session, url, 0.0)
            turns: list[Callable[[], Awaitable[object]]] = []
            for name, request in zip(names, asked, strict=True):
                turns += [
                    partial(_graphql, session, url, name),
                    partial(provider.match, request, BASE),
                ]
            seconds = await _time(turns)
            baseline = _figures("baseline, the match's GraphQL request alone", seconds[0::2])
            _figures("match by file name, uncached", seconds[1::2], baseline)
            per_match = counter.made / len(asked)
            counter.made = 0
            _figures(
                "metadata, uncached",
                await _time([partial(provider.metadata, k, BASE) for k in keys]),
                baseline,
            )
            _requests("uncached", per_match, counter.made / len(keys))
            provider, counter = _provider(session, url, 300.0)
            await _time([partial(provider.match, r, BASE) for r in asked])  # what a first scan
            await _time([partial(provider.metadata, k, BASE) for k in keys])  # leaves cached
            counter.made = 0
            _figures(
                "match by file name, cached",
                await _time([partial(provider.match, r, BASE) for r in asked]),
                baseline,
            )
            per_match = counter.made / len(asked)
            counter.made = 0
            _figures(
                "metadata, cached",
                await _time([partial(provider.metadata, k, BASE) for k in keys]),
                baseline,
            )
            _requests("cached", per_match, counter.made / len(keys))
            provider, _ = _provider(session, url, 300.0)
            shots = [str(i) for i in picked[:20]]
            posters = partial(provider.image, ImageRoute.POSTER)
            _figures("poster, made", await _time([partial(posters, s) for s in shots]), baseline)
            _figures("poster, cached", await _time([partial(posters, s) for s in shots]), baseline)
            naive = await _time([partial(_naive, session, url, n) for n in names[:3]])
            _figures("for comparison: paging through every scene (3 names)", naive, baseline)
    finally:
        process.terminate()
        await process.wait()


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenes", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.scenes, args.requests, args.seed))


if __name__ == "__main__":
    main()
