"""The ingest history and the review queue: the queries of the store's `items` table.

The history holds one `Item` per source file handled: what it was identified as, the decision,
where it went and how far it got (`ItemStatus`). Items in `review` are the review queue. The
history only records; deleting its rows never touches a file.

Blocking, like the rest of the store: every method takes the store's lock and runs SQL on
the calling thread.
"""

from __future__ import annotations

from contextlib import closing, contextmanager
from dataclasses import replace
import os
from typing import TYPE_CHECKING, Any, Unpack

import orjson

from .items import COLUMNS, ItemStatus, from_row, to_columns

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    import sqlite3
    import threading

    from .items import Item, ItemFields, NewItemFields

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

_SELECT = f"SELECT {', '.join(COLUMNS)} FROM items"  # noqa: S608 - column names are constants
# What `Store.recover` picks up: in flight, or put back by a recovery that was interrupted.
_INTERRUPTED_ITEMS = (
    f"{_SELECT} WHERE status = 'transferring' OR (status = 'pending' AND EXISTS"  # noqa: S608
    " (SELECT 1 FROM json_each(items.reasons) WHERE value = ?)) ORDER BY id"
)


class History:
    """The `items` table of one store, over the store's connection (`Store` is one)."""

    def __init__(
        self, db: sqlite3.Connection, lock: threading.Lock, clock: Callable[[], float]
    ) -> None:
        """Use the store's connection under the store's lock; `clock` is seconds."""
        self._db = db
        self._lock = lock
        self._clock = clock

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
        return [from_row(row) for row in rows]

    def add_item(self, **fields: Unpack[NewItemFields]) -> Item:
        """Record a new item; `source` and `status` are required.

        Raises TypeError for a field that is not a column (or a string for a list column) and
        ValueError for a status that is not an `ItemStatus`.
        """
        if "source" not in fields or "status" not in fields:
            raise TypeError("a new item needs a source and a status")
        columns = to_columns(fields)
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
        return from_row(row)

    def update_item(self, item_id: int, **fields: Unpack[ItemFields]) -> Item:
        """Change some fields of an item (and its `updated_at`); the item as it now is.

        Raises KeyError for an unknown id, and the errors of `add_item` for bad fields.
        """
        columns = to_columns(fields)
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
        return from_row(row)

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

    def with_reason(self, status: ItemStatus, reason: str, limit: int = 100) -> list[Item]:
        """Items in `status` with `reason` among their reasons, oldest first.

        What waits for a service: `pending` with `waiting_for_plex` (held until Plex's library
        has been read).
        """
        return self._select(
            "status = ? AND EXISTS (SELECT 1 FROM json_each(items.reasons) WHERE value = ?)"
            " ORDER BY id LIMIT ?",
            (ItemStatus(status).value, reason, max(limit, 0)),
        )

    def with_plex_status(
        self, status: ItemStatus, plex_status: str, limit: int = 100
    ) -> list[Item]:
        """Items in `status` whose Plex status is `plex_status`, with a destination; oldest first.

        What Plex still has to be asked about: `ingested` and `plex_not_checked`.
        """
        return self._select(
            "status = ? AND plex_status = ? AND destination IS NOT NULL ORDER BY id LIMIT ?",
            (ItemStatus(status).value, plex_status, max(limit, 0)),
        )

    def review_queue(self, limit: int = 50) -> list[Item]:
        """Items waiting for review, oldest first."""
        return self._select("status = 'review' ORDER BY created_at, id LIMIT ?", (max(limit, 0),))

    def review_item(self, source: str) -> Item | None:
        """The item of the file at `source` that waits for review (the newest), if any."""
        items = self._select(
            "status = 'review' AND source = ? ORDER BY updated_at DESC, id DESC LIMIT 1",
            (os.fspath(source),),
        )
        return items[0] if items else None

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
                item = from_row(row)
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
