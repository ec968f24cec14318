"""Secrets never show: not in logs, states, attributes, diagnostics, responses or errors.

The Plex token, the TMDb key, and the metadata provider's secret id (its addresses).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.videodrome.const import (
    CONF_METADATA_PROVIDER,
    CONF_PROVIDER_ID,
    DOMAIN,
)
from custom_components.videodrome.diagnostics import async_get_config_entry_diagnostics
from custom_components.videodrome.options_flow import CONF_REGENERATE
from tests.conftest import PLEX_TOKEN
from tests.integration.conftest import TMDB_KEY
from tests.integration.provider_client import Plex, roots

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    import pytest
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

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


async def _everything_shown(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """Diagnostics, every state with its attributes, and the repair issues' texts."""
    shown = [json.dumps(await async_get_config_entry_diagnostics(hass, entry), default=str)]
    shown.extend(
        json.dumps({"state": state.state, "attributes": dict(state.attributes)}, default=str)
        for state in hass.states.async_all()
    )
    shown.extend(
        json.dumps([issue.translation_key, issue.translation_placeholders], default=str)
        for issue in ir.async_get(hass).issues.values()
    )
    return shown


async def test_the_provider_id_never_shows(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    plex_emulator: PlexEmulator,
    tmdb: TMDbEmulator,
    make_ingest_entry: Callable[..., MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Plex's requests, bad ones, failures, a new id: neither id in any log record (Home
    Assistant's own request logs included), state, attribute, diagnostics or repair issue."""
    caplog.set_level(logging.DEBUG)
    assert await async_setup_component(hass, DOMAIN, {})
    plex = Plex(await hass_client_no_auth())
    entry = make_ingest_entry(**{CONF_METADATA_PROVIDER: True})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    ids = [entry.data[CONF_PROVIDER_ID]]
    seen: list[str] = []

    async def ask(movie: str, tv: str) -> None:
        await plex.match(movie, {"type": 1, "title": "Heat", "year": 1995})
        await plex.match(tv, {"type": 4, "filename": "TV/Chernobyl.S01E01E03.mkv"})
        await plex.answered("GET", f"{tv}/library/metadata/tmdb-show-1396/grandchildren")
        await plex.raw("POST", f"{movie}/library/metadata/matches", data=b"{")
        await plex.raw("GET", f"{movie}/library/metadata/tmdb-movie-603", params={"a": "<script>"})
        await plex.raw("GET", f"{movie}/library/metadata/matches", params={"type": "9" * 5000})
        await plex.raw("GET", f"{tv}/library/metadata/tmdb-show-1396/siblings")
        tmdb.faults.fail_next = 20  # TMDb down: 503s, and the provider's debug line
        await plex.raw("GET", f"{movie}/library/metadata/tmdb-movie-680")
        tmdb.faults.fail_next = 0

    try:
        await ask(*roots(entry))
        result = await hass.config_entries.options.async_init(entry.entry_id)
        seen.append(json.dumps(result.get("description_placeholders")))  # the admin sees it
        form = result["data_schema"]
        assert form is not None
        schema = form.schema
        values = {
            str(key): key.description["suggested_value"]
            for key in schema
            if key.description and "suggested_value" in key.description
        }
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**values, CONF_REGENERATE: True}
        )
        await hass.async_block_till_done()
        ids.append(entry.data[CONF_PROVIDER_ID])
        await ask(*roots(entry))
        await plex.raw("GET", f"{roots(entry)[0].rsplit('/', 2)[0]}/{ids[0]}/movie")  # the old one
        shown = await _everything_shown(hass, entry)
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    assert ids[0] != ids[1]
    assert ids[0] in seen[0]  # the options flow shows the addresses (to an administrator)
    # Home Assistant logged the requests (its views, its security filter): with the id masked.
    assert "Serving /api/videodrome/provider/**REDACTED**/movie" in caplog.text
    assert "harmful query string: /api/videodrome/provider/**REDACTED**/movie" in caplog.text
    for provider_id in ids:
        assert provider_id not in caplog.text
        assert all(provider_id not in record.getMessage() for record in caplog.records)
        assert all(provider_id not in text for text in shown)
