"""The posters uploaded into Plex, in the store: kept across a restart, replaced by a new one."""

from __future__ import annotations

from contextlib import closing
import sqlite3
from typing import TYPE_CHECKING

from custom_components.videodrome.engine.store import (
    database as store_module,
    history as history_module,
    items as items_module,
)
from custom_components.videodrome.engine.store.database import SCHEMA_VERSION, Store
from custom_components.videodrome.engine.store.items import COLUMNS, ItemStatus

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

SERVER = "a1b2c3d4e5f6"
GUID = "tv.plex.agents.custom.videodrome.stash://movie/stash-42"


def test_an_upload_is_remembered_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "videodrome.db"
    with Store(path, clock=lambda: 1000.0) as store:
        table = store.poster_uploads
        assert table.digest(SERVER, GUID) is None
        table.remember(SERVER, GUID, "d1", 1021)
        assert (table.digest(SERVER, GUID), len(table)) == ("d1", 1)
    with Store(path) as again:  # a new store object on the same file: Home Assistant restarted
        table = again.poster_uploads
        assert table.digest(SERVER, GUID) == "d1"
        assert table.digest("another server", GUID) is None
        assert table.digest(SERVER, GUID + "0") is None
        table.remember(SERVER, GUID, "d2", 1022)  # a new screenshot: the row is replaced
        assert (table.digest(SERVER, GUID), len(table)) == ("d2", 1)
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT server, guid, digest, rating_key FROM poster_uploads").fetchall()
    assert rows == [(SERVER, GUID, "d2", 1022)]


def test_a_version_4_store_keeps_its_data_and_gains_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "videodrome.db"
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:4])
        patch.setattr(store_module, "SCHEMA_VERSION", 4)
        version_4_columns = COLUMNS[: COLUMNS.index("quality")]  # schema 6 added `quality`
        patch.setattr(items_module, "COLUMNS", version_4_columns)
        select = f"SELECT {', '.join(version_4_columns)} FROM items"  # noqa: S608 - constants
        patch.setattr(history_module, "_SELECT", select)
        with Store(path) as old:
            assert old.schema_version == 4
            kept = old.add_item(source="/downloads/Heat.1995.mkv", status=ItemStatus.INGESTED)
            old.tmdb_cache.put("movie/949", b'{"id": 949}')
    with closing(sqlite3.connect(path)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "poster_uploads" not in tables

    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 6
        item = store.get_item(kept.id)
        assert item is not None
        assert (item.source, item.status) == ("/downloads/Heat.1995.mkv", "ingested")
        assert store.tmdb_cache.get("movie/949", max_age=3600) == b'{"id": 949}'
        store.poster_uploads.remember(SERVER, GUID, "d1", 7)
        assert store.poster_uploads.digest(SERVER, GUID) == "d1"
