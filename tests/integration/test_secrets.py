"""The Plex token and the TMDb key never show: not in logs, states, responses or errors."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

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
from custom_components.videodrome.diagnostics import async_get_config_entry_diagnostics
from tests.conftest import PLEX_TOKEN
from tests.emulators.tmdb import TMDbEmulator

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    import pytest

    from tests.emulators.plex import PlexEmulator

TMDB_KEY = "tmdb-secret-key-5f1e2d3c4b5a6978"


async def test_secrets_never_show(
    hass: HomeAssistant,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A day's work at debug level, failures included: neither secret appears anywhere."""
    caplog.set_level(logging.DEBUG)
    tmdb = TMDbEmulator(api_key=TMDB_KEY)
    monkeypatch.setattr(const, "TMDB_BASE_URL", await tmdb.start())
    ingest = tmp_path / "ingest"
    ingest.mkdir()
    hass.config.allowlist_external_dirs = {str(tmp_path)}
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
        },
    )
    entry.add_to_hass(hass)
    seen: list[str] = []
    try:
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

        async def call(service: str, **data: Any) -> None:
            try:
                response = await hass.services.async_call(
                    DOMAIN, service, data, blocking=True, return_response=True
                )
                seen.append(json.dumps(response, default=str))
            except HomeAssistantError as err:
                seen.append(f"{err!r} {err}")

        (ingest / "Titanic.1997.mkv").write_bytes(b"x")
        (ingest / "Dune.mkv").write_bytes(b"y")
        await call("ingest", path=str(ingest))
        await call("identify", name="Heat.1995.mkv")
        await call("history")
        await call("check_library", title="The Matrix")
        plex_emulator.faults.fail_next = 3
        await call("scan")
        tmdb.faults.fail_next = 100
        await call("identify", name="Alien.1979.mkv")
        tmdb.faults.fail_next = 0
        tmdb.rotate_key("another")
        await call("ingest", path=str(ingest))
        plex_emulator.rotate_token("rotated")
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()
        seen.append(json.dumps(await async_get_config_entry_diagnostics(hass, entry), default=str))
        seen.extend(
            json.dumps({"state": state.state, "attributes": dict(state.attributes)}, default=str)
            for state in hass.states.async_all()
        )
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        await tmdb.stop()
    seen.append(caplog.text)
    everything = "\n".join(seen)
    assert "Titanic" in everything  # the capture did capture
    assert PLEX_TOKEN not in everything
    assert TMDB_KEY not in everything
