"""The library index in Home Assistant when Plex misbehaves: a section failing, retries, reconnects.

Every fault comes from the Plex emulator's knobs (`failing_sections`) or from the emulator
itself (dropped websockets, a silent change, stopping); nothing of the code under test is
mocked. Time is moved with Home Assistant's test clock.
"""

from __future__ import annotations

from datetime import timedelta
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import intent
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.videodrome.const import DOMAIN
from custom_components.videodrome.runtime.library import REBUILD_INTERVAL
from tests.frozen_clock import in_real_time
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from custom_components.videodrome.runtime.library import LibraryRuntime
    from tests.emulators.plex import PlexEmulator

MOVIES, TV = "sensor.videodrome_demo_movies", "sensor.videodrome_demo_tv_shows"
TV_ERROR = "Plex answered 500 to /library/sections/2/all"


async def _until(hass: HomeAssistant, condition: Callable[[], bool], seconds: float = 10) -> None:
    """Wait in real time (executor sleeps) until `condition` holds."""
    await until(condition, timeout=seconds, interval=0, between=in_real_time(hass, 0.02))


async def _later(hass: HomeAssistant, seconds: float) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done()


async def _check(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "check_library", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def _retry_in(library: LibraryRuntime) -> float | None:
    return library.retry_in  # read afresh: mypy would keep what an earlier assert narrowed


def _attributes(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    state = hass.states.get(entity_id)
    assert state is not None
    return dict(state.attributes)


async def _setup(
    hass: HomeAssistant, entry: MockConfigEntry, plex: PlexEmulator, failing: set[int]
) -> LibraryRuntime:
    plex.faults.failing_sections = failing
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    library: LibraryRuntime = entry.runtime_data.library
    await _until(hass, lambda: library.loads == 1 and not library._reading)
    return library


async def test_a_failing_section_leaves_the_others_answering_and_is_retried(
    hass: HomeAssistant,
    assist: None,
    config_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    library = await _setup(hass, config_entry, plex_emulator, {2})

    # Movies answer; TV Shows say they may be incomplete, and why.
    assert library.index.status == "incomplete"
    matrix = await _check(hass, title="The Matrix", type="movie")
    assert (matrix["found"], matrix["incomplete"], matrix["missing_libraries"]) == (True, False, [])
    bad = await _check(hass, title="Breaking Bad")
    assert (bad["found"], bad["loading"], bad["incomplete"]) == (False, False, True)
    assert bad["missing_libraries"] == [
        {
            "library_id": 2,
            "library": "TV Shows",
            "type": "show",
            "state": "failed",
            "error": TV_ERROR,
        }
    ]
    response = await intent.async_handle(
        hass, "test", "VideodromeCheckLibrary", {"title": {"value": "Breaking Bad"}}
    )
    assert response.speech["plain"]["speech"] == (
        "I cannot find Breaking Bad, but Videodrome could not read the Plex library TV Shows, "
        "so it may be there."
    )
    assert _attributes(hass, MOVIES)["index"] == "complete"
    tv_state = hass.states.get(TV)
    assert tv_state is not None
    assert tv_state.state == "unknown"  # Plex cannot count it either; the others are shown
    tv = _attributes(hass, TV)
    assert (tv["index"], tv["index_error"]) == ("failed", TV_ERROR)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    index = diagnostics["index"]
    assert index["status"] == "incomplete"
    assert [(s["id"], s["state"]) for s in index["sections"]] == [(1, "complete"), (2, "failed")]
    assert index["retry_in_seconds"] == 30

    # 30 s later it is read again; still failing, the next try is 60 s away.
    await _later(hass, 31)
    await _until(hass, lambda: library.loads == 2 and not library._reading)
    assert _retry_in(library) == 60
    # Plex lists the section again: the next try completes, and the retries stop.
    plex_emulator.faults.failing_sections = set()
    await _later(hass, 61)
    await _until(hass, lambda: library.loads == 3 and not library._reading)
    assert library.index.status == "loaded"
    assert _retry_in(library) is None
    assert (await _check(hass, title="Breaking Bad"))["found"] is True
    assert _attributes(hass, TV)["index"] == "complete"
    assert _attributes(hass, TV)["index_error"] is None


async def test_the_retries_stop_at_ten_minutes_then_the_rebuild_takes_over(
    hass: HomeAssistant, config_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    library = await _setup(hass, config_entry, plex_emulator, {2})
    waits = []
    for loads in range(2, 8):
        assert library.retry_in is not None
        waits.append(library.retry_in)
        await _later(hass, library.retry_in + 1)
        await _until(hass, lambda n=loads: library.loads == n and not library._reading)  # type: ignore[misc]
    assert waits == [30, 60, 120, 240, 480, 600]
    assert _retry_in(library) is None  # spent: the regular rebuild takes over
    await _later(hass, 3600)
    assert library.loads == 7
    await _later(hass, REBUILD_INTERVAL.total_seconds())
    await _until(hass, lambda: library.loads == 8 and not library._reading)
    assert _retry_in(library) == 30  # a failed rebuild has retries of its own


async def test_a_websocket_reconnection_reads_the_library_again(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
) -> None:
    """What Plex announced while the websocket was down is missed: read it all again."""
    library = await _setup(hass, config_entry, plex_emulator, set())
    coordinator = config_entry.runtime_data.coordinator
    await _until(hass, lambda: coordinator.listener is not None and coordinator.listener.connected)
    assert (await _check(hass, tmdb_id=949))["found"] is True  # Heat
    # Heat leaves Plex without a word to Videodrome (no notification: the socket is down).
    await plex_emulator.drop_websockets()
    shutil.rmtree(media_root / "Movies" / "Heat (1995)")
    section = plex_emulator.library.sections[1]
    plex_emulator.library.apply_scan(section, plex_emulator.library.walk(section))
    await _until(hass, lambda: library.loads == 2 and not library._reading)
    assert coordinator.listener is not None
    assert coordinator.listener.reconnected
    assert (await _check(hass, tmdb_id=949))["found"] is False


async def test_plex_away_after_the_index_loaded(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    hass_client: ClientSessionGenerator,
) -> None:
    """The index keeps answering from what it read; diagnostics name no address."""
    library = await _setup(hass, config_entry, plex_emulator, set())
    port = plex_emulator.url.rsplit(":", 1)[1]
    await plex_emulator.stop()
    library.load_now()
    await _until(hass, lambda: library.loads == 2 and not library._reading)
    assert library.index.failure is not None
    assert port in library.index.failure
    assert library.retry_in == 30
    assert (await _check(hass, tmdb_id=603))["found"] is True  # the last read still answers
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    failure = diagnostics["index"]["failure"]
    assert failure.startswith("cannot reach Plex at **REDACTED**")
    assert port not in str(diagnostics["index"])
