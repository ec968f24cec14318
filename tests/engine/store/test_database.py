"""The SQLite store: migrations, the TMDb cache and its ages, threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
import sqlite3
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.store.database import SCHEMA_VERSION, Store
from custom_components.videodrome.engine.store.errors import StoreVersionError

if TYPE_CHECKING:
    from pathlib import Path


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_new_store_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    """A new file gets every migration; opening it again changes nothing."""
    path = tmp_path / "videodrome.db"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        store.tmdb_cache.put("search/movie?query=x", b"{}")
    with Store(path) as again:
        assert again.schema_version == SCHEMA_VERSION
        assert again.tmdb_cache.size() == 1
    with closing(sqlite3.connect(path)) as db:
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    """A database from a newer Videodrome is not misread."""
    path = tmp_path / "videodrome.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreVersionError, match="newer"):
        Store(path)


def test_a_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration that fails leaves the schema version where it was."""
    path = tmp_path / "videodrome.db"
    monkeypatch.setattr(
        "custom_components.videodrome.engine.store.database.MIGRATIONS",
        ("CREATE TABLE x (a); BROKEN SQL",),
    )
    monkeypatch.setattr("custom_components.videodrome.engine.store.database.SCHEMA_VERSION", 1)
    with pytest.raises(sqlite3.OperationalError):
        Store(path)
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'x'").fetchone() is None


def test_cache_ages() -> None:
    """An entry is served while young enough, refreshed by a new put, purged when old."""
    clock = Clock()
    with Store(":memory:", clock=clock) as store:
        store.tmdb_cache.put("k", b"one")
        assert store.tmdb_cache.get("k", max_age=60) == b"one"
        clock.now += 61
        assert store.tmdb_cache.get("k", max_age=60) is None
        assert store.tmdb_cache.get("k", max_age=3600) == b"one"
        store.tmdb_cache.put("k", b"two")
        assert store.tmdb_cache.get("k", max_age=60) == b"two"
        store.tmdb_cache.put("old", b"x")
        clock.now += 100
        store.tmdb_cache.put("new", b"y")
        assert store.tmdb_cache.purge(max_age=50).expired == 2
        assert store.tmdb_cache.size() == 1
        assert store.tmdb_cache.get("missing", 60) is None


def test_store_is_shared_by_threads() -> None:
    """The executor's threads use one store at once."""
    with Store(":memory:") as store, ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: store.tmdb_cache.put(f"k{n}", str(n).encode()), range(200)))
        values = list(pool.map(lambda n: store.tmdb_cache.get(f"k{n}", 60), range(200)))
    assert values == [str(n).encode() for n in range(200)]
