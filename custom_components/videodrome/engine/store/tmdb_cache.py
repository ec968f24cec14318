"""The TMDb response cache: a table of the store, how long its entries live and how many fit.

It holds TMDb's answers as TMDb sent them (bytes), keyed by the request's path and parameters
(never the API key), with the time each was last written. `TMDbClient` reads through it, for
ingest and for the metadata provider alike; this module is the one place for its policy:

- age: an entry is served for `CACHE_TTL` (30 days), an empty search for `EMPTY_TTL` (a day:
  the title may be added to TMDb meanwhile); `purge()` deletes what is older than `CACHE_TTL`;
- size: at most `MAX_ROWS` entries, and the store's file at most `MAX_BYTES` (its pages in
  use: what the file measures once free pages are given back). The provider answers Plex
  without authentication, so anyone on the network can make Videodrome ask TMDb (and cache
  the answer) as often as its rate limit lets them; the bounds keep that from filling the
  disk. `purge()` evicts the least recently written entries down to the bounds (only cache
  entries: the history is never deleted for room), and a write that takes the cache `SLACK`
  (10 %) past either bound trims it at once, so a flood between two purges cannot outgrow
  them;
- space: deleted rows leave free pages in the file. New stores are created with SQLite's
  incremental auto-vacuum and `purge()` gives the free pages back (`PRAGMA incremental_vacuum`,
  then a WAL checkpoint that truncates the log); a store from before (no auto-vacuum) is
  converted by one VACUUM the first time a purge leaves enough free space to be worth it.

The integration runs `purge()` every `PURGE_INTERVAL` in an executor job. Blocking, like the
rest of the store: every method takes the store's lock and runs SQL on the calling thread.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    import sqlite3
    import threading

CACHE_TTL = 30 * 24 * 3600.0
EMPTY_TTL = 24 * 3600.0
# Identifying a file asks TMDb 2 to 6 things, and the episodes of a show share most of them:
# 20,000 answers cover thousands of files. Bytes are counted in the file's pages, not in
# answers: an answer over about 1 KB takes a 4 KB overflow page of its own, so the same
# 50 MB holds about 10,000 answers of 2-4 KB (or 20,000 small ones). The file held
# 1,219 answers in 5.7 MB.
MAX_ROWS = 20_000
MAX_BYTES = 50 * 1024 * 1024
SLACK = 0.10
PURGE_INTERVAL = 3600.0
# A store without auto-vacuum is converted (one VACUUM) once this much of it is free pages.
CONVERT_FREE_BYTES = 1024 * 1024
CONVERT_FREE_SHARE = 0.25
_AUTO_VACUUM_INCREMENTAL = 2

# Past the newest `max_rows` entries; the `n` least recently written (ties broken by key).
_EVICT_BEYOND = (
    "DELETE FROM tmdb_cache WHERE key IN (SELECT key FROM tmdb_cache"
    " ORDER BY fetched_at DESC, key DESC LIMIT -1 OFFSET ?)"
)
_EVICT_OLDEST = (
    "DELETE FROM tmdb_cache WHERE key IN (SELECT key FROM tmdb_cache"
    " ORDER BY fetched_at, key LIMIT ?)"
)


@dataclass(frozen=True, slots=True)
class Purged:
    """What a purge did, and the cache after it."""

    expired: int  # older than the cache's lifetime
    evicted: int  # the least recently written, over a bound
    rows: int
    bytes: int  # the store's pages in use (the file, once free pages are given back)
    freed_pages: int  # given back to the filesystem


class TMDbCache:
    """The `tmdb_cache` table of one store (`Store.tmdb_cache`)."""

    def __init__(
        self,
        db: sqlite3.Connection,
        lock: threading.Lock,
        clock: Callable[[], float],
        *,
        max_age: float = CACHE_TTL,
        max_rows: int = MAX_ROWS,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        """Use the store's connection under the store's lock; `clock` is seconds."""
        self._db = db
        self._lock = lock
        self._clock = clock
        self.max_age = max_age
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        # An upper estimate of the rows since they were last counted (a rewrite of an entry
        # counts as a new one): writes compare it with the bound, not a count(*).
        self._rows: int | None = None

    def get(self, key: str, max_age: float | None = None) -> bytes | None:
        """The cached body for `key` when it is younger than `max_age` (the lifetime)."""
        age = self.max_age if max_age is None else max_age
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM tmdb_cache WHERE key = ? AND fetched_at >= ?",
                (key, self._clock() - age),
            ).fetchone()
        return bytes(row[0]) if row else None

    def put(self, key: str, body: bytes) -> None:
        """Store (or refresh) the body for `key`; trim at once past a bound by `SLACK`."""
        with self._lock:
            self._db.execute(
                "INSERT INTO tmdb_cache (key, body, fetched_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET body = excluded.body,"
                " fetched_at = excluded.fetched_at",
                (key, body, self._clock()),
            )
            rows = self._count() if self._rows is None else self._rows + 1
            self._rows = rows
            over = 1 + SLACK
            if rows > self.max_rows * over or self._used() > self.max_bytes * over:
                self._evict()

    def size(self) -> int:
        """How many answers are cached."""
        with self._lock:
            count: int = self._db.execute("SELECT count(*) FROM tmdb_cache").fetchone()[0]
        return count

    def purge(self, max_age: float | None = None) -> Purged:
        """Drop what is older than `max_age` (the lifetime), evict down to the bounds.

        The space freed goes back to the filesystem.
        """
        age = self.max_age if max_age is None else max_age
        with self._lock:
            expired = self._db.execute(
                "DELETE FROM tmdb_cache WHERE fetched_at < ?", (self._clock() - age,)
            ).rowcount
            evicted = self._evict()
            freed = self._reclaim()
            return Purged(expired, evicted, self._count(), self._used(), freed)

    def _evict(self) -> int:
        """Down to the bounds, the least recently written first; how many went."""
        db = self._db
        evicted = int(db.execute(_EVICT_BEYOND, (self.max_rows,)).rowcount)
        while (used := self._used()) > self.max_bytes and (rows := self._count()):
            # As if the cache filled the file: a little too few, then the rest.
            share = (used - self.max_bytes) / used
            evicted += int(db.execute(_EVICT_OLDEST, (math.ceil(rows * share),)).rowcount)
        self._count()
        return evicted

    def _count(self) -> int:
        rows: int = self._db.execute("SELECT count(*) FROM tmdb_cache").fetchone()[0]
        self._rows = rows
        return rows

    def _used(self) -> int:
        """The bytes of the store's pages in use (free pages are not)."""
        db = self._db
        pages: int = db.execute("PRAGMA page_count").fetchone()[0]
        free: int = db.execute("PRAGMA freelist_count").fetchone()[0]
        size: int = db.execute("PRAGMA page_size").fetchone()[0]
        return (pages - free) * size

    def _reclaim(self) -> int:
        """Give free pages back (converting an old store once it is worth it); how many.

        Free pages are those of deleted rows, here or since the last purge (trims at write
        time leave them for the next writes). The write-ahead log is emptied either way.
        """
        db = self._db
        free: int = db.execute("PRAGMA freelist_count").fetchone()[0]
        if db.execute("PRAGMA auto_vacuum").fetchone()[0] == _AUTO_VACUUM_INCREMENTAL:
            # One page per step: stepped to the end, it frees them all.
            db.execute("PRAGMA incremental_vacuum").fetchall()
        elif free * db.execute("PRAGMA page_size").fetchone()[0] >= CONVERT_FREE_BYTES and (
            free >= db.execute("PRAGMA page_count").fetchone()[0] * CONVERT_FREE_SHARE
        ):
            db.execute(f"PRAGMA auto_vacuum = {_AUTO_VACUUM_INCREMENTAL}")
            db.execute("VACUUM")  # takes effect, and gives every free page back
        else:
            free = 0
        # Apply what went through the write-ahead log, and empty it.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        return free
