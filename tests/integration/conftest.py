"""Fixtures for the Home Assistant layer: custom integrations enabled, a configured server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.videodrome import discovery
from custom_components.videodrome.const import CONF_CLIENT_IDENTIFIER, DOMAIN
from tests.conftest import PLEX_TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from tests.emulators.plex import PlexEmulator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/videodrome in every test here."""


@pytest.fixture(autouse=True)
def no_gdm_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting up Videodrome scans the network (GDM); here only test_discovery's responder."""
    monkeypatch.setattr(discovery, "GDM_TARGETS", [])


@pytest.fixture
async def config_entry(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> AsyncIterator[MockConfigEntry]:
    """An entry for the emulated server (not yet added to Home Assistant).

    Unloaded again before the emulator stops, so nothing talks to a server going away.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Videodrome Demo",
        unique_id=plex_emulator.machine_identifier,
        data={
            CONF_URL: plex_emulator.url,
            CONF_TOKEN: PLEX_TOKEN,
            CONF_VERIFY_SSL: True,
            CONF_CLIENT_IDENTIFIER: "test-client",
        },
    )
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
async def loaded_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The entry, set up against the emulator."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry
