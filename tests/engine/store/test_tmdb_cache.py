"""The TMDb cache's ages and bounds: real SQLite files, floods through the real client.

Each flood writes thousands of distinct entries; the bounds are checked on the database and
on the file (with its write-ahead log), before and after a purge. `pytest -s` prints the
figures as `CACHE` lines.
"""

from __future__ import annotations

import asyncio
from contextlib import closing
import sqlite3
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.tmdb_cache import (
    CACHE_TTL,
    EMPTY_TTL,
    MAX_BYTES,
    MAX_ROWS,
    SLACK,
)
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    from pathlib import Path

    import aiohttp

    from tests.emulators.tmdb import TMDbEmulator

DAY = 24 * 3600.0


class Clock:
    """Seconds that the test moves on."""

    def __init__(self) -> None:
        self.now = 1_000_000_000.0

    def __call__(self) -> float:
        return self.now


def _on_disk(path: Path) -> int:
    """The database file and its write-ahead log, in bytes."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _figures(store: Store) -> tuple[int, int]:
    """Rows, and the bytes of the file's pages in use."""
    db = store._db
    rows = db.execute("SELECT count(*) FROM tmdb_cache").fetchone()[0]
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    return int(rows), int((pages - free) * db.execute("PRAGMA page_size").fetchone()[0])


def _figure(name: str, **numbers: object) -> None:
    print(f"CACHE {name}: " + ", ".join(f"{k}={v}" for k, v in numbers.items()))  # noqa: T201


def _body(n: int, size: int) -> bytes:
    """A JSON answer of about `size` bytes, different for each `n`."""
    return b'{"id": %d, "overview": "%s"}' % (n, b"x" * size)


async def test_a_flood_through_the_client_stays_within_the_bounds(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator, tmp_path: Path
) -> None:
    """3,000 distinct requests (a client asking for one movie in 3,000 "languages", as the
    unauthenticated provider lets anyone do): trimmed as they come, bounded after a purge,
    the newest still answered from the cache."""
    path = tmp_path / "videodrome.db"
    flood = 3000
    with Store(path) as store:
        cache = store.tmdb_cache
        cache.max_rows, cache.max_bytes = 1000, 1024 * 1024
        tmdb = TMDbClient(
            session, api_key=TMDB_KEY, base_url=tmdb_emulator.url, store=store, rate=10_000
        )
        languages = [f"x-{n:05d}" for n in range(flood)]
        for start in range(0, flood, 100):
            await asyncio.gather(
                *(
                    tmdb.details_json("movie", 603, language=language)
                    for language in languages[start : start + 100]
                )
            )
        assert tmdb.stats.requests == flood
        rows, size = _figures(store)
        file_after_flood = _on_disk(path)
        assert rows <= cache.max_rows * (1 + SLACK), "trimmed while the flood went on"
        assert size <= cache.max_bytes * (1 + SLACK)

        purged = cache.purge()
        assert (purged.rows, purged.bytes) == _figures(store)
        assert purged.rows <= cache.max_rows
        assert purged.bytes <= cache.max_bytes
        assert purged.expired == 0
        assert _on_disk(path) == purged.bytes <= cache.max_bytes, "the space was given back"

        # The newest answers survive: a new client (a restart) gets them from the store.
        fresh = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url, store=store)
        for language in languages[-100:]:
            await fresh.details_json("movie", 603, language=language)
        assert (fresh.stats.store_hits, fresh.stats.requests) == (100, 0)
        await fresh.details_json("movie", 603, language=languages[0])
        assert fresh.stats.requests == 1, "the oldest were evicted"
    _figure(
        "client flood",
        requests=flood,
        bound_rows=cache.max_rows,
        bound_bytes=cache.max_bytes,
        rows_after_flood=rows,
        bytes_after_flood=size,
        file_after_flood=file_after_flood,
        rows_after_purge=purged.rows,
        bytes_after_purge=purged.bytes,
        file_after_purge=_on_disk(path),
        evicted=purged.evicted,
    )


def test_unbounded_the_same_flood_would_keep_everything(tmp_path: Path) -> None:
    """What the bounds prevent: with none, every entry of a flood stays (the issue's growth)."""
    path = tmp_path / "videodrome.db"
    with Store(path) as store:
        cache = store.tmdb_cache
        cache.max_rows, cache.max_bytes = 10**9, 10**12
        for n in range(3000):
            cache.put(f"movie/603?language=x-{n:05d}", _body(n, 2000))
        rows, size = _figures(store)
        assert rows == 3000
    _figure("unbounded flood", rows=rows, bytes=size, file=_on_disk(path))


@pytest.mark.timeout(120)
def test_the_real_bounds_hold_a_flood_of_25000_entries(tmp_path: Path) -> None:
    """MAX_ROWS itself: 25,000 answers of 900 bytes (in their leaf pages: the row bound
    binds before MAX_BYTES)."""
    path = tmp_path / "videodrome.db"
    clock = Clock()
    with Store(path, clock=clock) as store:
        cache = store.tmdb_cache
        assert (cache.max_rows, cache.max_bytes) == (MAX_ROWS, MAX_BYTES)
        peak = 0
        for n in range(25_000):
            clock.now += 1
            cache.put(f"search/movie?query=flood-{n:05d}", _body(n, 900))
            if n % 500 == 499:
                peak = max(peak, _figures(store)[0])
        assert peak <= MAX_ROWS * (1 + SLACK)
        file_after_flood = _on_disk(path)
        purged = cache.purge()
        assert purged.rows == MAX_ROWS
        assert purged.bytes <= MAX_BYTES
        newest = cache.get("search/movie?query=flood-24999")
        assert newest is not None
        assert newest.startswith(b'{"id": 24999')
        assert cache.get("search/movie?query=flood-04999") is None  # among the oldest
        assert _on_disk(path) == purged.bytes
    _figure(
        "real bounds",
        written=25_000,
        peak_rows=peak,
        file_after_flood=file_after_flood,
        rows_after_purge=purged.rows,
        file_after_purge=_on_disk(path),
    )


def test_the_byte_bound_evicts_the_least_recently_written(tmp_path: Path) -> None:
    """Large answers: the byte bound binds first; a rewritten entry counts as new; the
    history beside the cache is never deleted for room."""
    path = tmp_path / "videodrome.db"
    clock = Clock()
    with Store(path, clock=clock) as store:
        store.add_item(source="/downloads/Heat.1995.mkv", status="review")
        cache = store.tmdb_cache
        cache.max_rows, cache.max_bytes = 1000, 400_000
        order: list[str] = []
        for n in range(100):  # 100 answers of 10 KB: 1 MB
            clock.now += 1
            cache.put(f"tv/{n}", _body(n, 10_000))
            order.append(f"tv/{n}")
            if n == 80:
                clock.now += 1
                cache.put("tv/0", _body(0, 10_000))  # written again: recent
                order.append("tv/0")
            assert _figures(store)[1] <= 400_000 * (1 + SLACK)
        purged = cache.purge()
        assert purged.bytes <= 400_000
        assert _on_disk(path) == purged.bytes
        kept = {key for (key,) in store._db.execute("SELECT key FROM tmdb_cache")}
        newest = list(dict.fromkeys(reversed(order)))[: len(kept)]
        assert kept == set(newest), "the most recently written are the ones kept"
        assert "tv/0" in kept
        assert len(kept) >= 20
        assert [item.source for item in store.history()] == ["/downloads/Heat.1995.mkv"]


def test_a_purge_gives_back_what_a_write_time_trim_freed(tmp_path: Path) -> None:
    """The 111th entry passes the row bound by 10 %: trimmed to 100 at once. The purge then
    deletes nothing, yet gives the freed pages back and empties the write-ahead log."""
    path = tmp_path / "videodrome.db"
    clock = Clock()
    with Store(path, clock=clock) as store:
        cache = store.tmdb_cache
        cache.max_rows = 100
        for n in range(111):
            clock.now += 1
            cache.put(f"movie/{n}", _body(n, 5000))
        assert cache.size() == 100
        assert cache.get("movie/10") is None
        assert cache.get("movie/11") is not None
        assert store._db.execute("PRAGMA freelist_count").fetchone()[0] >= 11
        purged = cache.purge()
        assert (purged.expired, purged.evicted, purged.rows) == (0, 0, 100)
        assert purged.freed_pages >= 11
        assert _on_disk(path) == purged.bytes
        assert path.with_name(path.name + "-wal").stat().st_size == 0


def test_purge_drops_what_has_outlived_the_lifetime(tmp_path: Path) -> None:
    """Older than 30 days: gone. Younger (an empty search past its day too): kept."""
    clock = Clock()
    with Store(tmp_path / "videodrome.db", clock=clock) as store:
        cache = store.tmdb_cache
        for n in range(500):
            cache.put(f"movie/{n}", _body(n, 100))
        clock.now += CACHE_TTL - DAY
        cache.put("movie/603", _body(603, 100))
        cache.put("search/movie?query=nothing", b'{"results": [], "total_results": 0}')
        clock.now += 2 * DAY
        purged = cache.purge()
        assert (purged.expired, purged.evicted, purged.rows) == (500, 0, 2)
        assert cache.get("movie/0", max_age=10 * CACHE_TTL) is None
        assert cache.get("movie/603") is not None
        assert cache.get("search/movie?query=nothing", EMPTY_TTL) is None  # asked again
        assert cache.get("search/movie?query=nothing") is not None
        assert purged.freed_pages > 0
        assert store._db.execute("PRAGMA freelist_count").fetchone()[0] == 0


def test_a_store_from_before_auto_vacuum_is_converted_once_it_is_worth_it(
    tmp_path: Path,
) -> None:
    """No auto-vacuum (an older Videodrome's file): a purge that frees enough VACUUMs it
    into incremental auto-vacuum, and the file shrinks; nothing else is lost."""
    path = tmp_path / "videodrome.db"
    clock = Clock()
    with Store(path, clock=clock) as store:
        store.add_item(source="/downloads/Heat.1995.mkv", status="review")
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA auto_vacuum = NONE")
        db.execute("VACUUM")
        assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    with Store(path, clock=clock) as store:
        cache = store.tmdb_cache
        for n in range(10):  # a few, expired: too little free space to bother
            cache.put(f"movie/{n}", _body(n, 1000))
        clock.now += CACHE_TTL + 1
        assert cache.purge().freed_pages == 0
        assert store._db.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
        for n in range(3000):
            cache.put(f"movie/{n}", _body(n, 1000))
        grown = _on_disk(path)
        clock.now += CACHE_TTL + 1
        purged = cache.purge()
        assert purged.expired == 3000
        assert purged.freed_pages > 0
        assert store._db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
        assert _on_disk(path) < grown / 10
        assert [item.source for item in store.history()] == ["/downloads/Heat.1995.mkv"]
    _figure("old store converted", file_before=grown, file_after=_on_disk(path))
