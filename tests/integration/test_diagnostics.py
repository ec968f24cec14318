"""Config entry diagnostics: snapshots, and no secret or personal path anywhere in them."""

from __future__ import annotations

import asyncio
import errno
import json
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.videodrome import const
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
from custom_components.videodrome.watcher_runtime import CONF_NETWORK_SHARE
from tests.conftest import PLEX_TOKEN
from tests.emulators.tmdb import TMDbEmulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from tests.emulators.plex import PlexEmulator

TMDB_KEY = "diagnostics-tmdb-key"
# Differs from run to run; checked, then replaced before the snapshot compares.
INDEX_AGE = 1.5

type MakeEntry = Callable[..., Awaitable[MockConfigEntry]]


@pytest.fixture
async def tmdb(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TMDbEmulator]:
    """The TMDb emulator, with Videodrome pointed at it."""
    emulator = TMDbEmulator(api_key=TMDB_KEY)
    await emulator.start()
    monkeypatch.setattr(const, "TMDB_BASE_URL", emulator.url)
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
) -> AsyncIterator[MakeEntry]:
    """Loads an entry with ingest on (options overridable); unloads it before the emulators."""
    ingest = tmp_path / "ingest"
    ingest.mkdir()
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    entries: list[MockConfigEntry] = []

    async def make(**options: Any) -> MockConfigEntry:
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
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        return entry

    yield make
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    """The diagnostics as the frontend downloads them, once the index has loaded."""
    index = entry.runtime_data.library.index
    for _ in range(200):
        if index.loaded:
            break
        await asyncio.sleep(0.02)
    assert index.loaded
    return dict(await get_diagnostics_for_config_entry(hass, hass_client, entry))


def _normalised(diagnostics: dict[str, Any]) -> dict[str, Any]:
    """The diagnostics with the index's age (a real clock's) replaced by a constant."""
    age = diagnostics["index"]["age_seconds"]
    assert isinstance(age, float)
    assert age >= 0
    return {**diagnostics, "index": {**diagnostics["index"], "age_seconds": INDEX_AGE}}


async def test_diagnostics_without_ingest(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    diagnostics = await _diagnostics(hass, hass_client, loaded_entry)
    assert diagnostics["ingest"] is None
    assert diagnostics["watcher"] is None
    assert _normalised(diagnostics) == snapshot


async def test_diagnostics_with_ingest(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    make_ingest_entry: MakeEntry,
    snapshot: SnapshotAssertion,
) -> None:
    # A network share: rescans only, so the snapshot does not depend on inotify's limits here.
    entry = await make_ingest_entry(**{CONF_NETWORK_SHARE: True})
    diagnostics = await _diagnostics(hass, hass_client, entry)
    assert diagnostics["watcher"]["inotify_active"] is False
    assert diagnostics["ingest"]["store"]["schema_version"] >= 1
    assert _normalised(diagnostics) == snapshot


async def test_no_secret_or_personal_path_anywhere(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    make_ingest_entry: MakeEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Secrets, folders (options, sections, an inotify error) and history stay out."""
    ingest = tmp_path / "ingest"

    def out_of_watches(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached", str(ingest))

    monkeypatch.setattr("watchdog.observers.api.BaseObserver.schedule", out_of_watches)
    entry = await make_ingest_entry(**{CONF_PATH_MAP: [[str(media_root), "/srv/plex-media"]]})
    source = ingest / "Titanic.1997.1080p.BluRay.x264-GRP.mkv"
    source.write_bytes(b"video")
    response: Any = await hass.services.async_call(
        DOMAIN, "ingest", {"path": str(source)}, blocking=True, return_response=True
    )
    assert response is not None
    assert response["results"][0]["status"] == "ingested"

    diagnostics = await _diagnostics(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    port = plex_emulator.url.rsplit(":", 1)[1].rstrip("/")
    forbidden = [
        PLEX_TOKEN,
        TMDB_KEY,
        "test-client",
        plex_emulator.url,
        port,
        plex_emulator.machine_identifier,
        str(tmp_path),
        str(ingest),
        str(media_root),
        "/srv/plex-media",
        "Titanic",
    ]
    assert [secret for secret in forbidden if secret in text] == []
    assert diagnostics["ingest"]["store"]["counts"]["ingested"] == 1
    assert diagnostics["ingest"]["tmdb"]["requests"] >= 1
    assert diagnostics["watcher"]["inotify_active"] is False
    assert diagnostics["watcher"]["inotify_error"] == "OSError: inotify watch limit reached"
    assert diagnostics["server"]["sections"]
    assert all(s["locations"] == "**REDACTED**" for s in diagnostics["server"]["sections"])
