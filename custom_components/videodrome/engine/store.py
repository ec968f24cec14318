"""Videodrome's SQLite store: the TMDb response cache now, the history and review queue later.

Blocking: every method runs SQL on the calling thread, so the integration calls them in
executor jobs. One connection, shared by the executor's threads behind a lock; WAL journal so
readers never wait for a writer, and `synchronous=NORMAL`, which WAL makes crash-safe for
everything but the last transaction before a power cut (a cache entry, here).

The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[n]` takes version n to n + 1,
each in one transaction, so a store written by an older Videodrome is brought up to date on
open and a newer one is refused rather than misread.
"""

from __future__ import annotations

from contextlib import closing
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import TracebackType

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: the TMDb cache. `key` is the request path and its parameters, never the API key.
    """
    CREATE TABLE tmdb_cache (
        key TEXT PRIMARY KEY,
        body BLOB NOT NULL,
        fetched_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX tmdb_cache_fetched_at ON tmdb_cache (fetched_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreVersionError(RuntimeError):
    """The store was written by a newer Videodrome than this one."""


class Store:
    """One SQLite database file, opened and migrated on construction."""

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        """Open (creating if needed) and migrate the database at `path` (":memory:" works)."""
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30
        )
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except BaseException:
            self._db.close()
            raise

    def _migrate(self) -> None:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            msg = (
                f"store schema {version} is newer than this version understands ({SCHEMA_VERSION})"
            )
            raise StoreVersionError(msg)
        for number in range(version, SCHEMA_VERSION):
            with closing(self._db.cursor()) as cursor:
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    for statement in MIGRATIONS[number].split(";"):
                        if statement.strip():
                            cursor.execute(statement)
                    cursor.execute(f"PRAGMA user_version = {number + 1}")
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        with self._lock:
            version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        return version

    def cache_get(self, key: str, max_age: float) -> bytes | None:
        """The cached body for `key` when it is younger than `max_age` seconds."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM tmdb_cache WHERE key = ? AND fetched_at >= ?",
                (key, self._clock() - max_age),
            ).fetchone()
        return bytes(row[0]) if row else None

    def cache_put(self, key: str, body: bytes) -> None:
        """Store (or refresh) the body for `key`."""
        with self._lock:
            self._db.execute(
                "INSERT INTO tmdb_cache (key, body, fetched_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET body = excluded.body,"
                " fetched_at = excluded.fetched_at",
                (key, body, self._clock()),
            )

    def cache_purge(self, max_age: float) -> int:
        """Drop entries older than `max_age` seconds; how many went."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM tmdb_cache WHERE fetched_at < ?", (self._clock() - max_age,)
            )
        return cursor.rowcount

    def cache_size(self) -> int:
        """How many responses are cached."""
        with self._lock:
            count: int = self._db.execute("SELECT count(*) FROM tmdb_cache").fetchone()[0]
        return count

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        """Use as a context manager that closes the store."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()
