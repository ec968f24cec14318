"""Plex down when Home Assistant starts: the entry loads, files wait, and are filed once it is back.

Real emulators: the Plex emulator is stopped before the entry is set up and started again on
the same port later; files are dropped into the ingest folder and found by the watcher.

Decided (docs/how-it-works.md): while Plex's library has not been read, "is this already in
the library?" has no answer, so a file that would be filed waits (`pending`, reason
`waiting_for_plex`) instead of risking a duplicate; once the library has been read, each is
handled like a new file: filed (and scanned, and its match checked) or, when Plex already
holds the title, sent to review. Nothing is lost, and nothing filed twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.videodrome.const import DOMAIN, UPDATE_INTERVAL
from custom_components.videodrome.engine.ingest.plan import ALREADY_IN_LIBRARY, WAITING_FOR_PLEX
from custom_components.videodrome.runtime.watcher import CONF_STABILITY
from tests.conftest import PLEX_TOKEN
from tests.emulators.plex import PlexEmulator
from tests.frozen_clock import advance, real_pause, second_by_second
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    import pytest

STABILITY = 10
TITANIC = "Titanic.1997.1080p.BluRay.x264-GRP.mkv"
TITANIC_TARGET = ("Movies", "Titanic (1997) {tmdb-597}", "Titanic (1997) - 1080p Blu-ray.mkv")
EPISODE = "Breaking.Bad.S04E01.720p.HDTV.mkv"
EPISODE_FOLDER = ("TV Shows", "Breaking Bad (2008)", "Season 04")  # the show Plex has
MATRIX = "The.Matrix.1999.1080p.BluRay.mkv"  # Plex has The Matrix already
DOWN = "Plex (Videodrome Demo) is unavailable: "
BACK = "Plex (Videodrome Demo) is available again after "
STATUS = "sensor.videodrome_demo_status"
REVIEW_QUEUE = "sensor.videodrome_demo_review_queue"


async def _history(hass: HomeAssistant) -> list[dict[str, Any]]:
    response: Any = await hass.services.async_call(
        DOMAIN, "history", {}, blocking=True, return_response=True
    )
    return list(response["items"])


async def _until(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    check: Callable[[list[dict[str, Any]]], bool],
) -> list[dict[str, Any]]:
    """Move time on a second at a time until the history passes `check`."""
    return await until(
        lambda: _history(hass),
        check,
        interval=0,
        between=second_by_second(hass, freezer, pause=0.05),
        timeout=45,
    )


def _scans(plex: PlexEmulator) -> list[str | None]:
    return [r.query.get("path") for r in plex.requests if r.path.endswith("/refresh")]


def _by_file(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["source"].rsplit("/", 1)[-1]: item for item in items}


async def _start_with_plex_down(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
) -> tuple[MockConfigEntry, int]:
    port = int(plex_emulator.url.rsplit(":", 1)[1])
    await plex_emulator.stop()
    # "Always ask": The Matrix, which Plex has, waits for a person (better or not).
    entry = make_ingest_entry(**{CONF_STABILITY: STABILITY, "when_held": "ask"})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry, port


async def test_files_wait_while_plex_is_down_and_are_filed_once_when_it_is_back(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    media_root: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.videodrome")
    ingested = async_capture_events(hass, f"{DOMAIN}_ingested")
    reviews = async_capture_events(hass, f"{DOMAIN}_review_required")
    entry, port = await _start_with_plex_down(hass, make_ingest_entry, plex_emulator)

    # Loaded: Plex's entities unavailable, the ingest's and the watcher's working.
    assert entry.state is ConfigEntryState.LOADED
    status = hass.states.get(STATUS)
    assert status is not None
    assert status.state == STATE_UNAVAILABLE
    queue = hass.states.get(REVIEW_QUEUE)
    assert queue is not None
    assert queue.state == "0"
    assert entry.runtime_data.watcher is not None
    assert entry.runtime_data.watcher.running
    assert entry.runtime_data.library.index.status == "loading"

    for name in (TITANIC, EPISODE, MATRIX):
        (tmp_path / "ingest" / name).write_bytes(b"video " * 100)
    await real_pause(hass, 0.2)  # inotify events cross from watchdog's thread
    await advance(hass, freezer, STABILITY + 10)
    held = await _until(hass, freezer, lambda items: len(items) == 3)

    # Identified, and held: nothing filed, nothing asked of Plex.
    assert {item["status"] for item in held} == {"pending"}
    assert all(item["reasons"][-1] == WAITING_FOR_PLEX for item in held)
    assert {item["tmdb_id"] for item in held} == {597, 1396, 603}
    assert not (media_root / TITANIC_TARGET[0] / TITANIC_TARGET[1]).exists()
    assert not any((media_root.joinpath(*EPISODE_FOLDER)).glob("*"))
    assert ingested == []
    assert reviews == []
    rows = {item["id"] for item in held}

    # Plex is back; the next poll finds it (the websocket's reconnection may come first).
    plex_emulator.requests.clear()
    await plex_emulator.start(port=port)
    await advance(hass, freezer, UPDATE_INTERVAL.total_seconds())
    settled = await _until(
        hass,
        freezer,
        lambda items: all(item["status"] not in {"pending", "transferring"} for item in items),
    )

    assert {item["id"] for item in settled} == rows  # the same rows: nothing new, none lost
    _assert_handled_once(settled, plex_emulator, media_root)
    assert sorted(event.data["item"]["source"].rsplit("/", 1)[-1] for event in ingested) == sorted(
        [TITANIC, EPISODE]
    )
    assert [event.data["item"]["source"].rsplit("/", 1)[-1] for event in reviews] == [MATRIX]
    status = hass.states.get(STATUS)
    assert status is not None
    assert status.state != STATE_UNAVAILABLE
    assert entry.runtime_data.library.index.status == "loaded"
    # One line when Plex went, one when it came back.
    assert caplog.text.count(DOWN) == 1
    assert caplog.text.count(BACK) == 1
    assert "Error fetching" not in caplog.text
    assert "Traceback" not in caplog.text


def _assert_handled_once(
    settled: list[dict[str, Any]], plex_emulator: PlexEmulator, media_root: Path
) -> None:
    """Filed and checked, or sent to review; each filed file's folder scanned once."""
    by_file = _by_file(settled)
    titanic, episode, matrix = by_file[TITANIC], by_file[EPISODE], by_file[MATRIX]
    assert (titanic["status"], titanic["plex_status"]) == ("ingested", "plex_matched")
    assert (episode["status"], episode["plex_status"]) == ("ingested", "plex_matched")
    assert (media_root / TITANIC_TARGET[0] / TITANIC_TARGET[1] / TITANIC_TARGET[2]).is_file()
    # The episode went into the folder of the show Plex already has, not a second one.
    assert episode["destination"].startswith(str(media_root.joinpath(*EPISODE_FOLDER)) + "/")
    # The Matrix is in the library already: a person decides, nothing was filed twice.
    assert matrix["status"] == "review"
    assert ALREADY_IN_LIBRARY in matrix["reasons"]
    assert WAITING_FOR_PLEX not in matrix["reasons"]
    # Each filed file scanned once (the emulator records the requests), checked once.
    assert sorted(_scans(plex_emulator), key=str) == sorted(
        [
            str(media_root / TITANIC_TARGET[0] / TITANIC_TARGET[1]),
            str(media_root.joinpath(*EPISODE_FOLDER)),
        ]
    )


async def test_held_files_survive_a_restart_while_plex_is_down(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    media_root: Path,
) -> None:
    entry, port = await _start_with_plex_down(hass, make_ingest_entry, plex_emulator)
    (tmp_path / "ingest" / TITANIC).write_bytes(b"video " * 100)
    await real_pause(hass, 0.2)
    await advance(hass, freezer, STABILITY + 10)
    (held,) = await _until(hass, freezer, lambda items: len(items) == 1)
    assert held["status"] == "pending"

    # Home Assistant restarts (the entry reloads), Plex still down: the file still waits.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, STABILITY + 10)
    assert [item["status"] for item in await _history(hass)] == ["pending"]

    await plex_emulator.start(port=port)
    await advance(hass, freezer, UPDATE_INTERVAL.total_seconds())
    (done,) = await _until(
        hass, freezer, lambda items: items[0]["status"] not in {"pending", "transferring"}
    )
    assert (done["id"], done["status"], done["plex_status"]) == (
        held["id"],
        "ingested",
        "plex_matched",
    )
    assert (media_root / TITANIC_TARGET[0] / TITANIC_TARGET[1] / TITANIC_TARGET[2]).is_file()
    assert len(_scans(plex_emulator)) == 1


async def test_another_server_at_the_address_gets_nothing(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """Set up while Plex was away, then another server answers there: its library is not
    read, nothing is filed on its word and it is asked to scan nothing."""
    entry, port = await _start_with_plex_down(hass, make_ingest_entry, plex_emulator)
    (tmp_path / "ingest" / TITANIC).write_bytes(b"video " * 100)
    await real_pause(hass, 0.2)
    await advance(hass, freezer, STABILITY + 10)
    (held,) = await _until(hass, freezer, lambda items: len(items) == 1)
    assert held["status"] == "pending"

    other = PlexEmulator(plex_emulator.library, token=PLEX_TOKEN, machine_identifier="other")
    await other.start(port=port)
    try:
        await advance(hass, freezer, UPDATE_INTERVAL.total_seconds())
        await advance(hass, freezer, 60)
        assert [item["status"] for item in await _history(hass)] == ["pending"]
        assert entry.runtime_data.library.loads == 0
        assert not entry.runtime_data.coordinator.last_update_success
        assert _scans(other) == []
        assert not any(r.path.endswith("/all") and "type" in r.query for r in other.requests)
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await other.stop()
