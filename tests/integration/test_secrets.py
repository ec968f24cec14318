"""The Plex token and the TMDb key never show: not in logs, states, responses or errors."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError

from custom_components.videodrome.const import (
    DOMAIN,
)
from custom_components.videodrome.diagnostics import async_get_config_entry_diagnostics
from tests.conftest import PLEX_TOKEN

from .conftest import TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    import pytest
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.tmdb import TMDbEmulator


async def test_secrets_never_show(
    hass: HomeAssistant,
    plex_emulator: PlexEmulator,
    tmdb: TMDbEmulator,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A day's work at debug level, failures included: neither secret appears anywhere."""
    caplog.set_level(logging.DEBUG)
    ingest = tmp_path / "ingest"
    entry = make_ingest_entry()
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
    seen.append(caplog.text)
    everything = "\n".join(seen)
    assert "Titanic" in everything  # the capture did capture
    assert PLEX_TOKEN not in everything
    assert TMDB_KEY not in everything
