"""Fixtures for the Home Assistant layer: custom integrations enabled, a configured server."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
import re
import time
from typing import TYPE_CHECKING, Any
import uuid

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL, Platform
from homeassistant.core import Context
from homeassistant.helpers import llm
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotSerializer
from syrupy.extensions.amber import AmberSnapshotExtension

import custom_components.videodrome as videodrome_integration
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
from custom_components.videodrome.engine.plex.scan import PlexSync
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.runtime import ingest as ingest_runtime
from custom_components.videodrome.runtime.watcher import (
    CONF_NETWORK_SHARE,
    DEFAULT_NETWORK_RESCAN_MINUTES,
)
from tests.conftest import PLEX_TOKEN
from tests.emulators.tmdb import TMDbEmulator
from tests.entities import settle

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion
    from syrupy.types import PropertyPath, SerializableData

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


@pytest.fixture
def platforms() -> list[Platform]:
    """The platforms an entry sets up: all of them, unless a test module asks for fewer."""
    return list(videodrome_integration.PLATFORMS)


@pytest.fixture(autouse=True)
def only_platforms(monkeypatch: pytest.MonkeyPatch, platforms: list[Platform]) -> None:
    """Entries set up `platforms` only (a module snapshotting one platform overrides it)."""
    monkeypatch.setattr(videodrome_integration, "PLATFORMS", platforms)


class SnapshotExtension(AmberSnapshotExtension):
    """Home Assistant's serializer, as core's tests use it, in syrupy's `__snapshots__` folder
    (Home Assistant's own extension writes to `snapshots`).

    States, registry entries and devices are written without what Home Assistant makes up
    per run (their ids, context, created / changed times: `<ANY>`).
    """

    VERSION = "1"
    serializer_class = HomeAssistantSnapshotSerializer


# Emulators listen on a free port of the loopback address, a new one each run.
_LOOPBACK_PORT = re.compile(r"127\.0\.0\.1:\d+")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion, tmp_path: Path) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format; the test's folder and the emulators' ports, which
    change per run, are written as `<tmp_path>` and `<port>` (the rest of the value stays)."""

    def placeholders(data: SerializableData, path: PropertyPath) -> SerializableData:
        del path
        if not isinstance(data, str):
            return data
        stable = _LOOPBACK_PORT.sub("127.0.0.1:<port>", data.replace(str(tmp_path), "<tmp_path>"))
        return stable if stable != data else data  # an unchanged StrEnum keeps its repr

    return snapshot.with_defaults(extension_class=SnapshotExtension, matcher=placeholders)


# The instant entity snapshots are taken at (`pytest.mark.freeze_time(SNAPSHOT_TIME)`).
SNAPSHOT_TIME = "2026-05-01 20:00:00+00:00"
_SNAPSHOT_TIMESTAMP = datetime.fromisoformat(SNAPSHOT_TIME).timestamp()


def _frozen_time() -> float:
    """`time.time()`, looked up at each call: freezegun's while the clock is frozen."""
    return time.time()


@pytest.fixture
async def busy_entry(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    plex_emulator: PlexEmulator,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
) -> MockConfigEntry:
    """A loaded entry with ingest after some activity, for snapshots of its entities.

    Titanic was filed (and matched by Plex), Dune waits for review (which Dune?), Heat has
    arrived since and the watcher's rescan found the ingest folder's files settling, and alice
    is watching Breaking Bad. The test freezes the clock at `SNAPSHOT_TIME`
    (`pytest.mark.freeze_time`), so every date reads the same:

    - the store dates items by the frozen clock (its default clock is the real one);
    - Plex's scans take no time and are polled without waiting, so nothing waits for the
      clock to move;
    - the library sections get fixed uuids (the emulator derives them from their temporary
      folders), as a real server's are;
    - the folders are a network share (rescans only): no inotify event races the snapshot.
    """
    assert time.time() == _SNAPSHOT_TIMESTAMP, "mark the test with freeze_time(SNAPSHOT_TIME)"
    monkeypatch.setattr(ingest_runtime, "Store", partial(Store, clock=_frozen_time))
    monkeypatch.setattr(ingest_runtime, "PlexSync", partial(PlexSync, poll_interval=0.0))
    plex_emulator.faults.scan_duration = 0
    for section in plex_emulator.library.sections.values():
        section.uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{section.key}:{section.title}"))
    entry = make_ingest_entry(**{CONF_NETWORK_SHARE: True})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    ingest = tmp_path / "ingest"
    for name in ("Titanic.1997.1080p.BluRay.x264-GRP.mkv", "Dune.mkv"):
        (ingest / name).write_bytes(b"video")
        await hass.services.async_call(
            DOMAIN, "ingest", {"path": str(ingest / name)}, blocking=True
        )
    (ingest / "Heat.1995.mkv").write_bytes(b"video")
    rescan = timedelta(minutes=DEFAULT_NETWORK_RESCAN_MINUTES)
    async_fire_time_changed(hass, dt_util.utcnow() + rescan)  # the watcher finds Heat
    await hass.async_block_till_done()
    await plex_emulator.add_session("Pilot", grandparent_title="Breaking Bad", user="alice")
    await entry.runtime_data.coordinator.async_refresh()
    await settle(hass)
    return entry
