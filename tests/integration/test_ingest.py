"""Ingest in Home Assistant: services, entities, events, reload, refused paths."""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.videodrome import issues
from custom_components.videodrome.const import (
    CONF_INGEST_FOLDERS,
    CONF_PATH_MAP,
    DOMAIN,
)
from custom_components.videodrome.entity import UPDATE_COOLDOWN
from custom_components.videodrome.guessit import DATA_GUESSIT
from custom_components.videodrome.runtime.ingest import signal_item
from tests.services import call_action, drop_file

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.tmdb import TMDbEmulator


async def test_ingest_a_movie(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """The service files the movie, Plex scans its folder, events and sensors follow."""
    events = async_capture_events(hass, "videodrome_ingested")
    source = drop_file(tmp_path, "Titanic.1997.1080p.BluRay.x264-GRP.mkv")
    response = await call_action(hass, "ingest", path=str(source))
    (result,) = response["results"]
    assert result["status"] == "ingested", result
    target = (
        media_root / "Movies" / "Titanic (1997) {tmdb-597}" / "Titanic (1997) - 1080p Blu-ray.mkv"
    )
    assert target.exists()
    assert source.exists()
    assert [r.query.get("path") for r in plex_emulator.requests if r.path.endswith("/refresh")] == [
        str(target.parent)
    ]
    await hass.async_block_till_done()
    assert len(events) == 1
    assert events[0].data["item"]["title"] == "Titanic"
    assert events[0].data["item"]["plex_status"] == "plex_matched"
    last = hass.states.get("sensor.videodrome_demo_last_ingest")
    assert last is not None
    assert last.attributes["title"] == "Titanic"
    event = hass.states.get("event.videodrome_demo_ingest")
    assert event is not None
    assert event.attributes["event_type"] == "ingested"


async def test_review_approve_and_reject(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path, media_root: Path
) -> None:
    """Ambiguous files wait in the queue; approve with a correction, reject the other."""
    review = async_capture_events(hass, "videodrome_review_required")
    first = drop_file(tmp_path, "Dune.mkv")
    second = drop_file(tmp_path, "other/The.Thing.mkv")
    await call_action(hass, "ingest", path=str(first))
    await call_action(hass, "ingest", path=str(second))
    assert len(review) == 2
    queue = hass.states.get("sensor.videodrome_demo_review_queue")
    assert queue is not None
    assert queue.state == "2"
    dune, thing = queue.attributes["items"]
    assert dune["title"] == "Dune"
    assert "ambiguous_without_year" in dune["reasons"]
    approved = await call_action(hass, "approve", item_id=dune["item_id"], tmdb_id=841)
    assert approved["status"] == "ingested"
    assert (media_root / "Movies" / "Dune (1984) {tmdb-841}" / "Dune (1984).mkv").exists()
    rejected = await call_action(hass, "reject", item_id=thing["item_id"])
    assert rejected["status"] == "rejected"
    assert second.exists()
    await hass.async_block_till_done()
    queue = hass.states.get("sensor.videodrome_demo_review_queue")
    assert queue is not None
    assert queue.state == "0"
    history = await call_action(hass, "history")
    assert [item["status"] for item in history["items"]] == ["rejected", "ingested"]
    assert history["counts"]["ingested"] == 1
    with pytest.raises(ServiceValidationError, match="not waiting for review"):
        await call_action(hass, "reject", item_id=thing["item_id"])


async def test_plan_and_identify_change_nothing(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path, media_root: Path
) -> None:
    """plan and identify answer without touching a file or the history."""
    folder = tmp_path / "ingest" / "Breaking.Bad.S04"
    drop_file(tmp_path, "Breaking.Bad.S04/Breaking.Bad.S04E01.720p.mkv")
    planned = await call_action(hass, "plan", path=str(folder))
    assert planned["results"][0]["action"] == "transfer"
    assert planned["results"][0]["destination"].startswith(str(media_root / "TV Shows"))
    found = await call_action(hass, "identify", name="Blade.Runner.2049.1080p.mkv")
    assert (found["tmdb_id"], found["decision"]) == (335984, "auto")
    by_path = await call_action(hass, "identify", path=str(folder / "Breaking.Bad.S04E01.720p.mkv"))
    assert by_path["tvdb_id"] == 81189
    history = await call_action(hass, "history")
    assert history["items"] == []
    dry = await call_action(hass, "ingest", path=str(folder), dry_run=True)
    assert dry["results"][0]["status"] == "planned"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("relative/file.mkv", "absolute"),
        ("{ingest}/../escape.mkv", "absolute"),
        ("{ingest}/missing.mkv", "does not exist"),
        ("{tmp}/outside.mkv", "not inside an ingest folder"),
        ("{ingest}/link.mkv", "not inside an ingest folder"),
        ("{ingest}/bad\x01name.mkv", "control characters"),
    ],
)
async def test_paths_are_checked(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    tmp_path: Path,
    path: str,
    message: str,
) -> None:
    """Relative paths, `..`, missing files, other folders and escaping links are refused."""
    (tmp_path / "outside.mkv").write_bytes(b"x")
    (tmp_path / "ingest" / "link.mkv").symlink_to(tmp_path / "outside.mkv")
    raw = path.format(ingest=tmp_path / "ingest", tmp=tmp_path)
    with pytest.raises(ServiceValidationError, match=message):
        await call_action(hass, "ingest", path=raw)


async def test_ingest_folder_outside_the_allowlist(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """An allowlist narrowed since the setup is honoured."""
    source = drop_file(tmp_path, "Heat.1995.mkv")
    hass.config.allowlist_external_dirs = set()
    with pytest.raises(ServiceValidationError, match="allowlist"):
        await call_action(hass, "ingest", path=str(source))


async def test_without_ingest_settings(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """A server without ingest settings says how to set them up."""
    with pytest.raises(ServiceValidationError, match="not set up"):
        await call_action(hass, "history")
    assert hass.states.get("sensor.videodrome_demo_review_queue") is None


async def test_reload_keeps_the_queue(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """Reloading the entry mid-queue: the item is still there and can be approved."""
    await call_action(hass, "ingest", path=str(drop_file(tmp_path, "Total.Recall.mkv")))
    assert await hass.config_entries.async_reload(ingest_entry.entry_id)
    await hass.async_block_till_done()
    queue = hass.states.get("sensor.videodrome_demo_review_queue")
    assert queue is not None
    assert queue.state == "1"
    (item,) = queue.attributes["items"]
    approved = await call_action(hass, "approve", item_id=item["item_id"], tmdb_id=861)
    assert approved["status"] == "ingested"


async def test_identify_needs_something(hass: HomeAssistant, ingest_entry: MockConfigEntry) -> None:
    """identify without a path or a name is refused."""
    with pytest.raises(ServiceValidationError, match="path or a file name"):
        await call_action(hass, "identify")


async def test_tmdb_refusing_the_key(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    tmdb: TMDbEmulator,
    tmp_path: Path,
    media_root: Path,
) -> None:
    """A rotated TMDb key: every TMDb-backed service fails with a clear error, and each
    raises the rejected-key repair (the person calling plan or identify needs it too)."""
    source = drop_file(tmp_path, "Titanic.1997.mkv")
    queued = drop_file(tmp_path, "q/Dune.mkv")
    loose = media_root / "Movies" / "heat.1995.mkv"
    loose.write_bytes(b"heat")
    (item,) = (await call_action(hass, "ingest", path=str(queued)))["results"]
    tmdb.rotate_key("another-key")
    for service, data in (
        ("plan", {"path": str(source)}),
        ("ingest", {"path": str(source)}),
        ("identify", {"path": str(source)}),
        ("identify", {"name": "Heat.1995.mkv"}),
        ("approve", {"item_id": item["item_id"], "tmdb_id": 841}),
        ("organise", {"path": str(loose)}),
    ):
        issues.clear(hass, issues.ISSUE_TMDB_KEY, ingest_entry.entry_id)
        with pytest.raises(HomeAssistantError, match="rejected the API key"):
            await call_action(hass, service, **data)
        issue_id = f"{issues.ISSUE_TMDB_KEY}_{ingest_entry.entry_id}"
        assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None, service
    assert loose.read_bytes() == b"heat"


async def test_awkward_paths(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A symlink loop, an unreadable file, and a folder far too big are refused."""
    ingest = tmp_path / "ingest"
    (ingest / "a").symlink_to(ingest / "b")
    (ingest / "b").symlink_to(ingest / "a")
    with pytest.raises(ServiceValidationError, match="cannot be used"):
        await call_action(hass, "plan", path=str(ingest / "a"))
    source = drop_file(tmp_path, "Titanic.1997.mkv")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(source) else real_access(p, mode)
    )
    with pytest.raises(ServiceValidationError, match="not readable"):
        await call_action(hass, "plan", path=str(source))
    monkeypatch.setattr(os, "access", real_access)
    monkeypatch.setattr("custom_components.videodrome.engine.ingest.sources.MAX_FILES", 0)
    for service in ("plan", "ingest"):
        with pytest.raises(ServiceValidationError, match="more than 0 files"):
            await call_action(hass, service, path=str(ingest))


async def test_history_filters(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """History by status and by text."""
    await call_action(hass, "ingest", path=str(drop_file(tmp_path, "Titanic.1997.mkv")))
    await call_action(hass, "ingest", path=str(drop_file(tmp_path, "x/Dune.mkv")))
    review = await call_action(hass, "history", status="review")
    assert [i["title"] for i in review["items"]] == ["Dune"]
    titanic = await call_action(hass, "history", query="titan", limit=5)
    assert [i["status"] for i in titanic["items"]] == ["ingested"]


async def test_repairs_for_folders_keys_and_mappings(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmdb: TMDbEmulator,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """Unusable folders pause ingest; a rejected key and a wrong mapping raise issues."""
    from homeassistant.helpers import issue_registry as ir  # noqa: PLC0415

    entry = make_ingest_entry(**{CONF_INGEST_FOLDERS: [str(tmp_path / "missing")]})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issues = ir.async_get(hass)
    folder_issue = issues.async_get_issue(DOMAIN, f"ingest_folder_unusable_{entry.entry_id}")
    assert folder_issue is not None
    assert folder_issue.translation_placeholders is not None
    assert str(tmp_path / "missing") in folder_issue.translation_placeholders["folders"]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.ingest is None
    # Fixed folders, and a path mapping that sends Plex to the wrong place.
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            CONF_INGEST_FOLDERS: [str(tmp_path / "ingest")],
            CONF_PATH_MAP: [[str(media_root), "/somewhere/else"]],
        },
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, f"ingest_folder_unusable_{entry.entry_id}") is None
    (result,) = (
        await call_action(hass, "ingest", path=str(drop_file(tmp_path, "Titanic.1997.mkv")))
    )["results"]
    assert result["status"] == "ingested"
    assert issues.async_get_issue(DOMAIN, f"path_mapping_wrong_{entry.entry_id}") is not None
    tmdb.rotate_key("rotated")
    with pytest.raises(HomeAssistantError):
        await call_action(hass, "ingest", path=str(drop_file(tmp_path, "x/Avatar.2009.mkv")))
    assert issues.async_get_issue(DOMAIN, f"tmdb_key_rejected_{entry.entry_id}") is not None


async def test_organise_a_library_folder_and_undo(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, media_root: Path, tmp_path: Path
) -> None:
    """A loose file in the movies folder gets its Plex name; undo puts it back; review too."""
    movies = media_root / "Movies"
    loose = movies / "titanic.1997.1080p.mkv"
    loose.write_bytes(b"titanic")
    dune = movies / "Dune.mkv"
    dune.write_bytes(b"which dune")
    dry = await call_action(hass, "organise", path=str(loose))
    assert dry["results"][0]["status"] == "planned"
    assert loose.exists()
    done = await call_action(hass, "organise", path=str(loose), dry_run=False)
    (result,) = done["results"]
    assert result["status"] == "organised"
    renamed = movies / "Titanic (1997) {tmdb-597}" / "Titanic (1997) - 1080p.mkv"
    assert renamed.read_bytes() == b"titanic"
    assert not loose.exists()
    history = await call_action(hass, "history", status="organised")
    assert history["items"][0]["destination"] == str(renamed)
    undone = await call_action(hass, "undo", batch=done["batch"])
    assert undone["items"][0]["status"] == "undone"
    assert loose.read_bytes() == b"titanic"
    assert not renamed.exists()
    queued = await call_action(hass, "organise", path=str(dune), dry_run=False)
    (waiting,) = queued["results"]
    assert waiting["status"] == "review"
    approved = await call_action(hass, "approve", item_id=waiting["item_id"], tmdb_id=841)
    assert approved["status"] == "organised"
    assert (movies / "Dune (1984) {tmdb-841}" / "Dune (1984).mkv").read_bytes() == b"which dune"
    assert not dune.exists()
    with pytest.raises(ServiceValidationError, match="not inside a library folder"):
        await call_action(hass, "organise", path=str(drop_file(tmp_path, "Heat.1995.mkv")))
    with pytest.raises(ServiceValidationError, match="item or a batch"):
        await call_action(hass, "undo")
    with pytest.raises(ServiceValidationError, match="nothing organised"):
        await call_action(hass, "undo", batch="organise:0123abcd")


async def test_a_name_that_is_not_utf8_is_skipped(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """Found by tests/reliability: such a name made SQLite raise in the middle of an ingest."""
    ingest = tmp_path / "ingest"
    raw = os.fsencode(ingest) + b"/Joker.2019.\xff.mkv"
    with open(raw, "wb") as file:  # noqa: PTH123 (a bytes path)
        file.write(b"joker")
    drop_file(tmp_path, "Titanic.1997.mkv")
    response = await call_action(hass, "ingest", path=str(ingest))
    assert [r["title"] for r in response["results"]] == ["Titanic"]
    with pytest.raises(ServiceValidationError, match="not valid UTF-8"):
        await call_action(hass, "plan", path=os.fsdecode(raw))


async def test_ids_beyond_sqlite_integers_are_refused_by_the_schema(
    hass: HomeAssistant, ingest_entry: MockConfigEntry
) -> None:
    """Found by tests/reliability: 2**63 reached SQLite and raised OverflowError."""
    for service, data in (
        ("reject", {"item_id": 2**63}),
        ("approve", {"item_id": 1, "tmdb_id": 9.3e18}),
        ("undo", {"item_id": 2**64}),
    ):
        with pytest.raises(vol.Invalid):
            await call_action(hass, service, **data)
    with pytest.raises(ServiceValidationError, match="no item"):
        await call_action(hass, "reject", item_id=2**63 - 1)


async def test_a_library_folder_linking_outside_is_not_written_through(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path, media_root: Path
) -> None:
    """Found by tests/reliability: the link was followed and the file landed outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (media_root / "Movies" / "Titanic (1997) {tmdb-597}").symlink_to(outside)
    (result,) = (
        await call_action(hass, "ingest", path=str(drop_file(tmp_path, "Titanic.1997.mkv")))
    )["results"]
    assert result["status"] == "review"
    assert "target_outside_root" in result["reasons"]
    assert list(outside.iterdir()) == []


async def test_files_for_review_do_not_make_the_last_ingest_read_the_store(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """Only an ingested item (or the one shown) changes "the last ingest": the sensor and the
    poster read the store for those, not for each file of a burst waiting for review."""
    runtime = ingest_entry.runtime_data.ingest
    assert runtime is not None
    store = runtime.store
    reads: list[int] = []
    original = store.last_ingested

    def counted() -> Any:
        reads.append(1)
        return original()

    store.last_ingested = counted
    for name in ("Dune.mkv", "a/The.Thing.mkv", "b/Dune.mkv"):
        await call_action(hass, "ingest", path=str(drop_file(tmp_path, name)))
    await hass.async_block_till_done()
    assert reads == []
    assert hass.states.get("sensor.videodrome_demo_review_queue").state == "3"  # type: ignore[union-attr]
    await call_action(hass, "ingest", path=str(drop_file(tmp_path, "Titanic.1997.1080p.mkv")))
    await hass.async_block_till_done()
    assert reads  # the sensor and the poster entity looked again
    last = hass.states.get("sensor.videodrome_demo_last_ingest")
    assert last is not None
    assert last.attributes["title"] == "Titanic"


async def test_guessit_runs_apart_and_ends_with_the_last_entry(
    hass: HomeAssistant, ingest_entry: MockConfigEntry
) -> None:
    """Names are read in guessit's own process, owned by the domain (hass.data), started by
    the first name; it ends when the last entry unloads, and the entry set up again gets a
    new owner whose child starts with its first name."""
    held = hass.data[DATA_GUESSIT]
    assert held.processes.pids() == {}  # set up, but no name read yet: no child
    # A name no other test reads, so that the parse cache cannot answer for the process.
    found = await call_action(hass, "identify", name="The.Shawshank.Redemption.1994.720p.WEB.mkv")
    assert found["title"] == "The Shawshank Redemption"
    pids = held.processes.pids()
    assert set(pids) == {"ingest"}
    pid = pids["ingest"]
    assert pid != os.getpid()
    assert os.path.exists(f"/proc/{pid}")  # noqa: PTH110
    assert await hass.config_entries.async_unload(ingest_entry.entry_id)
    assert DATA_GUESSIT not in hass.data
    assert held.processes.pids() == {}
    assert not os.path.exists(f"/proc/{pid}")  # noqa: PTH110
    assert await hass.config_entries.async_setup(ingest_entry.entry_id)
    again = hass.data[DATA_GUESSIT]
    assert again is not held
    assert again.processes.pids() == {}
    found = await call_action(hass, "identify", name="Shutter.Island.2010.Restarted.720p.mkv")
    assert found["title"] == "Shutter Island"
    assert set(again.processes.pids()) == {"ingest"}
    assert again.processes.pids()["ingest"] != pid


async def test_a_burst_of_item_changes_refreshes_the_entities_at_most_once_a_second(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """Fifty item changes in a row: the review queue sensor reads the store at once, then
    once more a cooldown later for all the others (not fifty reads and recorded states)."""
    runtime = ingest_entry.runtime_data.ingest
    assert runtime is not None
    await call_action(hass, "ingest", path=str(drop_file(tmp_path, "Dune.mkv")))  # waits for review
    await hass.async_block_till_done()
    store = runtime.store
    item = (await hass.async_add_executor_job(store.review_queue, 1))[0]
    reads: list[float] = []
    original = store.review_count

    def counted() -> Any:
        reads.append(hass.loop.time())
        return original()

    store.review_count = counted
    await asyncio.sleep(UPDATE_COOLDOWN)  # past the cooldown of the refresh above
    for _ in range(50):
        async_dispatcher_send(hass, signal_item(ingest_entry.entry_id), "review_required", item)
    assert len(reads) <= 1  # the first refresh has started (its read runs in an executor)
    await hass.async_block_till_done()
    assert len(reads) == 1  # the other 49 wait for the cooldown, on a timer
    await asyncio.sleep(UPDATE_COOLDOWN * 1.2)
    await hass.async_block_till_done()
    assert len(reads) == 2
    assert reads[1] - reads[0] >= UPDATE_COOLDOWN * 0.99
    queue = hass.states.get("sensor.videodrome_demo_review_queue")
    assert queue is not None
    assert queue.state == "1"
    # A change within the cooldown, then the entry reloads: the waiting refresh is dropped
    # (the store closes with the entry) and nothing reads that store afterwards.
    async_dispatcher_send(hass, signal_item(ingest_entry.entry_id), "review_required", item)
    assert await hass.config_entries.async_reload(ingest_entry.entry_id)
    await asyncio.sleep(UPDATE_COOLDOWN * 1.2)
    await hass.async_block_till_done()
    assert len(reads) == 2
    # A refresh still reading when the entry unloads is cancelled with it.
    runtime = ingest_entry.runtime_data.ingest
    assert runtime is not None
    started = asyncio.Event()
    original = runtime.store.review_count

    def slow() -> Any:
        hass.loop.call_soon_threadsafe(started.set)
        time.sleep(0.2)
        return original()

    runtime.store.review_count = slow
    async_dispatcher_send(hass, signal_item(ingest_entry.entry_id), "review_required", item)
    await started.wait()
    assert await hass.config_entries.async_unload(ingest_entry.entry_id)
    assert ingest_entry.state is ConfigEntryState.NOT_LOADED
