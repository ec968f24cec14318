"""Library index: build time and memory over 100,000 items, against plexapi; lookups; updates.

Run: `.venv/bin/python -m bench.library_index [--movies 20000] [--shows 1000]
[--episodes 80000] [--page-sizes 500,1000,2000,5000] [--seed 1]`

The Plex emulator runs in a child process (as Plex is another process; the client's memory
figures are then the index's alone). Its library is generated in memory, without files:
`--movies` movies with TMDb and IMDb ids, `--shows` shows with TMDb, TVDB and IMDb ids and
`--episodes` episodes spread over their seasons, a quarter of them watched. The emulator's
per-request work is made proportional to the page (its section listings and children are
indexed once, and each item's JSON is made once), so the figures are the client's.

Printed, in one run:

- the page size: a full build at each of `--page-sizes` (the best of two), and the one chosen
  (the fastest; a tie within 5% goes to the larger page: fewer requests for a real server);
- the full build with the chosen page size: wall time, the client's CPU time, memory by
  tracemalloc (retained by the snapshot, and the peak during the build) and RSS growth
  (measured first, in a fresh process); target: <= 3 s and <= 80 MB;
- the same pages read the way plexapi reads them: XML pages (`Accept` left out, as plexapi
  does), parsed with ElementTree and made into `plexapi.video.Movie`/`Show`/`Episode`
  objects (`server=None`, `data=` the element): wall time, CPU time and memory retained;
  target: the index at least 5x faster;
- lookups: the median time of one `LibraryIndex.by_id()` call over 100,000 lookups per id
  type (TMDb, TVDB, IMDb), and of one `by_title()` call over 1,000 titles;
- one websocket update: `LibraryIndex.apply()` of a timeline entry (a movie processed, an
  episode processed, a movie deleted), median over 20 each, the metadata request included.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from functools import partial
import gc
import itertools
import random
import resource
import statistics
import sys
import time
import tracemalloc
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import aiohttp
import orjson

from custom_components.videodrome.engine.library.building import DEFAULT_PAGE_SIZE, build
from custom_components.videodrome.engine.library.index import LibraryIndex
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.notifications import Notification

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from custom_components.videodrome.engine.library.records import Snapshot
    from tests.emulators.plex_library import Item as PlexItem

TOKEN = "bench-token"  # noqa: S105 (the emulator's)
MOVIE_TMDB = 1
SHOW_TMDB = 500_000
SHOW_TVDB = 700_000
_WORDS = (
    "night",
    "day",
    "blood",
    "star",
    "iron",
    "glass",
    "river",
    "shadow",
    "silent",
    "golden",
    "broken",
    "last",
    "first",
    "dark",
    "red",
    "blue",
    "white",
    "black",
    "winter",
    "summer",
    "city",
    "house",
    "road",
    "storm",
    "fire",
    "ice",
    "stone",
    "wolf",
    "king",
    "queen",
    "ghost",
    "dream",
    "heart",
    "machine",
    "empire",
    "garden",
    "ocean",
    "desert",
    "mountain",
    "secret",
    "lost",
    "hidden",
    "wild",
    "quiet",
    "burning",
    "frozen",
    "eternal",
    "crimson",
    "silver",
    "northern",
    "southern",
    "electric",
)


# ---- the emulated server (child process) ----------------------------------------------------


def _library(movies: int, shows: int, episodes: int, seed: int) -> Any:
    from tests.emulators.plex_library import Item, PlexLibrary  # noqa: PLC0415 (child only)

    rng = random.Random(seed)
    library = PlexLibrary.empty()
    library.add_section("Movies", "movie", ["/media/Movies"], key=1)
    library.add_section("TV Shows", "show", ["/media/TV"], key=2)
    keys = itertools.count(1000)

    def add(**fields: Any) -> PlexItem:
        item = Item(rating_key=next(keys), **fields)
        library.items[item.rating_key] = item
        return item

    def title() -> str:
        return " ".join(rng.sample(_WORDS, rng.choice((1, 2, 2, 3)))).title()

    for number in range(movies):
        name, year = title(), rng.randint(1950, 2025)
        resolution = rng.choice(("1080p", "2160p", "720p"))
        add(
            type="movie",
            title=name,
            section_key=1,
            year=year,
            guid=f"plex://movie/{number:024x}",
            guids=[f"tmdb://{MOVIE_TMDB + number}", f"imdb://tt{1_000_000 + number:07d}"],
            files=[(f"/media/Movies/{name} ({year})/{name} ({year}) {resolution}.mkv", 1 << 30)],
            view_count=int(rng.random() < 0.25),
        )
    per_show = episodes // max(shows, 1)
    for number in range(shows):
        name, year = title(), rng.randint(1980, 2025)
        show = add(
            type="show",
            title=name,
            section_key=2,
            year=year,
            guid=f"plex://show/{number:024x}",
            guids=[
                f"tmdb://{SHOW_TMDB + number}",
                f"tvdb://{SHOW_TVDB + number}",
                f"imdb://tt{5_000_000 + number:07d}",
            ],
        )
        count = per_show + (1 if number < episodes - per_show * shows else 0)
        seasons = max(1, min(10, count // 8))
        for season_number in range(1, seasons + 1):
            season = add(
                type="season",
                title=f"Season {season_number}",
                section_key=2,
                guid=f"{show.guid}/season/{season_number}",
                index=season_number,
                parent_key=show.rating_key,
            )
            share = count // seasons + (1 if season_number <= count % seasons else 0)
            for episode in range(1, share + 1):
                add(
                    type="episode",
                    title=f"Episode {episode}",
                    section_key=2,
                    guid=f"{show.guid}/episode/{season_number}/{episode}",
                    index=episode,
                    parent_key=season.rating_key,
                    year=year,
                    files=[
                        (
                            (
                                f"/media/TV/{name} ({year})/Season {season_number:02d}/"
                                f"{name} - s{season_number:02d}e{episode:02d} 1080p.mkv"
                            ),
                            1 << 29,
                        )
                    ],
                    view_count=int(rng.random() < 0.25),
                )

    _make_fast(library)
    return library


def _make_fast(library: Any) -> None:
    """Index what the emulator otherwise finds by walking every item on every request."""
    from tests.emulators import plex as plex_module  # noqa: PLC0415 (child process only)
    from tests.emulators.plex_views import item_json  # noqa: PLC0415

    listings: dict[tuple[int, int | None], list[PlexItem]] = {}
    children: dict[int, list[PlexItem]] = {}
    for item in library.items.values():
        if item.parent_key is not None:
            children.setdefault(item.parent_key, []).append(item)
    for found in children.values():
        found.sort(key=lambda item: (item.index or 0, item.rating_key))
    original_listing = library.section_items

    def section_items(section_key: int, type_code: int | None) -> list[PlexItem]:
        key = (section_key, type_code)
        if key not in listings:
            listings[key] = original_listing(section_key, type_code)
        return listings[key]

    library.section_items = section_items
    library.children = lambda rating_key: children.get(rating_key, [])
    rendered: dict[tuple[int, bool, bool], dict[str, Any]] = {}

    def cached_item_json(
        lib: Any, item: PlexItem, *, guids: bool = False, detailed: bool = False
    ) -> dict[str, Any]:
        key = (item.rating_key, guids, detailed)
        if key not in rendered:
            rendered[key] = item_json(lib, item, guids=guids, detailed=detailed)
        return rendered[key]

    setattr(plex_module, "item_json", cached_item_json)  # noqa: B010 (not re-exported)


async def _serve(args: argparse.Namespace) -> None:
    from tests.emulators.plex import PlexEmulator  # noqa: PLC0415

    library = _library(args.movies, args.shows, args.episodes, args.seed)
    emulator = PlexEmulator(library, token=TOKEN)
    url = await emulator.start()
    print(url, flush=True)
    await asyncio.Event().wait()


# ---- measuring (this process) ---------------------------------------------------------------


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@dataclass
class Measured:
    wall: float
    cpu: float
    retained: int
    peak: int


async def _measure[T](job: Callable[[], Awaitable[T]], *, traced: bool) -> tuple[T, Measured]:
    gc.collect()
    if traced:
        tracemalloc.start()
        tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0] if traced else 0
    wall, cpu = time.perf_counter(), time.process_time()
    result = await job()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    gc.collect()
    retained = peak = 0
    if traced:
        current, peak_now = tracemalloc.get_traced_memory()
        retained, peak = current - before, peak_now - before
        tracemalloc.stop()
    return result, Measured(wall, cpu, retained, peak)


async def _plexapi_build(
    session: aiohttp.ClientSession, url: str, page_size: int, concurrency: int
) -> list[Any]:
    """Every movie, show and episode as plexapi objects, from the same pages in XML."""
    from plexapi.video import Episode, Movie, Show  # noqa: PLC0415

    classes: dict[str, Any] = {"Video": None, "Directory": Show}
    limit = asyncio.Semaphore(concurrency)
    objects: list[Any] = []
    headers = {"X-Plex-Token": TOKEN}

    async def page(section: int, libtype: int, start: int) -> int:
        params = {
            "type": str(libtype),
            "includeGuids": "1",
            "X-Plex-Container-Start": str(start),
            "X-Plex-Container-Size": str(page_size),
        }
        path = f"/library/sections/{section}/all"
        async with limit, session.get(url + path, params=params, headers=headers) as response:
            body = await response.read()
        root = ET.fromstring(body)  # noqa: S314 (the emulator's own answer)
        video = Movie if libtype == 1 else Episode
        for element in root:
            cls = classes.get(element.tag) or video
            objects.append(cls(None, element, initpath=path))
        return int(root.attrib.get("totalSize", "0"))

    async def section(key: int, libtype: int) -> None:
        total = await page(key, libtype, 0)
        await asyncio.gather(*(page(key, libtype, s) for s in range(page_size, total, page_size)))

    await asyncio.gather(section(1, 1), section(2, 2), section(2, 4))
    return objects


def _median_us(samples: list[int]) -> float:
    return statistics.median(samples) / 1000


async def _bench(args: argparse.Namespace) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.library_index",
        "--serve",
        f"--movies={args.movies}",
        f"--shows={args.shows}",
        f"--episodes={args.episodes}",
        f"--seed={args.seed}",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        url = (await server.stdout.readline()).decode().strip()
        async with aiohttp.ClientSession() as session:
            await _run(args, session, url)
    finally:
        server.terminate()
        await server.wait()


async def _run(args: argparse.Namespace, session: aiohttp.ClientSession, url: str) -> None:
    client = PlexClient(url, TOKEN, session, request_timeout=120)
    total = args.movies + args.shows + args.episodes
    print(
        f"library: {args.movies:,} movies, {args.shows:,} shows, {args.episodes:,} episodes "
        f"({total:,} items); emulator in a child process at {url}"
    )
    await client.sections()  # the connection, warm
    # Memory first, in a process that has built nothing yet (RSS would reuse freed heap).
    rss_before = _rss_kib()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    snapshot, first = await _measure(lambda: build(client), traced=False)
    rss_growth = (_rss_kib() - rss_before) / 1024
    maxrss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss_before) / 1024
    del snapshot
    print(f"first build (also warms the emulator's caches): {first.wall:.2f} s")

    sizes = [int(s) for s in args.page_sizes.split(",")]
    timings: dict[int, float] = {}
    for size in sizes:
        runs = []
        for _ in range(2):
            _, measured = await _measure(partial(build, client, page_size=size), traced=False)
            runs.append(measured.wall)
        timings[size] = min(runs)
        pages = -(-args.movies // size) + -(-args.shows // size) + -(-args.episodes // size)
        print(f"  page size {size:>5}: {timings[size]:.2f} s ({pages} requests)")
    fastest = min(timings.values())
    chosen = max(size for size, wall in timings.items() if wall <= fastest * 1.05)
    print(f"page size chosen: {chosen} (fastest, ties within 5% to the larger page)")

    walls, cpus = [], []
    for _ in range(3):
        snapshot, measured = await _measure(lambda: build(client, page_size=chosen), traced=False)
        walls.append(measured.wall)
        cpus.append(measured.cpu)
    del snapshot
    snapshot, traced = await _measure(lambda: build(client, page_size=chosen), traced=True)
    ours_wall, ours_cpu = statistics.median(walls), statistics.median(cpus)
    print(
        f"index build: {ours_wall:.2f} s wall (median of 3), {ours_cpu:.2f} s client CPU; "
        f"{len(snapshot.items):,} movies and shows, {len(snapshot.episodes):,} episodes"
    )
    print(
        f"  memory: {traced.retained / 2**20:.1f} MB retained, {traced.peak / 2**20:.1f} MB "
        f"peak (tracemalloc); RSS +{rss_growth:.1f} MB, peak RSS +{maxrss_growth:.1f} MB "
        f"(first build, default page size {DEFAULT_PAGE_SIZE})"
    )
    ok = ours_wall <= 3 and max(traced.peak, traced.retained) / 2**20 <= 80
    print(f"  targets (<= 3 s, <= 80 MB): {'met' if ok else 'MISSED'}")

    objects, plex_traced = await _measure(
        lambda: _plexapi_build(session, url, chosen, 4), traced=True
    )
    count = len(objects)
    del objects
    plex_walls, plex_cpus = [], []
    for _ in range(2):
        objects, measured = await _measure(
            lambda: _plexapi_build(session, url, chosen, 4), traced=False
        )
        del objects
        plex_walls.append(measured.wall)
        plex_cpus.append(measured.cpu)
    plex_wall, plex_cpu = min(plex_walls), min(plex_cpus)
    print(
        f"plexapi objects from XML pages: {plex_wall:.2f} s wall, {plex_cpu:.2f} s client CPU, "
        f"{plex_traced.retained / 2**20:.1f} MB retained, {plex_traced.peak / 2**20:.1f} MB "
        f"peak; {count:,} objects"
    )
    print(
        f"  index vs plexapi: {plex_wall / ours_wall:.1f}x faster (wall), "
        f"{plex_cpu / ours_cpu:.1f}x less client CPU, "
        f"{plex_traced.retained / max(traced.retained, 1):.1f}x less memory "
        f"(target >= 5x faster: {'met' if plex_wall / ours_wall >= 5 else 'MISSED'})"
    )

    index = LibraryIndex(client, page_size=chosen)
    index.swap(snapshot)
    _lookups(index, snapshot, args)
    await _updates(index, snapshot, args.seed)


def _lookups(index: LibraryIndex, snapshot: Snapshot, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    lookups = 100_000
    clock = time.perf_counter_ns
    cases: dict[str, Callable[[int], object]] = {
        "tmdb": lambda n: index.by_id(tmdb=MOVIE_TMDB + n % args.movies),
        "tvdb": lambda n: index.by_id(tvdb=SHOW_TVDB + n % args.shows),
        "imdb": lambda n: index.by_id(imdb=f"tt{1_000_000 + n % args.movies:07d}"),
    }
    for name, case in cases.items():
        numbers = [rng.randrange(1 << 30) for _ in range(lookups)]
        samples = []
        for number in numbers:
            start = clock()
            case(number)
            samples.append(clock() - start)
        found = sum(1 for n in numbers[:1000] if index.by_id(**_ids(name, n, args)).found)
        print(
            f"lookup by {name}: {_median_us(samples):.2f} us median over {lookups:,} "
            f"({found / 10:.0f}% found)"
        )
    titles = [item.title for item in rng.sample(list(snapshot.items.values()), 1000)]
    samples = []
    for title in titles:
        start = clock()
        index.by_title(title)
        samples.append(clock() - start)
    print(f"lookup by title: {_median_us(samples) / 1000:.2f} ms median over {len(titles):,}")


def _ids(name: str, number: int, args: argparse.Namespace) -> dict[str, Any]:
    if name == "tmdb":
        return {"tmdb": MOVIE_TMDB + number % args.movies}
    if name == "tvdb":
        return {"tvdb": SHOW_TVDB + number % args.shows}
    return {"imdb": f"tt{1_000_000 + number % args.movies:07d}"}


def _timeline(rating_key: int, kind: int, state: int) -> Notification:
    entry = {
        "identifier": "com.plexapp.plugins.library",
        "itemID": str(rating_key),
        "type": kind,
        "state": state,
    }
    raw = {"NotificationContainer": {"type": "timeline", "TimelineEntry": [entry]}}
    parsed = Notification.parse(orjson.dumps(raw))
    assert parsed is not None
    return parsed


async def _updates(index: LibraryIndex, snapshot: Snapshot, seed: int) -> None:
    rng = random.Random(seed)
    movies = [k for k, item in snapshot.items.items() if item.kind == "movie"]
    episodes = list(snapshot.episodes)
    cases = {
        "movie processed (state 5)": [_timeline(k, 1, 5) for k in rng.sample(movies, 20)],
        "episode processed (state 5)": [_timeline(k, 4, 5) for k in rng.sample(episodes, 20)],
        "movie deleted (state 9)": [_timeline(k, 1, 9) for k in rng.sample(movies, 20)],
    }
    for name, notifications in cases.items():
        samples = []
        for notification in notifications:
            start = time.perf_counter_ns()
            assert await index.apply(notification)
            samples.append(time.perf_counter_ns() - start)
        print(f"apply one update, {name}: {_median_us(samples) / 1000:.2f} ms median over 20")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.library_index", description=__doc__)
    parser.add_argument("--movies", type=int, default=20_000)
    parser.add_argument("--shows", type=int, default=1_000)
    parser.add_argument("--episodes", type=int, default=80_000)
    parser.add_argument("--page-sizes", default="500,1000,2000,5000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(_serve(args) if args.serve else _bench(args))


if __name__ == "__main__":
    main()
