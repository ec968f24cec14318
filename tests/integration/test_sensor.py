"""Sensors of a server: snapshots of them and of the server's device; live updates pushed by
Plex, failures, new libraries."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.videodrome.const import DOMAIN
from tests.entities import snapshot_entities
from tests.integration.conftest import SNAPSHOT_TIME
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from tests.emulators.plex import PlexEmulator

STATUS = "sensor.videodrome_demo_status"
SESSIONS = "sensor.videodrome_demo_active_sessions"
MOVIES = "sensor.videodrome_demo_movies"
TV = "sensor.videodrome_demo_tv_shows"


@pytest.fixture
def platforms() -> list[Platform]:
    """Only this platform."""
    return [Platform.SENSOR]


@pytest.mark.freeze_time(SNAPSHOT_TIME)
async def test_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    busy_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_entities(hass, entity_registry, snapshot, busy_entry)


async def test_the_server_is_one_device_holding_every_entity(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    loaded_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    (device,) = dr.async_entries_for_config_entry(device_registry, loaded_entry.entry_id)
    assert device == snapshot
    entities = er.async_entries_for_config_entry(entity_registry, loaded_entry.entry_id)
    assert entities
    assert {entity.device_id for entity in entities} == {device.id}


@pytest.mark.usefixtures("loaded_entry")
async def test_without_ingest_only_the_plex_sensors(hass: HomeAssistant) -> None:
    assert sorted(hass.states.async_entity_ids()) == [SESSIONS, MOVIES, STATUS, TV]


async def _until(hass: HomeAssistant, condition: Callable[[], bool], timeout: float = 5) -> None:
    await until(condition, timeout=timeout, between=hass.async_block_till_done)


async def _connected(hass: HomeAssistant, emulator: PlexEmulator) -> None:
    await _until(hass, lambda: emulator.websocket_clients == 1)


def _later(hass: HomeAssistant, seconds: float) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Fetch again, as the coordinator does every UPDATE_INTERVAL.

    Calling the refresh directly instead of jumping the clock five minutes ahead: such a jump
    also fires aiohttp's own timeout timers of the requests in flight.
    """
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


@pytest.mark.usefixtures("loaded_entry")
async def test_server_sensors_show_status_and_version(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    status = hass.states.get(STATUS)
    assert status is not None
    assert status.state == "idle"
    assert status.attributes["options"] == ["idle", "scanning"]
    assert status.attributes["version"] == plex_emulator.version
    assert status.attributes["platform"] == "Linux"
    sessions = hass.states.get(SESSIONS)
    assert sessions is not None
    assert sessions.state == "0"
    assert sessions.attributes["sessions"] == []
    assert sessions.attributes["unit_of_measurement"] == "sessions"


@pytest.mark.usefixtures("loaded_entry")
async def test_one_sensor_per_library_counts_its_items(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    library = plex_emulator.library
    movies = hass.states.get(MOVIES)
    assert movies is not None
    assert int(movies.state) == len(library.section_items(1, None))
    assert movies.attributes["type"] == "movie"
    assert movies.attributes["library_id"] == 1
    assert movies.attributes["scanning"] is False
    assert movies.attributes["last_scan"] is not None
    assert movies.attributes["unit_of_measurement"] == "items"
    assert "episodes" not in movies.attributes
    tv = hass.states.get(TV)
    assert tv is not None
    assert int(tv.state) == len(library.section_items(2, None))
    assert tv.attributes["episodes"] == len(library.section_items(2, 4))


@pytest.mark.usefixtures("loaded_entry")
async def test_playback_pushed_by_plex_updates_the_sessions_sensor(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    await _connected(hass, plex_emulator)
    await plex_emulator.add_session("Pilot", grandparent_title="Breaking Bad", user="alice")
    await _until(hass, lambda: hass.states.get(SESSIONS).state == "1")  # type: ignore[union-attr]
    sessions = hass.states.get(SESSIONS)
    assert sessions is not None
    assert sessions.attributes["sessions"] == [
        {
            "user": "alice",
            "title": "Breaking Bad - Pilot",
            "player": "Living Room TV",
            "state": "playing",
        }
    ]
    await plex_emulator.clear_sessions()
    _later(hass, 3)  # past the refresh cooldown
    await _until(hass, lambda: hass.states.get(SESSIONS).state == "0")  # type: ignore[union-attr]


@pytest.mark.usefixtures("loaded_entry")
async def test_repeated_playing_messages_do_not_refetch(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    await _connected(hass, plex_emulator)
    key = await plex_emulator.add_session("Heat")
    await _until(hass, lambda: hass.states.get(SESSIONS).state == "1")  # type: ignore[union-attr]
    _later(hass, 3)
    await hass.async_block_till_done()
    fetches = sum(r.path == "/status/sessions" for r in plex_emulator.requests)
    for _ in range(3):  # Plex repeats the state every few seconds while playing
        await plex_emulator._playing(key, "playing")
        await asyncio.sleep(0.05)
        _later(hass, 3)
        await hass.async_block_till_done()
    assert sum(r.path == "/status/sessions" for r in plex_emulator.requests) == fetches
    await plex_emulator._playing(key, "paused")
    await _until(
        hass, lambda: sum(r.path == "/status/sessions" for r in plex_emulator.requests) > fetches
    )


@pytest.mark.usefixtures("loaded_entry")
async def test_a_scan_shows_as_scanning_until_plex_says_it_is_complete(
    hass: HomeAssistant, plex_emulator: PlexEmulator, media_root: Path
) -> None:
    await _connected(hass, plex_emulator)
    plex_emulator.faults.scan_duration = 0.5
    movie = media_root / "Movies" / "Aliens (1986)" / "Aliens (1986).mkv"
    movie.parent.mkdir()
    movie.write_bytes(b"x")
    scan = asyncio.create_task(plex_emulator.scan(1))
    await _until(hass, lambda: hass.states.get(STATUS).state == "scanning")  # type: ignore[union-attr]
    movies = hass.states.get(MOVIES)
    assert movies is not None
    assert movies.attributes["scanning"] is True
    await scan
    _later(hass, 3)
    await _until(hass, lambda: hass.states.get(STATUS).state == "idle")  # type: ignore[union-attr]
    movies = hass.states.get(MOVIES)
    assert movies is not None
    assert int(movies.state) == 25
    assert movies.attributes["scanning"] is False


async def test_entities_go_unavailable_while_plex_fails_and_recover(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    plex_emulator.faults.fail_next = 1000
    await _poll(hass, loaded_entry)
    assert hass.states.get(STATUS).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert hass.states.get(MOVIES).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    await _poll(hass, loaded_entry)
    # Once, by the client's Availability (engine/availability.py), not by the coordinator too.
    assert caplog.text.count("Plex (Videodrome Demo) is unavailable: ") == 1, "down: once"
    assert "Error fetching" not in caplog.text
    plex_emulator.faults.fail_next = 0
    await _poll(hass, loaded_entry)
    assert hass.states.get(STATUS).state == "idle"  # type: ignore[union-attr]
    assert hass.states.get(MOVIES).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert caplog.text.count("Plex (Videodrome Demo) is available again") == 1, "back: once"
    assert "recovered" not in caplog.text


async def test_another_server_at_the_address_is_still_logged_by_the_coordinator(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Plex answers, but it is not this entry's server: not an outage (Plex's tracker says
    nothing), so Home Assistant's own lines stay, once each."""
    caplog.set_level(logging.INFO)
    ours = plex_emulator.machine_identifier
    plex_emulator.machine_identifier = "another-server"
    await _poll(hass, loaded_entry)
    await _poll(hass, loaded_entry)
    assert hass.states.get(STATUS).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    plex_emulator.machine_identifier = ours
    await _poll(hass, loaded_entry)
    assert hass.states.get(STATUS).state == "idle"  # type: ignore[union-attr]
    assert caplog.text.count("Error fetching") == 1
    assert caplog.text.count("recovered") == 1
    assert "is unavailable" not in caplog.text


async def test_a_library_added_in_plex_gets_a_sensor_and_a_deleted_one_loses_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
) -> None:
    folder = media_root / "Documentaries"
    folder.mkdir()
    section = plex_emulator.library.add_section("Documentaries", "movie", [str(folder)])
    await _poll(hass, loaded_entry)
    docs = hass.states.get("sensor.videodrome_demo_documentaries")
    assert docs is not None
    assert docs.state == "0"
    registry = er.async_get(hass)
    assert registry.async_get("sensor.videodrome_demo_documentaries") is not None

    plex_emulator.library.remove_section(section.key)
    await _poll(hass, loaded_entry)
    assert registry.async_get("sensor.videodrome_demo_documentaries") is None
    assert hass.states.get("sensor.videodrome_demo_documentaries") is None
    assert hass.states.get(MOVIES) is not None


async def test_a_library_deleted_while_home_assistant_was_stopped_is_cleaned_up(
    hass: HomeAssistant, config_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    config_entry.add_to_hass(hass)
    registry = er.async_get(hass)
    stale = registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{config_entry.unique_id}_library_gone-uuid",
        config_entry=config_entry,
        suggested_object_id="videodrome_demo_gone",
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get(stale.entity_id) is None
    assert hass.states.get(MOVIES) is not None


async def test_a_section_key_reused_by_a_new_section_is_a_new_sensor(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
) -> None:
    library = plex_emulator.library
    library.remove_section(1)
    library.add_section("Films", "movie", [str(media_root / "Movies")], key=1)
    await _poll(hass, loaded_entry)
    assert hass.states.get(MOVIES) is None
    films = hass.states.get("sensor.videodrome_demo_films")
    assert films is not None
    assert films.state == "0"  # not scanned yet


async def test_a_token_revoked_while_running_asks_for_reauthentication(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    plex_emulator.rotate_token("revoked-and-replaced")
    await _poll(hass, loaded_entry)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("loaded_entry")
async def test_notifications_reconnect_after_plex_drops_them(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    await _connected(hass, plex_emulator)
    await plex_emulator.drop_websockets()
    await _until(hass, lambda: plex_emulator.websocket_clients == 0)
    # The first retry comes after about a second (jittered back-off).
    await _until(hass, lambda: plex_emulator.websocket_clients == 1, timeout=5)
    await plex_emulator.add_session("Dune")
    await _until(hass, lambda: hass.states.get(SESSIONS).state == "1")  # type: ignore[union-attr]


@pytest.mark.usefixtures("loaded_entry")
async def test_notifications_refused_after_a_token_change_ask_for_reauthentication(
    hass: HomeAssistant, plex_emulator: PlexEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    await _connected(hass, plex_emulator)
    await hass.async_block_till_done()  # the fetch that follows connecting is done
    plex_emulator.rotate_token("changed-in-plex")
    await plex_emulator.drop_websockets()
    # The listener reconnects after about a second and is refused.
    await _until(hass, lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert "refused the token for notifications" in caplog.text
