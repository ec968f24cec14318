"""The posters uploaded into Plex, remembered across restarts: a table of the store.

One row per Plex server and item (the guid a metadata provider gave it, which Plex keeps): the
digest (SHA-256, hex) of the poster last uploaded to it, the item's ratingKey then, and when.
engine/plex/poster_upload.py asks before it uploads: the same digest means Plex has that
poster already; another (a new screenshot in Stash) means it is uploaded again, and replaces
the row. Blocking, like the rest of the store: each method takes the store's lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    import sqlite3
    import threading


class PosterUploadTable:
    """The `poster_uploads` table of one store (`Store.poster_uploads`)."""

    def __init__(
        self, db: sqlite3.Connection, lock: threading.Lock, clock: Callable[[], float]
    ) -> None:
        """Use the store's connection under the store's lock; `clock` is seconds."""
        self._db = db
        self._lock = lock
        self._clock = clock

    def digest(self, server: str, guid: str) -> str | None:
        """The digest of the poster last uploaded to the item `guid` on `server`, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT digest FROM poster_uploads WHERE server = ? AND guid = ?", (server, guid)
            ).fetchone()
        return str(row[0]) if row is not None else None

    def remember(self, server: str, guid: str, digest: str, rating_key: int) -> None:
        """That the poster of `digest` went up to item `rating_key` (`guid`) on `server`."""
        with self._lock:
            self._db.execute(
                "INSERT INTO poster_uploads (server, guid, digest, rating_key, uploaded_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (server, guid) DO UPDATE SET"
                " digest = excluded.digest, rating_key = excluded.rating_key,"
                " uploaded_at = excluded.uploaded_at",
                (server, guid, digest, rating_key, self._clock()),
            )

    def __len__(self) -> int:
        """How many items have a poster remembered."""
        with self._lock:
            count: int = self._db.execute("SELECT COUNT(*) FROM poster_uploads").fetchone()[0]
        return count
