"""The library index in Home Assistant: check_library, live updates, Assist, LLM tools."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import intent, llm
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.videodrome.const import (
    CONF_LLM_SCAN,
    DOMAIN,
)
from custom_components.videodrome.engine.library.index import LibraryIndex
from custom_components.videodrome.engine.plex.errors import PlexConnectionError
from custom_components.videodrome.engine.plex.models import SCAN_ACTIVITY_TYPE
from custom_components.videodrome.engine.plex.notifications import Notification
from custom_components.videodrome.runtime.library import SCAN_REBUILD_COOLDOWN
from tests.integration.conftest import llm_api
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.emulators.plex import PlexEmulator


async def _loaded(hass: HomeAssistant, entry: MockConfigEntry) -> LibraryIndex:
    """The entry's index, once its background load finished."""
    index: LibraryIndex = entry.runtime_data.library.index
    await until(lambda: index.loaded, message="the library index to load")
    return index


async def _check(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "check_library", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def test_check_library_by_title_and_ids(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Titles (normalised), years, types and each id type find the demo library's items."""
    await _loaded(hass, loaded_entry)
    matrix = await _check(hass, title="the matrix")
    assert matrix["found"] is True
    assert matrix["items"][0]["title"] == "The Matrix"
    assert matrix["items"][0]["type"] == "movie"
    assert matrix["items"][0]["files"]
    by_tmdb = await _check(hass, tmdb_id=603)
    assert [i["title"] for i in by_tmdb["items"]] == ["The Matrix"]
    by_imdb = await _check(hass, imdb_id="tt0903747")
    assert [i["title"] for i in by_imdb["items"]] == ["Breaking Bad"]
    by_tvdb = await _check(hass, tvdb_id=81189, type="show")
    show = by_tvdb["items"][0]
    assert show["availability"]["present_seasons"] == [1, 2, 3]
    assert "seasons 1" in show["availability"]["summary"]
    assert (await _check(hass, title="Dune", year=2021))["found"] is True
    nothing = await _check(hass, title="A Film Nobody Made")
    assert (nothing["found"], nothing["loading"], nothing["items"]) == (False, False, [])
    with pytest.raises(ServiceValidationError, match="title or a TMDb"):
        await _check(hass, year=1999)


async def test_loading_is_not_a_false_no(
    hass: HomeAssistant, config_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the first load finishes, the answer is "loading", never "not found"."""
    release = asyncio.Event()
    real_refresh = LibraryIndex.refresh

    async def slow_refresh(self: LibraryIndex) -> Any:
        await release.wait()
        return await real_refresh(self)

    monkeypatch.setattr(LibraryIndex, "refresh", slow_refresh)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    answer = await _check(hass, title="The Matrix")
    assert (answer["loading"], answer["found"]) == (True, False)
    release.set()
    await _loaded(hass, config_entry)
    assert (await _check(hass, title="The Matrix"))["found"] is True


async def test_a_new_film_reaches_the_index_by_notification(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
) -> None:
    """Plex scans a new file; its websocket notifications update the index, no rebuild."""
    index = await _loaded(hass, loaded_entry)
    await until(lambda: plex_emulator.websocket_clients)
    builds = index.snapshot.built_at
    folder = media_root / "Movies" / "Titanic (1997)"
    folder.mkdir()
    (folder / "Titanic (1997).mkv").write_bytes(b"x")
    await plex_emulator.scan(1)
    await until(lambda: _check(hass, title="Titanic"), lambda answer: answer["found"])
    assert (await _check(hass, tmdb_id=597))["items"][0]["title"] == "Titanic"
    assert index.snapshot.built_at >= builds


async def _allow_scans(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Turn on the option that lets Assist and LLM agents scan (the entry reloads)."""
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_LLM_SCAN: True})
    await hass.async_block_till_done()
    await _loaded(hass, entry)


async def test_assist_intents(
    hass: HomeAssistant, assist: None, loaded_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    """ "Is Breaking Bad in the library?", "how many files wait?", "scan the movies"."""
    await _loaded(hass, loaded_entry)
    response = await intent.async_handle(
        hass, "test", "VideodromeCheckLibrary", {"title": {"value": "Breaking Bad"}}
    )
    speech = response.speech["plain"]["speech"]
    assert speech.startswith("Yes, Breaking Bad (2008) is in the Plex library")
    response = await intent.async_handle(
        hass, "test", "VideodromeCheckLibrary", {"title": {"value": "Nonexistent Film"}}
    )
    assert response.speech["plain"]["speech"] == "No, Nonexistent Film is not in the Plex library."
    response = await intent.async_handle(hass, "test", "VideodromeReviewQueue", {})
    assert response.speech["plain"]["speech"] == "Ingest is not set up in Videodrome."
    await _allow_scans(hass, loaded_entry)  # Assist's scan: the LLM scan's opt-in (issue 23)
    response = await intent.async_handle(
        hass, "test", "VideodromeScanLibrary", {"library": {"value": "Movies"}}
    )
    assert response.speech["plain"]["speech"] == "Plex is scanning the Movies library."
    assert any(r.path == "/library/sections/1/refresh" for r in plex_emulator.requests)


async def test_intents_without_a_server(hass: HomeAssistant, assist: None) -> None:
    """No server configured: the intents say so."""
    assert await async_setup_component(hass, DOMAIN, {})
    response = await intent.async_handle(
        hass, "test", "VideodromeCheckLibrary", {"title": {"value": "Dune"}}
    )
    assert response.speech["plain"]["speech"] == "Videodrome is not connected to a Plex server."


@pytest.fixture
async def ingest_entry(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry]
) -> MockConfigEntry:
    """A loaded entry with ingest (and the LLM scan tool) on."""
    entry = make_ingest_entry(**{CONF_LLM_SCAN: True})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_availability_against_tmdb_and_the_index_in_ingest(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path, assist: None
) -> None:
    """With TMDb, missing seasons are named; the ingest pipeline asks the index."""
    await _loaded(hass, ingest_entry)
    show = (await _check(hass, title="Breaking Bad"))["items"][0]
    assert show["availability"]["missing_seasons"] == [4, 5]
    assert "missing" in show["availability"]["summary"]
    copy = tmp_path / "ingest" / "The.Matrix.1999.2160p.mkv"
    copy.write_bytes(b"another copy")
    response: Any = await hass.services.async_call(
        DOMAIN, "plan", {"path": str(copy)}, blocking=True, return_response=True
    )
    (planned,) = response["results"]
    # Plex's copy is SD: the 2160p one would be filed beside it as a version (the default).
    assert "better_copy" in planned["reasons"]
    assert planned["action"] == "transfer"
    assert planned["existing"]["title"] == "The Matrix"
    assert planned["quality"]["decision"] == "version"
    assert (planned["quality"]["new"]["label"], planned["quality"]["existing"]["label"]) == (
        "2160p",
        "480p",
    )
    review = await intent.async_handle(hass, "test", "VideodromeReviewQueue", {})
    assert review.speech["plain"]["speech"] == "No files are waiting for review."


async def test_llm_tools(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    """The registered API offers the tools; each answers through the API."""
    await _loaded(hass, ingest_entry)
    api = await llm_api(hass, ingest_entry.entry_id)
    names = {tool.name for tool in api.tools}
    assert names == {"check_library", "identify", "review_queue", "recent_ingests", "scan"}
    assert "check_library" in api.api_prompt

    async def call(tool: str, **args: Any) -> Any:
        result: Any = await api.async_call_tool(llm.ToolInput(tool_name=tool, tool_args=args))
        return result

    found = await call("check_library", title="Dune", year=1984)
    assert found.data["found"] is False
    found = await call("check_library", tmdb_id=1396)
    assert found.data["items"][0]["title"] == "Breaking Bad"
    missing = await call("check_library")
    assert missing.error
    identified = await call("identify", name="Blade.Runner.2049.1080p.mkv")
    assert identified.data["tmdb_id"] == 335984
    queue = await call("review_queue")
    assert queue.data["count"] == 0
    recent = await call("recent_ingests", limit=5)
    assert recent.data["items"] == []
    scanned = await call("scan", library="Movies")
    assert scanned.data["scans"][0]["library"] == "Movies"


async def test_llm_api_without_ingest(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    """Without ingest only the library tools are offered; identify explains why not."""
    api = await llm_api(hass, loaded_entry.entry_id)
    assert {tool.name for tool in api.tools} == {"check_library", "identify"}
    result = await api.async_call_tool(
        llm.ToolInput(tool_name="identify", tool_args={"name": "Heat.1995.mkv"})
    )
    assert result.error


async def test_an_episode_goes_into_the_show_folder_plex_already_has(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path, media_root: Path
) -> None:
    """Breaking Bad lives in "Breaking Bad (2008)": a new season goes there, not beside it."""
    await _loaded(hass, ingest_entry)
    video = tmp_path / "ingest" / "Breaking.Bad.S04E01.720p.HDTV.mkv"
    video.write_bytes(b"episode")
    response: Any = await hass.services.async_call(
        DOMAIN, "plan", {"path": str(video)}, blocking=True, return_response=True
    )
    (planned,) = response["results"]
    assert planned["destination"].startswith(
        str(media_root / "TV Shows" / "Breaking Bad (2008)" / "Season 04")
    )
    assert planned["target"].startswith("Breaking Bad (2008)/Season 04/")
    new_show = tmp_path / "ingest" / "Westworld.S01E01.mkv"
    new_show.write_bytes(b"episode")
    response = await hass.services.async_call(
        DOMAIN, "plan", {"path": str(new_show)}, blocking=True, return_response=True
    )
    assert response["results"][0]["target"].startswith("Westworld (2016) {tvdb-296762}/Season 01/")


async def test_llm_tools_check_what_the_model_sends(
    hass: HomeAssistant, ingest_entry: MockConfigEntry
) -> None:
    """Found by tests/reliability: HA passes a model's arguments unchecked; the tools check.

    A missing or mistyped argument raised KeyError or TypeError, which end the conversation;
    `vol.Invalid` goes back to the model as an error it can correct.
    """
    await _loaded(hass, ingest_entry)
    api = await llm_api(hass, ingest_entry.entry_id)
    for tool, args in (
        ("identify", {}),
        ("identify", {"name": ["a", "list"]}),
        ("check_library", {"title": "Dune", "year": "nineteen"}),
        ("recent_ingests", {"limit": 0}),
        ("review_queue", {"bogus": 1}),
        ("scan", {"library": 3}),
    ):
        with pytest.raises(vol.Invalid):
            await api.async_call_tool(llm.ToolInput(tool_name=tool, tool_args=args))


async def test_intents_check_their_slots(
    hass: HomeAssistant, assist: None, loaded_entry: MockConfigEntry
) -> None:
    """Found by tests/reliability: a missing slot was a KeyError logged as an error."""
    await _loaded(hass, loaded_entry)
    with pytest.raises(intent.InvalidSlotInfo):
        await intent.async_handle(hass, "test", "VideodromeCheckLibrary", {})
    await _allow_scans(hass, loaded_entry)
    response = await intent.async_handle(
        hass, "test", "VideodromeScanLibrary", {"library": {"value": "Music"}}
    )
    assert response.speech["plain"]["speech"].startswith('There is no library "Music"')


async def test_a_burst_of_scans_reads_the_section_again_once_per_cooldown(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each ingest makes Plex scan; the first scan's end reads the section at once, the rest
    of the burst once more after the cooldown, not once each."""
    await _loaded(hass, loaded_entry)
    runtime = loaded_entry.runtime_data.library
    index = runtime.index
    read: list[set[int]] = []
    real = index.rebuild_sections

    async def counting(keys: Any) -> bool:
        read.append(set(keys))
        if len(read) == 2:  # Plex fails while the burst's sections are read: logged, no harm
            raise PlexConnectionError("Plex went away")
        done: bool = await real(keys)
        return done

    monkeypatch.setattr(index, "rebuild_sections", counting)

    def ended(section: int) -> Notification:
        activity = {"type": SCAN_ACTIVITY_TYPE, "Context": {"librarySectionID": str(section)}}
        return Notification("activity", ({"event": "ended", "Activity": activity},))

    # The index follows notifications in a background task: `until` lets it run.
    runtime.on_notification(ended(2))
    await until(lambda: read == [{2}])
    for section in (2, 1, 2, 2):
        runtime.on_notification(ended(section))
    await until(lambda: runtime.queue.qsize() == 0)
    await asyncio.sleep(0.1)
    assert read == [{2}]  # within the cooldown: nothing yet
    async_fire_time_changed(hass, dt_util.utcnow() + SCAN_REBUILD_COOLDOWN + timedelta(seconds=1))
    await until(lambda: len(read) == 2)
    assert read == [{2}, {1, 2}]
    assert runtime.scan_rebuilds == 3
    assert index.by_id(tmdb=603).found  # the index it had is kept
    # A scan ending within the cooldown, then the entry unloads: nothing runs afterwards.
    runtime.on_notification(ended(1))
    await until(lambda: runtime.queue.qsize() == 0)
    await asyncio.sleep(0.05)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    async_fire_time_changed(hass, dt_util.utcnow() + 2 * SCAN_REBUILD_COOLDOWN)
    await asyncio.sleep(0.1)
    assert len(read) == 2


async def test_a_scan_before_the_first_load_does_not_pass_for_a_load(
    hass: HomeAssistant, config_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load failed (Plex was down): a scan's end must not make a partial index
    look loaded (it would answer "not found" for everything in the other sections)."""

    async def failing(self: LibraryIndex) -> Any:
        raise PlexConnectionError("Plex is down")

    monkeypatch.setattr(LibraryIndex, "refresh", failing)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    runtime = config_entry.runtime_data.library
    activity = {"type": SCAN_ACTIVITY_TYPE, "Context": {"librarySectionID": "1"}}
    runtime.on_notification(Notification("activity", ({"event": "ended", "Activity": activity},)))
    await until(lambda: runtime.queue.qsize() == 0 and runtime._cancel_scan_rebuild is None)
    await asyncio.sleep(0.05)
    assert not runtime.index.loaded
    assert runtime.scan_rebuilds == 0
    assert (await _check(hass, title="The Matrix"))["loading"] is True
