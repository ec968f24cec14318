"""The scan service end to end: the emulator really scans what was asked; bad calls say why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.videodrome.const import DOMAIN, SERVICE_SCAN
from tests.polling import until

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from tests.emulators.plex import PlexEmulator


async def _scan(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, SERVICE_SCAN, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def _refreshes(emulator: PlexEmulator) -> list[tuple[str, str | None]]:
    return [
        (r.path, r.query.get("path"))
        for r in emulator.requests
        if r.path.endswith("/refresh") and r.method == "GET"
    ]


@pytest.mark.usefixtures("loaded_entry")
async def test_scan_of_one_folder_adds_the_new_file_in_plex(
    hass: HomeAssistant, plex_emulator: PlexEmulator, media_root: Path
) -> None:
    folder = media_root / "Movies" / "Aliens (1986)"
    folder.mkdir()
    (folder / "Aliens (1986).mkv").write_bytes(b"stand-in")
    response = await _scan(hass, path=str(folder))
    assert response == {"scans": [{"library_id": 1, "library": "Movies", "path": str(folder)}]}
    await plex_emulator.wait_for_scans()
    assert _refreshes(plex_emulator) == [("/library/sections/1/refresh", str(folder))]
    titles = {item.title for item in plex_emulator.library.section_items(1, None)}
    assert "Aliens" in titles


@pytest.mark.usefixtures("loaded_entry")
async def test_scan_of_a_library_by_name_or_id(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    await _scan(hass, library="tv shows")
    await _scan(hass, library="1")
    await _scan(hass, library=2)
    assert _refreshes(plex_emulator) == [
        ("/library/sections/2/refresh", None),
        ("/library/sections/1/refresh", None),
        ("/library/sections/2/refresh", None),
    ]


@pytest.mark.usefixtures("loaded_entry")
async def test_scan_without_arguments_scans_every_library(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    response = await _scan(hass)
    assert [scan["library"] for scan in response["scans"]] == ["Movies", "TV Shows"]
    assert _refreshes(plex_emulator) == [
        ("/library/sections/1/refresh", None),
        ("/library/sections/2/refresh", None),
    ]


@pytest.mark.usefixtures("loaded_entry")
async def test_scan_with_library_and_path_inside_it(
    hass: HomeAssistant, plex_emulator: PlexEmulator, media_root: Path
) -> None:
    folder = media_root / "TV Shows" / "Dark (2017)"
    await _scan(hass, library="TV Shows", path=str(folder), config_entry_id=_entry_id(hass))
    assert _refreshes(plex_emulator) == [("/library/sections/2/refresh", str(folder))]


def _entry_id(hass: HomeAssistant) -> str:
    return hass.config_entries.async_entries(DOMAIN)[0].entry_id


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"library": "Music"}, "library_not_found"),
        ({"path": "relative/folder"}, "invalid_path"),
        ({"path": "/data/../etc"}, "invalid_path"),
        ({"path": "/srv/elsewhere"}, "path_outside_libraries"),
        ({"config_entry_id": "nope"}, "entry_not_found"),
    ],
)
async def test_bad_calls_are_refused_with_a_reason(
    hass: HomeAssistant, plex_emulator: PlexEmulator, data: dict[str, Any], key: str
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await _scan(hass, **data)
    assert raised.value.translation_key == key
    assert _refreshes(plex_emulator) == []


@pytest.mark.usefixtures("loaded_entry")
async def test_a_path_in_another_library_than_the_one_named_is_refused(
    hass: HomeAssistant, media_root: Path
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await _scan(hass, library="Movies", path=str(media_root / "TV Shows" / "Dark (2017)"))
    assert raised.value.translation_key == "path_outside_libraries"


@pytest.mark.usefixtures("loaded_entry")
async def test_unknown_library_lists_the_libraries_that_exist(hass: HomeAssistant) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await _scan(hass, library="Music")
    assert raised.value.translation_placeholders == {
        "library": "Music",
        "libraries": "Movies, TV Shows",
    }
    assert str(raised.value).startswith('There is no library "Music". Libraries: Movies, TV Shows')


@pytest.mark.usefixtures("loaded_entry")
async def test_plex_failing_the_scan_is_an_error_of_the_action(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    # Let the refresh that follows the notification connection pass first.
    await until(lambda: plex_emulator.websocket_clients)
    await hass.async_block_till_done()
    plex_emulator.faults.fail_next = 1
    with pytest.raises(HomeAssistantError) as raised:
        await _scan(hass, library="Movies")
    assert raised.value.translation_key == "scan_failed"
    assert "500" in str(raised.value)


async def test_scan_needs_a_loaded_server(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    with pytest.raises(ServiceValidationError) as raised:
        await _scan(hass)
    assert raised.value.translation_key == "no_loaded_entries"
    with pytest.raises(ServiceValidationError) as raised:
        await _scan(hass, config_entry_id=config_entry.entry_id)
    assert raised.value.translation_key == "entry_not_loaded"


async def test_an_entry_of_another_integration_is_not_a_server(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    other = MockConfigEntry(domain="sun")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as raised:
        await _scan(hass, config_entry_id=other.entry_id)
    assert raised.value.translation_key == "entry_not_found"


async def test_with_two_servers_the_entry_must_be_named(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Second",
        unique_id=plex_emulator.machine_identifier,
        data=dict(loaded_entry.data),
    )
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as raised:
        await _scan(hass)
    assert raised.value.translation_key == "entry_required"
    await _scan(hass, config_entry_id=second.entry_id, library="Movies")
    assert await hass.config_entries.async_unload(second.entry_id)
