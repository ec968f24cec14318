"""Setting up and unloading an entry against the emulated server, and failing setups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.videodrome.const import CONF_PROVIDER_ID, DOMAIN

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.emulators.plex import PlexEmulator


async def test_setup_connects_and_unload_stops_everything(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    runtime = loaded_entry.runtime_data
    assert runtime.coordinator.data.identity.machine_identifier == plex_emulator.machine_identifier
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, plex_emulator.machine_identifier), loaded_entry.entry_id
    )
    assert device is not None
    assert device.manufacturer == "Plex"
    assert device.sw_version == plex_emulator.version
    assert device.configuration_url == f"{plex_emulator.url}/web"

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    state: ConfigEntryState = loaded_entry.state  # mypy narrowed it to LOADED above
    assert state is ConfigEntryState.NOT_LOADED
    assert not loaded_entry._background_tasks  # the notification listener is gone


async def test_setup_loads_while_plex_is_down(
    hass: HomeAssistant, config_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    """Plex down is no reason to keep the watcher and ingest from running (the entry loads,
    its Plex entities unavailable): tests/integration/test_plex_down_at_start.py."""
    await plex_emulator.stop()
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    coordinator = config_entry.runtime_data.coordinator
    assert not coordinator.last_update_success
    assert not coordinator.data.known
    state = hass.states.get("sensor.videodrome_demo_status")
    assert state is not None
    assert state.state == "unavailable"


async def test_setup_with_a_refused_token_starts_reauth(
    hass: HomeAssistant, config_entry: MockConfigEntry, plex_emulator: PlexEmulator
) -> None:
    plex_emulator.rotate_token("new-token")
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_setup_refuses_a_url_that_now_reaches_another_server(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, unique_id="a-different-server")
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "different Plex Media Server" in str(config_entry.reason)


@pytest.mark.parametrize("minor_version", [1, 2])
async def test_migration_drops_the_garbage_collection_option(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry], minor_version: int
) -> None:
    """An entry stored with "defer_full_gc" (versions 1.1 and 1.2) loads as 1.3 without it;
    every other option and the data stay as they were (1.1 also gets its provider id)."""
    entry = make_ingest_entry(defer_full_gc=False, rescan_minutes=7, auto_ingest=False)
    data = {**entry.data, CONF_PROVIDER_ID: "id-of-1.2"} if minor_version == 2 else entry.data
    hass.config_entries.async_update_entry(entry, data=data, minor_version=minor_version)
    before = {k: v for k, v in entry.options.items() if k != "defer_full_gc"}
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 3)
    assert "defer_full_gc" not in entry.options
    assert dict(entry.options) == before
    assert {k: v for k, v in entry.data.items() if k != CONF_PROVIDER_ID} == {
        k: v for k, v in data.items() if k != CONF_PROVIDER_ID
    }
    if minor_version == 2:
        assert entry.data[CONF_PROVIDER_ID] == "id-of-1.2"
    else:
        assert len(entry.data[CONF_PROVIDER_ID]) == 43
