"""Fixtures for the Home Assistant layer: custom integrations enabled, a configured server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import Context
from homeassistant.helpers import llm
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.videodrome import const, discovery
from custom_components.videodrome.const import (
    CONF_CLIENT_IDENTIFIER,
    CONF_INGEST_FOLDERS,
    CONF_MOVIES_ROOT,
    CONF_PATH_MAP,
    CONF_TMDB_API_KEY,
    CONF_TRANSFER_MODE,
    CONF_TV_ROOT,
    DOMAIN,
)
from tests.conftest import PLEX_TOKEN
from tests.emulators.tmdb import TMDbEmulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

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
async def assist(hass: HomeAssistant) -> None:
    """Home Assistant's intent integration, which sets up Videodrome's intents (intent.py)."""
    assert await async_setup_component(hass, "intent", {})


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


TMDB_KEY = "test-tmdb-key-abcdef0123456789"
TMDB_BEARER = "eyJ0ZXN0IjoiYmVhcmVyIn0.test-bearer-token"


@pytest.fixture
async def tmdb(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TMDbEmulator]:
    """The TMDb emulator (TMDB_KEY or TMDB_BEARER), with Videodrome pointed at it."""
    emulator = TMDbEmulator(api_key=TMDB_KEY, bearer_token=TMDB_BEARER)
    monkeypatch.setattr(const, "TMDB_BASE_URL", await emulator.start())
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def make_ingest_entry(
    hass: HomeAssistant,
    plex_emulator: PlexEmulator,
    tmdb: TMDbEmulator,
    media_root: Path,
    tmp_path: Path,
) -> AsyncIterator[Callable[..., MockConfigEntry]]:
    """Makes entries with ingest on (not set up; options overridable) and unloads them after.

    The ingest folder is `tmp_path / "ingest"`, the library roots the demo Plex libraries'
    folders, and `tmp_path` is allowlisted.
    """
    ingest = tmp_path / "ingest"
    ingest.mkdir(exist_ok=True)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    entries: list[MockConfigEntry] = []

    def make(**options: Any) -> MockConfigEntry:
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
            options={
                CONF_TMDB_API_KEY: TMDB_KEY,
                CONF_INGEST_FOLDERS: [str(ingest)],
                CONF_MOVIES_ROOT: str(media_root / "Movies"),
                CONF_TV_ROOT: str(media_root / "TV Shows"),
                CONF_PATH_MAP: [],
                CONF_TRANSFER_MODE: "hardlink",
                **options,
            },
        )
        entry.add_to_hass(hass)
        entries.append(entry)
        return entry

    yield make
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def ingest_entry(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry]
) -> MockConfigEntry:
    """A loaded entry with ingest on: the demo Plex libraries as roots, an ingest folder."""
    entry = make_ingest_entry()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def llm_api(hass: HomeAssistant, entry_id: str) -> llm.APIInstance:
    """Videodrome's LLM API for the entry `entry_id`, as a conversation agent gets it."""
    context = llm.LLMContext(
        platform="test", context=Context(), language="en", assistant="conversation",
        device_id=None,
    )  # fmt: skip
    return await llm.async_get_api(hass, f"{DOMAIN}-{entry_id}", context)
