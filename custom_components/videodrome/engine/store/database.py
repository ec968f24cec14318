"""Videodrome's SQLite store: one database file, its connection, schema and migrations.

What it holds is the history's and the cache's: the ingest history and the review queue
(history.py, its rows items.py), the TMDb response cache (tmdb_cache.py, `Store.tmdb_cache`)
and the posters uploaded into Plex (poster_uploads.py, `Store.poster_uploads`).

Blocking: every method runs SQL on the calling thread, so the integration calls them in
executor jobs. One connection, shared by the executor's threads behind a lock; WAL journal so
readers never wait for a writer, and `synchronous=NORMAL`, which WAL makes crash-safe for
everything but the last transaction before a power cut.

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

from .errors import StoreVersionError
from .history import History
from .poster_uploads import PosterUploadTable
from .tmdb_cache import TMDbCache

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
    # 1 -> 2: the ingest history, one row per source file handled; `review` rows are the queue.
    # episodes, reasons and candidates are JSON lists; target is relative to the library root,
    # destination absolute. No semicolons inside: the migration is split on them.
    """
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        source_size INTEGER,
        source_mtime_ns INTEGER,
        source_inode INTEGER,
        source_device INTEGER,
        kind TEXT,
        title TEXT,
        year INTEGER,
        season INTEGER,
        episodes TEXT,
        tmdb_id INTEGER,
        tvdb_id INTEGER,
        imdb_id TEXT,
        confidence REAL,
        decision TEXT,
        reasons TEXT,
        candidates TEXT,
        library TEXT,
        target TEXT,
        destination TEXT,
        status TEXT NOT NULL,
        error TEXT,
        plex_status TEXT,
        plex_rating_key TEXT,
        batch TEXT,
        created_at REAL,
        updated_at REAL
    );
    CREATE INDEX items_status ON items (status);
    CREATE INDEX items_source ON items (source);
    CREATE INDEX items_inode ON items (source_device, source_inode);
    CREATE INDEX items_tmdb_id ON items (tmdb_id);
    CREATE INDEX items_updated_at ON items (updated_at);
    """,
    # 2 -> 3: subtitles moved with an organised video, as [old, new] pairs (for undo).
    """
    ALTER TABLE items ADD COLUMN companions TEXT;
    """,
    # 3 -> 4: the guid Plex had matched a file to before Videodrome corrected the match.
    """
    ALTER TABLE items ADD COLUMN plex_previous_guid TEXT;
    """,
    # 4 -> 5: the posters uploaded into Plex (Stash's), by server and item guid, with the
    # poster's digest: a restart uploads none again, a changed screenshot goes up again.
    """
    CREATE TABLE poster_uploads (
        server TEXT NOT NULL,
        guid TEXT NOT NULL,
        digest TEXT NOT NULL,
        rating_key INTEGER,
        uploaded_at REAL NOT NULL,
        PRIMARY KEY (server, guid)
    ) WITHOUT ROWID;
    """,
    # 5 -> 6: a copy of what Plex held: both qualities and the decision (ingest/versions.py).
    """
    ALTER TABLE items ADD COLUMN quality TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def _fold(text: str | None) -> str | None:
    """SQL `videodrome_fold`: Unicode case folding (SQLite's lower() knows only ASCII).

    The history's searches by title and source use it.
    """
    return text.casefold() if text is not None else None


class Store(History):
    """One SQLite database file, opened and migrated on construction.

    The history's queries are `History`'s (`add_item`, `find_handled`, `review_queue`, ...),
    the TMDb cache is `tmdb_cache`; both share the store's connection and lock.
    """

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        """Open (creating if needed) and migrate the database at `path` (":memory:" works)."""
        db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        super().__init__(db, threading.Lock(), clock)
        try:
            # A new file only (SQLite ignores it once tables exist): purges give space back.
            db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.create_function("videodrome_fold", 1, _fold, deterministic=True)
            self._migrate()
        except BaseException:
            db.close()
            raise
        self.tmdb_cache = TMDbCache(db, self._lock, clock)
        self.poster_uploads = PosterUploadTable(db, self._lock, clock)

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
