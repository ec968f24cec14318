"""The store's ingest history and review queue: schema 2, items, queries, recovery, threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import datetime
from pathlib import Path
import sqlite3
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from custom_components.videodrome.engine.store import (
    database as store_module,
    history as history_module,
    items as items_module,
)
from custom_components.videodrome.engine.store.database import SCHEMA_VERSION, Store
from custom_components.videodrome.engine.store.history import INTERRUPTED
from custom_components.videodrome.engine.store.items import COLUMNS, Item, ItemStatus

if TYPE_CHECKING:
    from collections.abc import Iterator


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Iterator[Store]:
    with Store(":memory:", clock=clock) as opened:
        yield opened


EVERY_FIELD: dict[str, Any] = {
    "source": "/downloads/Heat.1995.1080p.BluRay.x264/Heat.1995.1080p.BluRay.x264.mkv",
    "source_size": 12_345_678_901,
    "source_mtime_ns": 1_699_999_999_123_456_789,
    "source_inode": 424242,
    "source_device": 2049,
    "kind": "movie",
    "title": "Heat",
    "year": 1995,
    "season": None,
    "episodes": [],
    "tmdb_id": 949,
    "tvdb_id": None,
    "imdb_id": "tt0113277",
    "confidence": 0.97,
    "decision": "auto",
    "reasons": ["year_match", "title_exact"],
    "candidates": [{"tmdb_id": 949, "title": "Heat", "year": 1995, "score": 0.97}],
    "library": "movies",
    "target": "Heat (1995) {tmdb-949}/Heat (1995) {tmdb-949}.mkv",
    "destination": "/media/movies/Heat (1995) {tmdb-949}/Heat (1995) {tmdb-949}.mkv",
    "status": ItemStatus.PENDING,
    "error": None,
    "plex_status": None,
    "plex_rating_key": None,
    "batch": "batch-1",
}


def episode(store: Store, source: str, status: ItemStatus, **fields: Any) -> Item:
    """An episode item with a few fields, the rest left out."""
    return store.add_item(
        source=source,
        status=status,
        kind="episode",
        source_size=fields.pop("size", 1000),
        source_mtime_ns=fields.pop("mtime_ns", 5),
        **fields,
    )


# --- the schema ---------------------------------------------------------------------------


def test_a_version_3_store_keeps_its_items_and_gains_the_previous_guid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store written before match correction opens; its items read with no previous guid."""
    path = tmp_path / "videodrome.db"
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:3])
        patch.setattr(store_module, "SCHEMA_VERSION", 3)
        version_3_columns = COLUMNS[: COLUMNS.index("plex_previous_guid")]
        patch.setattr(items_module, "COLUMNS", version_3_columns)
        select = f"SELECT {', '.join(version_3_columns)} FROM items"  # noqa: S608 - constants
        patch.setattr(history_module, "_SELECT", select)
        with Store(path) as old:
            assert old.schema_version == 3
            kept = old.add_item(**{**EVERY_FIELD, "status": ItemStatus.INGESTED})
    with closing(sqlite3.connect(path)) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(items)")]
    assert "plex_previous_guid" not in columns

    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 6
        item = store.get_item(kept.id)
        assert item is not None
        assert (item.title, item.status, item.plex_previous_guid) == ("Heat", "ingested", None)
        changed = store.update_item(kept.id, plex_previous_guid="plex://movie/abc")
        assert changed.plex_previous_guid == "plex://movie/abc"


def test_a_version_1_store_keeps_its_cache_and_gains_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store written by the Videodrome with only the cache migration is brought to 2."""
    path = tmp_path / "videodrome.db"
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
        patch.setattr(store_module, "SCHEMA_VERSION", 1)
        with Store(path) as old:
            assert old.schema_version == 1
            old.tmdb_cache.put("movie/949", b'{"id": 949}')
    with closing(sqlite3.connect(path)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "items" not in tables

    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 6
        assert store.tmdb_cache.get("movie/949", max_age=3600) == b'{"id": 949}'
        assert store.counts()[ItemStatus.PENDING] == 0
        store.add_item(source="/downloads/a.mkv", status=ItemStatus.PENDING)
    with closing(sqlite3.connect(path)) as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        columns = [row[1] for row in db.execute("PRAGMA table_info(items)")]
        inode_index = [row[2] for row in db.execute("PRAGMA index_info(items_inode)")]
    assert {
        "tmdb_cache",
        "items",
        "items_status",
        "items_source",
        "items_inode",
        "items_tmdb_id",
        "items_updated_at",
    } <= names
    assert "events" not in names
    assert tuple(columns) == COLUMNS
    assert inode_index == ["source_device", "source_inode"]


# --- items --------------------------------------------------------------------------------


def test_every_field_round_trips(store: Store, clock: Clock) -> None:
    """What goes in comes back, lists as tuples, with both timestamps from the clock."""
    added = store.add_item(**EVERY_FIELD)
    assert added.id >= 1
    assert added.created_at == added.updated_at == clock.now
    for name, value in EVERY_FIELD.items():
        expected = tuple(value) if isinstance(value, list) else value
        assert getattr(added, name) == expected, name
    assert isinstance(added.status, ItemStatus)
    assert store.get_item(added.id) == added

    clock.now += 60
    changes: dict[str, Any] = {
        "source": Path("/downloads/Heat.mkv"),
        "source_size": 1,
        "source_mtime_ns": 2,
        "source_inode": 3,
        "source_device": 4,
        "kind": "episode",
        "title": "Heat (TV)",
        "year": 2001,
        "season": 2,
        "episodes": (3, 4),
        "tmdb_id": 1,
        "tvdb_id": 81189,
        "imdb_id": "tt0000001",
        "confidence": 0.5,
        "decision": "review",
        "reasons": ("ambiguous",),
        "candidates": [{"tmdb_id": 1}, {"tmdb_id": 2, "nested": {"a": [1, 2]}}],
        "library": "tv",
        "target": Path("Heat (2001)/Season 02/Heat (2001) - s02e03-e04.mkv"),
        "destination": Path("/media/tv/Heat (2001)/Season 02/Heat (2001) - s02e03-e04.mkv"),
        "status": "review",
        "error": "something",
        "plex_status": "plex_matched",
        "plex_rating_key": "12345",
        "batch": "batch-2",
        "companions": [("/downloads/Heat.en.srt", "/media/tv/Heat.en.srt")],
        "plex_previous_guid": "plex://movie/5d776834e6d55c002040ccce",
        "quality": {"decision": "version", "new": {"label": "2160p"}, "existing": {"file": None}},
    }
    assert set(changes) | {"id", "created_at", "updated_at"} == set(COLUMNS)
    updated = store.update_item(added.id, **changes)
    assert updated.source == "/downloads/Heat.mkv"
    assert updated.target == "Heat (2001)/Season 02/Heat (2001) - s02e03-e04.mkv"
    assert updated.destination == "/media/tv/Heat (2001)/Season 02/Heat (2001) - s02e03-e04.mkv"
    assert updated.episodes == (3, 4)
    assert updated.reasons == ("ambiguous",)
    assert updated.candidates == ({"tmdb_id": 1}, {"tmdb_id": 2, "nested": {"a": [1, 2]}})
    assert updated.status is ItemStatus.REVIEW
    assert (updated.season, updated.tvdb_id, updated.plex_rating_key) == (2, 81189, "12345")
    assert updated.created_at == added.created_at
    assert updated.updated_at == clock.now
    assert updated.quality == changes["quality"]
    assert updated.as_dict()["quality"] == changes["quality"]
    assert store.get_item(added.id) == updated

    cleared = store.update_item(added.id, target=None, destination=None, episodes=[])
    assert (cleared.target, cleared.destination, cleared.episodes) == (None, None, ())


def test_a_minimal_item_has_empty_lists(store: Store) -> None:
    item = store.add_item(source="/downloads/x.mkv", status="pending")
    assert (item.episodes, item.reasons, item.candidates) == ((), (), ())
    assert item.title is None
    assert item.status is ItemStatus.PENDING
    assert store.get_item(item.id + 1) is None


def test_bad_fields_are_refused(store: Store) -> None:
    """Unknown columns, the store's own columns, bad statuses and strings for lists."""
    item = store.add_item(source="/downloads/x.mkv", status=ItemStatus.PENDING)
    with pytest.raises(TypeError, match="unknown item fields: nope"):
        store.update_item(item.id, nope=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="created_at, id"):
        store.update_item(item.id, id=9, created_at=0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unknown item fields: updated_at"):
        store.add_item(source="/x", status="pending", updated_at=0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="source and a status"):
        store.add_item(source="/downloads/y.mkv")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="source and a status"):
        store.add_item(status="pending")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="not a valid ItemStatus"):
        store.add_item(source="/x", status="done")
    with pytest.raises(ValueError, match="not a valid ItemStatus"):
        store.update_item(item.id, status=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reasons is a list"):
        store.update_item(item.id, reasons="interrupted")
    with pytest.raises(KeyError):
        store.update_item(item.id + 100, title="x")
    assert store.get_item(item.id) == item
    assert store.counts()[ItemStatus.PENDING] == 1


def test_a_failed_write_rolls_back(store: Store) -> None:
    """A write that fails inside its transaction leaves nothing behind."""
    with pytest.raises(sqlite3.IntegrityError):
        store.add_item(source=None, status="pending")  # type: ignore[arg-type]
    assert sum(store.counts().values()) == 0
    item = store.add_item(source="/x", status="pending")
    with pytest.raises(sqlite3.IntegrityError):
        store.update_item(item.id, title="kept?", source=None)  # type: ignore[arg-type]
    assert store.get_item(item.id) == item
    store.add_item(source="/y", status="pending")  # the store is still usable


def test_as_dict_is_json_with_iso_timestamps(store: Store, clock: Clock) -> None:
    clock.now = 1_700_000_000.5
    item = store.add_item(**EVERY_FIELD)
    as_dict = item.as_dict()
    assert set(as_dict) == set(COLUMNS)
    decoded = orjson.loads(orjson.dumps(as_dict))
    assert decoded == as_dict
    assert as_dict["created_at"] == "2023-11-14T22:13:20.500000+00:00"
    assert datetime.fromisoformat(as_dict["updated_at"]).timestamp() == clock.now
    assert as_dict["status"] == "pending"
    assert type(as_dict["status"]) is str
    assert as_dict["reasons"] == ["year_match", "title_exact"]
    assert as_dict["episodes"] == []
    assert as_dict["candidates"] == EVERY_FIELD["candidates"]
    as_dict["candidates"][0]["title"] = "changed"
    assert item.candidates[0]["title"] == "Heat"


# --- find_handled -------------------------------------------------------------------------


def test_find_handled_by_path(store: Store) -> None:
    """Same path, size and mtime: handled; any of them different: not."""
    item = store.add_item(
        source="/d/a.mkv", source_size=100, source_mtime_ns=7, status=ItemStatus.INGESTED
    )
    assert store.find_handled("/d/a.mkv", 100, 7, None, None) == item
    assert store.find_handled("/d/a.mkv", 101, 7, None, None) is None
    assert store.find_handled("/d/a.mkv", 100, 8, None, None) is None
    assert store.find_handled("/d/b.mkv", 100, 7, None, None) is None


def test_find_handled_by_inode(store: Store) -> None:
    """A renamed or hard-linked file is found by (device, inode) and size, whatever its mtime."""
    item = store.add_item(
        source="/d/a.mkv",
        source_size=100,
        source_mtime_ns=7,
        source_device=1,
        source_inode=50,
        status=ItemStatus.INGESTED,
    )
    assert store.find_handled("/d/renamed.mkv", 100, 9, 1, 50) == item
    assert store.find_handled("/d/renamed.mkv", 101, 7, 1, 50) is None
    assert store.find_handled("/d/renamed.mkv", 100, 7, 2, 50) is None
    assert store.find_handled("/d/renamed.mkv", 100, 7, 1, 51) is None
    assert store.find_handled("/d/renamed.mkv", 100, 7, None, None) is None


@pytest.mark.parametrize(
    ("status", "handled"),
    [
        (ItemStatus.PENDING, True),
        (ItemStatus.REVIEW, True),
        (ItemStatus.TRANSFERRING, True),
        (ItemStatus.INGESTED, True),
        (ItemStatus.SKIPPED, True),
        (ItemStatus.REJECTED, True),
        (ItemStatus.FAILED, False),
    ],
)
def test_find_handled_by_status(store: Store, status: ItemStatus, handled: bool) -> None:
    """Every status but failed means handled; failures are retried."""
    item = store.add_item(
        source="/d/a.mkv",
        source_size=100,
        source_mtime_ns=7,
        source_device=1,
        source_inode=50,
        status=status,
    )
    assert store.find_handled("/d/a.mkv", 100, 7, 1, 50) == (item if handled else None)
    assert store.find_handled("/d/b.mkv", 100, 7, 1, 50) == (item if handled else None)


def test_a_rejected_file_that_changes_comes_back(store: Store) -> None:
    """Rejected holds only while size and mtime are unchanged, even for the same inode."""
    store.add_item(
        source="/d/a.mkv",
        source_size=100,
        source_mtime_ns=7,
        source_device=1,
        source_inode=50,
        status=ItemStatus.REJECTED,
    )
    assert store.find_handled("/d/a.mkv", 100, 7, 1, 50) is not None
    assert store.find_handled("/d/moved.mkv", 100, 7, 1, 50) is not None
    assert store.find_handled("/d/a.mkv", 100, 8, 1, 50) is None  # touched, same size
    assert store.find_handled("/d/a.mkv", 200, 7, 1, 50) is None  # rewritten


def test_find_handled_prefers_the_newest(store: Store, clock: Clock) -> None:
    first = store.add_item(
        source="/d/a.mkv", source_size=1, source_mtime_ns=1, status=ItemStatus.REVIEW
    )
    clock.now += 1
    second = store.add_item(
        source="/d/a.mkv", source_size=1, source_mtime_ns=1, status=ItemStatus.INGESTED
    )
    assert store.find_handled("/d/a.mkv", 1, 1, None, None) == second
    clock.now += 1
    first = store.update_item(first.id, title="edited")
    assert store.find_handled("/d/a.mkv", 1, 1, None, None) == first


# --- review queue, history, last ingested -------------------------------------------------


def test_review_queue_is_oldest_first(store: Store, clock: Clock) -> None:
    ids = []
    for n in range(5):
        clock.now += 10
        ids.append(episode(store, f"/d/{n}.mkv", ItemStatus.REVIEW).id)
    episode(store, "/d/other.mkv", ItemStatus.PENDING)
    clock.now += 10
    store.update_item(ids[0], title="edited")  # editing does not move it in the queue
    assert [item.id for item in store.review_queue()] == ids
    assert [item.id for item in store.review_queue(limit=2)] == ids[:2]
    assert store.review_queue(limit=-1) == []
    assert store.review_count() == 5
    store.update_item(ids[2], status=ItemStatus.REJECTED)
    assert store.review_count() == 4
    assert [item.id for item in store.review_queue()] == [ids[0], ids[1], ids[3], ids[4]]


def test_history_filters(store: Store, clock: Clock) -> None:
    """Newest first; by status, since, a case-insensitive query and a limit."""
    amelie = store.add_item(
        source="/d/Le.Fabuleux.Destin.2001.mkv", title="Amélie", status=ItemStatus.INGESTED
    )
    clock.now += 10
    heat = store.add_item(source="/d/HEAT.1995.mkv", title="Heat", status=ItemStatus.FAILED)
    clock.now += 10
    unknown = store.add_item(source="/d/heatwave.sample.mkv", status=ItemStatus.SKIPPED)
    clock.now += 10
    strasse = store.add_item(source="/d/x.mkv", title="Die Straße", status=ItemStatus.INGESTED)

    def ids(items: list[Item]) -> list[int]:
        return [item.id for item in items]

    assert ids(store.history()) == [strasse.id, unknown.id, heat.id, amelie.id]
    assert ids(store.history(status="ingested")) == [strasse.id, amelie.id]
    assert ids(store.history(status=ItemStatus.FAILED)) == [heat.id]
    assert store.history(status="review") == []
    with pytest.raises(ValueError, match="not a valid ItemStatus"):
        store.history(status="bogus")
    assert ids(store.history(since=amelie.created_at + 10)) == [strasse.id, unknown.id, heat.id]
    assert ids(store.history(query="heat")) == [unknown.id, heat.id]  # title or source
    assert ids(store.history(query="HeAt", status="failed")) == [heat.id]
    assert ids(store.history(query="AMÉLIE")) == [amelie.id]  # beyond ASCII
    assert ids(store.history(query="STRASSE")) == [strasse.id]  # case folding
    assert ids(store.history(query="fabuleux")) == [amelie.id]
    assert store.history(query="%") == []  # no LIKE wildcards
    assert ids(store.history(query="")) == ids(store.history())
    assert ids(store.history(limit=2)) == [strasse.id, unknown.id]
    assert ids(store.history(limit=1, query="heat", since=clock.now - 15)) == [unknown.id]
    assert store.history(limit=0) == []

    clock.now += 10
    store.update_item(amelie.id, plex_status="plex_matched")  # updated: now the newest
    assert ids(store.history(limit=1)) == [amelie.id]


def test_last_ingested(store: Store, clock: Clock) -> None:
    assert store.last_ingested() is None
    first = store.add_item(source="/d/1.mkv", status=ItemStatus.INGESTED)
    clock.now += 1
    store.add_item(source="/d/2.mkv", status=ItemStatus.FAILED)
    assert store.last_ingested() == first
    clock.now += 1
    pending = store.add_item(source="/d/3.mkv", status=ItemStatus.TRANSFERRING)
    clock.now += 1
    done = store.update_item(pending.id, status=ItemStatus.INGESTED)
    assert store.last_ingested() == done


# --- recovery, counts, purge --------------------------------------------------------------


def test_recover_after_a_crash(tmp_path: Path, clock: Clock) -> None:
    """Items left transferring go back to pending, marked interrupted; pending stays pending."""
    path = tmp_path / "videodrome.db"
    with Store(path, clock=clock) as before:
        moving = before.add_item(
            source="/d/a.mkv", status=ItemStatus.TRANSFERRING, reasons=["title_exact"]
        )
        again = before.add_item(
            source="/d/b.mkv", status=ItemStatus.TRANSFERRING, reasons=[INTERRUPTED]
        )
        waiting = before.add_item(source="/d/c.mkv", status=ItemStatus.PENDING)
        done = before.add_item(source="/d/d.mkv", status=ItemStatus.INGESTED)
    crashed = Store(path, clock=clock)  # another crash: never closed
    in_flight = crashed.add_item(source="/d/e.mkv", status=ItemStatus.TRANSFERRING)

    clock.now += 100
    with Store(path, clock=clock) as after:
        recovered = after.recover()
        assert [item.id for item in recovered] == [moving.id, again.id, in_flight.id]
        assert all(item.status is ItemStatus.PENDING for item in recovered)
        assert all(item.updated_at == clock.now for item in recovered)
        assert recovered[0].reasons == ("title_exact", INTERRUPTED)
        assert recovered[1].reasons == (INTERRUPTED,)  # once
        assert recovered[2].reasons == (INTERRUPTED,)
        assert [after.get_item(item.id) for item in recovered] == recovered
        assert after.get_item(waiting.id) == waiting
        assert after.get_item(done.id) == done
        # Left pending (the restart that recovered them died too): returned again.
        assert [item.id for item in after.recover()] == [moving.id, again.id, in_flight.id]
        assert after.counts()[ItemStatus.PENDING] == 4
    crashed.close()


def test_counts(store: Store) -> None:
    assert store.counts() == dict.fromkeys([status.value for status in ItemStatus], 0)
    for status, number in [("pending", 2), ("review", 3), ("ingested", 1), ("failed", 1)]:
        for n in range(number):
            store.add_item(source=f"/d/{status}{n}.mkv", status=status)
    counts = store.counts()
    assert counts == {
        "pending": 2,
        "review": 3,
        "transferring": 0,
        "ingested": 1,
        "skipped": 0,
        "rejected": 0,
        "organised": 0,
        "undone": 0,
        "failed": 1,
    }
    assert all(type(key) is str for key in counts)


def test_purge_keeps_the_queue_and_work_in_progress(store: Store, clock: Clock) -> None:
    """Only finished rows older than the age go, whatever the age of the others."""
    old = {status: store.add_item(source=f"/d/{status}", status=status) for status in ItemStatus}
    clock.now += 1000
    young = store.add_item(source="/d/young", status=ItemStatus.INGESTED)
    clock.now += 1000

    assert store.purge_history(older_than=3000) == 0
    assert store.purge_history(older_than=1500) == 6  # ingested, skipped, rejected, failed,
    # organised, undone
    remaining = {item.id for item in store.history(limit=1000)}
    assert remaining == {
        old[ItemStatus.PENDING].id,
        old[ItemStatus.REVIEW].id,
        old[ItemStatus.TRANSFERRING].id,
        young.id,
    }
    assert store.review_count() == 1
    assert store.purge_history(older_than=0) == 1
    assert store.purge_history(older_than=0) == 0


# --- threads ------------------------------------------------------------------------------


def test_threads_add_items_at_once(tmp_path: Path) -> None:
    """4 threads adding 200 items each: 800 distinct ids, all readable."""
    with Store(tmp_path / "videodrome.db") as store, ThreadPoolExecutor(4) as pool:

        def add(thread: int) -> list[int]:
            ids = []
            for n in range(200):
                item = store.add_item(
                    source=f"/d/{thread}/{n}.mkv",
                    status=ItemStatus.REVIEW if n % 2 else ItemStatus.PENDING,
                    episodes=[n],
                )
                ids.append(item.id)
                if n % 50 == 0:
                    store.update_item(item.id, title=f"t{thread}-{n}")
                    store.review_count()
            return ids

        results = list(pool.map(add, range(4)))
        all_ids = [item_id for ids in results for item_id in ids]
        assert len(all_ids) == len(set(all_ids)) == 800
        assert store.counts()[ItemStatus.REVIEW] == 400
        assert len(store.history(limit=1000)) == 800
