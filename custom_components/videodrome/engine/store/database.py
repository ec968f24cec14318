"""Videodrome's SQLite store: the TMDb response cache, the ingest history and the review queue.

The cache's table, ages and bounds are tmdb_cache.py's (`Store.tmdb_cache`).

Blocking: every method runs SQL on the calling thread, so the integration calls them in
executor jobs. One connection, shared by the executor's threads behind a lock; WAL journal so
readers never wait for a writer, and `synchronous=NORMAL`, which WAL makes crash-safe for
everything but the last transaction before a power cut.

The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[n]` takes version n to n + 1,
each in one transaction, so a store written by an older Videodrome is brought up to date on
open and a newer one is refused rather than misread.

The history holds one `Item` per source file handled: what it was identified as, the decision,
where it went and how far it got (`ItemStatus`). Items in `review` are the review queue. The
store only records; deleting history rows never touches a file.
"""

from __future__ import annotations

from contextlib import closing, contextmanager
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
import os
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any, Self, TypedDict, Unpack

import orjson

from .errors import StoreVersionError
from .tmdb_cache import TMDbCache

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
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
)
SCHEMA_VERSION = len(MIGRATIONS)


class ItemStatus(StrEnum):
    """How far a source file has got."""

    PENDING = "pending"  # identified, waiting to be executed
    REVIEW = "review"  # in the review queue, waiting for a person
    TRANSFERRING = "transferring"  # being copied, linked or moved into the library
    INGESTED = "ingested"  # in the library
    SKIPPED = "skipped"  # deliberately left alone
    REJECTED = "rejected"  # refused in review: stays out until the file changes
    FAILED = "failed"  # went wrong: tried again when seen again
    ORGANISED = "organised"  # renamed in place to its Plex path (undo puts it back)
    UNDONE = "undone"  # an organised rename that was put back


# A file with an item in one of these is not picked up again (`Store.find_handled`); `rejected`
# only while the file is unchanged. `failed` is missing: a failure is retried.
HANDLED: frozenset[ItemStatus] = frozenset(
    {
        ItemStatus.PENDING,
        ItemStatus.REVIEW,
        ItemStatus.TRANSFERRING,
        ItemStatus.INGESTED,
        ItemStatus.SKIPPED,
        ItemStatus.REJECTED,
    }
)
# Finished items, the only ones `Store.purge_history` deletes.
FINISHED: frozenset[ItemStatus] = frozenset(
    {
        ItemStatus.INGESTED,
        ItemStatus.SKIPPED,
        ItemStatus.REJECTED,
        ItemStatus.FAILED,
        ItemStatus.ORGANISED,
        ItemStatus.UNDONE,
    }
)
INTERRUPTED = "interrupted"  # the reason `Store.recover` appends


class _OptionalFields(TypedDict, total=False):
    """The columns an item may leave out."""

    source_size: int | None
    source_mtime_ns: int | None
    source_inode: int | None
    source_device: int | None
    kind: str | None  # movie / episode / unknown
    title: str | None
    year: int | None
    season: int | None
    episodes: Sequence[int]
    tmdb_id: int | None
    tvdb_id: int | None
    imdb_id: str | None
    confidence: float | None
    decision: str | None  # auto / review / manual / skip
    reasons: Sequence[str]
    candidates: Sequence[Mapping[str, Any]]
    library: str | None  # movies / tv
    target: str | os.PathLike[str] | None  # relative to the library root
    destination: str | os.PathLike[str] | None  # absolute
    error: str | None
    plex_status: str | None  # plex_matched / _mismatch / _not_found / _corrected / _accepted
    plex_rating_key: str | None
    batch: str | None
    companions: Sequence[Sequence[str]]  # [old, new] paths of subtitles moved with the video
    plex_previous_guid: str | None  # Plex's match before Videodrome corrected it


class NewItemFields(_OptionalFields):
    """The columns `Store.add_item` takes: source and status are required."""

    source: str | os.PathLike[str]
    status: ItemStatus | str


class ItemFields(_OptionalFields, total=False):
    """The columns `Store.update_item` may set: any of them."""

    source: str | os.PathLike[str]
    status: ItemStatus | str


@dataclass(frozen=True, slots=True)
class Item:
    """One row of the history."""

    id: int
    source: str
    source_size: int | None
    source_mtime_ns: int | None
    source_inode: int | None
    source_device: int | None
    kind: str | None
    title: str | None
    year: int | None
    season: int | None
    episodes: tuple[int, ...]
    tmdb_id: int | None
    tvdb_id: int | None
    imdb_id: str | None
    confidence: float | None
    decision: str | None
    reasons: tuple[str, ...]
    candidates: tuple[dict[str, Any], ...]
    library: str | None
    target: str | None
    destination: str | None
    status: ItemStatus
    error: str | None
    plex_status: str | None
    plex_rating_key: str | None
    batch: str | None
    created_at: float
    updated_at: float
    companions: tuple[tuple[str, str], ...] = ()
    plex_previous_guid: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for service responses: lists for tuples, ISO 8601 UTC timestamps."""
        result: dict[str, Any] = {name: getattr(self, name) for name in COLUMNS}
        result["status"] = self.status.value
        result["episodes"] = list(self.episodes)
        result["reasons"] = list(self.reasons)
        result["candidates"] = [dict(candidate) for candidate in self.candidates]
        result["companions"] = [list(pair) for pair in self.companions]
        result["created_at"] = _iso(self.created_at)
        result["updated_at"] = _iso(self.updated_at)
        return result


COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(Item))
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM items"  # noqa: S608 - column names are constants
# What `Store.recover` picks up: in flight, or put back by a recovery that was interrupted.
_INTERRUPTED_ITEMS = (
    f"{_SELECT} WHERE status = 'transferring' OR (status = 'pending' AND EXISTS"  # noqa: S608
    " (SELECT 1 FROM json_each(items.reasons) WHERE value = ?)) ORDER BY id"
)
_WRITABLE = ItemFields.__optional_keys__ | ItemFields.__required_keys__
_JSON_LISTS = frozenset({"episodes", "reasons", "candidates", "companions"})
_PATHS = frozenset({"source", "target", "destination"})


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def _encode(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Check field names and turn values into column values."""
    unknown = set(fields) - _WRITABLE
    if unknown:
        raise TypeError(f"unknown item fields: {', '.join(sorted(unknown))}")
    columns: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "status":
            columns[name] = ItemStatus(value).value
        elif name in _JSON_LISTS:
            if isinstance(value, str | bytes):
                raise TypeError(f"{name} is a list, not a string")
            columns[name] = orjson.dumps(list(value)).decode()
        elif name in _PATHS and value is not None:
            columns[name] = os.fspath(value)
        else:
            columns[name] = value
    return columns


def _fold(text: str | None) -> str | None:
    """SQL `videodrome_fold`: Unicode case folding (SQLite's lower() knows only ASCII)."""
    return text.casefold() if text is not None else None


def _item(row: Sequence[Any]) -> Item:
    values = dict(zip(COLUMNS, row, strict=True))
    for name in _JSON_LISTS:
        values[name] = tuple(orjson.loads(values[name])) if values[name] else ()
    values["companions"] = tuple((str(old), str(new)) for old, new in values["companions"])
    values["status"] = ItemStatus(values["status"])
    return Item(**values)


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
            # A new file only (SQLite ignores it once tables exist): purges give space back.
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.create_function("videodrome_fold", 1, _fold, deterministic=True)
            self._migrate()
        except BaseException:
            self._db.close()
            raise
        self.tmdb_cache = TMDbCache(self._db, self._lock, clock)

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

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        """Hold the lock and one write transaction: committed on success, else rolled back."""
        with self._lock, closing(self._db.cursor()) as cursor:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def _select(self, where: str, parameters: Sequence[Any] = ()) -> list[Item]:
        """Items for a WHERE clause (and its ORDER BY and LIMIT) built from constants."""
        with self._lock:
            rows = self._db.execute(f"{_SELECT} WHERE {where}", parameters).fetchall()
        return [_item(row) for row in rows]

    def add_item(self, **fields: Unpack[NewItemFields]) -> Item:
        """Record a new item; `source` and `status` are required.

        Raises TypeError for a field that is not a column (or a string for a list column) and
        ValueError for a status that is not an `ItemStatus`.
        """
        if "source" not in fields or "status" not in fields:
            raise TypeError("a new item needs a source and a status")
        columns = _encode(fields)
        now = self._clock()
        columns["created_at"] = columns["updated_at"] = now
        names = ", ".join(columns)
        marks = ", ".join("?" * len(columns))
        with self._transaction() as cursor:
            cursor.execute(
                f"INSERT INTO items ({names}) VALUES ({marks})",  # noqa: S608 - names checked
                tuple(columns.values()),
            )
            row = cursor.execute(f"{_SELECT} WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _item(row)

    def update_item(self, item_id: int, **fields: Unpack[ItemFields]) -> Item:
        """Change some fields of an item (and its `updated_at`); the item as it now is.

        Raises KeyError for an unknown id, and the errors of `add_item` for bad fields.
        """
        columns = _encode(fields)
        columns["updated_at"] = self._clock()
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self._transaction() as cursor:
            cursor.execute(
                f"UPDATE items SET {assignments} WHERE id = ?",  # noqa: S608 - names checked
                (*columns.values(), item_id),
            )
            if cursor.rowcount == 0:
                raise KeyError(item_id)
            row = cursor.execute(f"{_SELECT} WHERE id = ?", (item_id,)).fetchone()
        return _item(row)

    def get_item(self, item_id: int) -> Item | None:
        """The item with this id, if there is one."""
        items = self._select("id = ?", (item_id,))
        return items[0] if items else None

    def find_handled(
        self, source: str, size: int, mtime_ns: int, device: int | None, inode: int | None
    ) -> Item | None:
        """The newest item that means this file has already been handled, if any.

        The same file is the same path with the same size and mtime, or the same (device,
        inode) with the same size (a rename, or a hard link into the library). A `failed` item
        does not count, so failures are retried; a `rejected` one only while size and mtime
        are unchanged, so a file that changes comes back.
        """
        handled = ", ".join(f"'{status.value}'" for status in sorted(HANDLED))
        items = self._select(
            f"status IN ({handled})"
            " AND ((source = ? AND source_size = ? AND source_mtime_ns = ?)"
            " OR (source_device = ? AND source_inode = ? AND source_size = ?))"
            " AND (status != 'rejected' OR (source_size = ? AND source_mtime_ns = ?))"
            " ORDER BY updated_at DESC, id DESC LIMIT 1",
            (os.fspath(source), size, mtime_ns, device, inode, size, size, mtime_ns),
        )
        return items[0] if items else None

    def review_queue(self, limit: int = 50) -> list[Item]:
        """Items waiting for review, oldest first."""
        return self._select("status = 'review' ORDER BY created_at, id LIMIT ?", (max(limit, 0),))

    def review_count(self) -> int:
        """How many items wait for review."""
        with self._lock:
            count: int = self._db.execute(
                "SELECT count(*) FROM items WHERE status = 'review'"
            ).fetchone()[0]
        return count

    def history(
        self,
        *,
        status: str | None = None,
        since: float | None = None,
        query: str | None = None,
        limit: int = 100,
    ) -> list[Item]:
        """Items, newest (last updated) first.

        `status` keeps one status (ValueError if it is not one), `since` items updated at or
        after that time, `query` those whose title or source contains it, ignoring case.
        """
        conditions: list[str] = []
        parameters: list[Any] = []
        if status is not None:
            conditions.append("status = ?")
            parameters.append(ItemStatus(status).value)
        if since is not None:
            conditions.append("updated_at >= ?")
            parameters.append(since)
        if query:
            conditions.append(
                "(instr(videodrome_fold(title), ?) > 0 OR instr(videodrome_fold(source), ?) > 0)"
            )
            parameters += [query.casefold()] * 2
        where = " AND ".join(conditions) or "1"
        return self._select(
            f"{where} ORDER BY updated_at DESC, id DESC LIMIT ?", (*parameters, max(limit, 0))
        )

    def last_ingested(self) -> Item | None:
        """The item most recently ingested."""
        items = self._select("status = 'ingested' ORDER BY updated_at DESC, id DESC LIMIT 1")
        return items[0] if items else None

    def filed(
        self, *, file_name: str | None = None, title: str | None = None, limit: int = 20
    ) -> list[Item]:
        """Items in the library (ingested or organised), newest first, for the Plex provider.

        `file_name` keeps those filed under that exact name (the last part of `destination`
        or `target`), `title` those with that title, ignoring case.
        """
        conditions = ["status IN ('ingested', 'organised')"]
        parameters: list[Any] = []
        if file_name is not None:
            suffix = "/" + file_name
            conditions.append(
                "(substr(destination, -length(?)) = ? OR target = ?"
                " OR substr(target, -length(?)) = ?)"
            )
            parameters += [suffix, suffix, file_name, suffix, suffix]
        if title is not None:
            conditions.append("videodrome_fold(title) = ?")
            parameters.append(title.casefold())
        where = " AND ".join(conditions)
        return self._select(
            f"{where} ORDER BY updated_at DESC, id DESC LIMIT ?", (*parameters, max(limit, 0))
        )

    def recover(self) -> list[Item]:
        """After a crash: put items left `transferring` back to `pending`; those items.

        Each gets the reason `interrupted` (once), so the pipeline runs them again knowing why.
        Items already `pending` stay as they are, except those with the reason `interrupted`:
        an earlier recovery put them there and was itself interrupted before it could finish
        them, so they are returned again (else they would wait forever).
        """
        now = self._clock()
        recovered: list[Item] = []
        with self._transaction() as cursor:
            rows = cursor.execute(_INTERRUPTED_ITEMS, (INTERRUPTED,)).fetchall()
            for row in rows:
                item = _item(row)
                reasons = (
                    item.reasons if INTERRUPTED in item.reasons else (*item.reasons, INTERRUPTED)
                )
                cursor.execute(
                    "UPDATE items SET status = 'pending', reasons = ?, updated_at = ? WHERE id = ?",
                    (orjson.dumps(reasons).decode(), now, item.id),
                )
                recovered.append(
                    replace(item, status=ItemStatus.PENDING, reasons=reasons, updated_at=now)
                )
        return recovered

    def counts(self) -> dict[str, int]:
        """How many items there are in each status (every status, zeros included)."""
        with self._lock:
            rows = self._db.execute("SELECT status, count(*) FROM items GROUP BY status").fetchall()
        counts = dict.fromkeys((status.value for status in ItemStatus), 0)
        counts.update(dict(rows))
        return counts

    def purge_history(self, older_than: float) -> int:
        """Delete finished items last updated more than `older_than` seconds ago; how many.

        Only rows that are ingested, skipped, rejected or failed go: the review queue and work
        in progress stay whatever their age. Files are never touched.
        """
        finished = ", ".join(f"'{status.value}'" for status in sorted(FINISHED))
        with self._transaction() as cursor:
            cursor.execute(
                f"DELETE FROM items WHERE status IN ({finished}) AND updated_at < ?",  # noqa: S608 - constants
                (self._clock() - older_than,),
            )
            return cursor.rowcount

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
