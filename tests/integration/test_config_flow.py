"""The config flow against the Plex emulator: success, errors and recovery, reauth, reconfigure."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.videodrome.const import CONF_CLIENT_IDENTIFIER, DOMAIN
from tests.conftest import PLEX_TOKEN
from tests.emulators.plex import PlexEmulator, PlexLibrary

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry


@pytest.fixture(autouse=True)
def no_setup() -> Iterator[None]:
    """Creating an entry must not set it up here: the flow is what these tests are about."""
    with patch("custom_components.videodrome.async_setup_entry", return_value=True):
        yield


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _user_flow(hass: HomeAssistant, user_input: dict[str, Any]) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"], user_input))


async def test_user_flow_creates_an_entry_named_after_the_server(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    result = await _user_flow(
        hass, {CONF_URL: plex_emulator.url, CONF_TOKEN: PLEX_TOKEN, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Videodrome Demo"
    assert result["result"].unique_id == plex_emulator.machine_identifier
    data = result["data"]
    assert data[CONF_URL] == plex_emulator.url
    assert data[CONF_TOKEN] == PLEX_TOKEN
    assert len(data[CONF_CLIENT_IDENTIFIER]) == 32


async def test_user_form_suggests_the_default_plex_port(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    url_key = next(key for key in schema if key == CONF_URL)
    assert url_key.description == {"suggested_value": "http://127.0.0.1:32400"}
    assert result["description_placeholders"] is not None
    assert "support.plex.tv" in result["description_placeholders"]["token_url"]


@pytest.mark.parametrize(
    ("make_input", "field", "error"),
    [
        (lambda emu: {CONF_URL: emu.url, CONF_TOKEN: "wrong"}, CONF_TOKEN, "invalid_auth"),
        (lambda emu: {CONF_URL: "ftp://nas", CONF_TOKEN: PLEX_TOKEN}, CONF_URL, "invalid_url"),
        (lambda emu: {CONF_URL: "not a url", CONF_TOKEN: PLEX_TOKEN}, CONF_URL, "invalid_url"),
        (
            lambda emu: {CONF_URL: f"http://127.0.0.1:{_closed_port()}", CONF_TOKEN: PLEX_TOKEN},
            "base",
            "cannot_connect",
        ),
        (
            # Something answers, but not Plex's API (a wrong path prefix gives 404s).
            lambda emu: {CONF_URL: f"{emu.url}/not-plex", CONF_TOKEN: PLEX_TOKEN},
            "base",
            "cannot_connect",
        ),
    ],
)
async def test_user_flow_reports_errors_and_recovers(
    hass: HomeAssistant,
    plex_emulator: PlexEmulator,
    make_input: Any,
    field: str,
    error: str,
) -> None:
    result = await _user_flow(hass, {**make_input(plex_emulator), CONF_VERIFY_SSL: True})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    fixed = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: plex_emulator.url, CONF_TOKEN: PLEX_TOKEN, CONF_VERIFY_SSL: True},
    )
    assert fixed["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_reports_unexpected_errors_as_unknown(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    with patch(
        "custom_components.videodrome.engine.plex.PlexClient.identity",
        side_effect=RuntimeError("boom"),
    ):
        result = await _user_flow(
            hass, {CONF_URL: plex_emulator.url, CONF_TOKEN: PLEX_TOKEN, CONF_VERIFY_SSL: True}
        )
    assert result["errors"] == {"base": "unknown"}


async def test_same_server_twice_is_refused(
    hass: HomeAssistant, plex_emulator: PlexEmulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await _user_flow(
        hass, {CONF_URL: plex_emulator.url, CONF_TOKEN: PLEX_TOKEN, CONF_VERIFY_SSL: True}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_takes_the_new_token(
    hass: HomeAssistant, plex_emulator: PlexEmulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    plex_emulator.rotate_token("rotated-token")
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["url"] == plex_emulator.url

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: PLEX_TOKEN}
    )
    assert result["errors"] == {CONF_TOKEN: "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "rotated-token"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_TOKEN] == "rotated-token"
    assert config_entry.data[CONF_CLIENT_IDENTIFIER] == "test-client"


async def test_reauth_refuses_a_different_server(
    hass: HomeAssistant, plex_emulator: PlexEmulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(config_entry, unique_id="another-server")
    result = await config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: PLEX_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"
    assert config_entry.data[CONF_TOKEN] == PLEX_TOKEN


@pytest.fixture
async def moved_server(plex_emulator: PlexEmulator, tmp_path: Path) -> AsyncIterator[PlexEmulator]:
    """The same server (same machine identifier) reachable at a new address."""
    moved = PlexEmulator(
        PlexLibrary.empty(),
        token="token-after-move",
        machine_identifier=plex_emulator.machine_identifier,
    )
    await moved.start()
    try:
        yield moved
    finally:
        await moved.stop()


async def test_reconfigure_changes_url_and_token(
    hass: HomeAssistant, config_entry: MockConfigEntry, moved_server: PlexEmulator
) -> None:
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: moved_server.url, CONF_TOKEN: "wrong", CONF_VERIFY_SSL: True},
    )
    assert result["errors"] == {CONF_TOKEN: "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: moved_server.url, CONF_TOKEN: "token-after-move", CONF_VERIFY_SSL: False},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_URL] == moved_server.url
    assert config_entry.data[CONF_TOKEN] == "token-after-move"
    assert config_entry.data[CONF_VERIFY_SSL] is False


async def test_reconfigure_keeps_the_token_when_left_empty(
    hass: HomeAssistant, plex_emulator: PlexEmulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: plex_emulator.url, CONF_VERIFY_SSL: True}
    )
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data[CONF_TOKEN] == PLEX_TOKEN


async def test_reconfigure_refuses_a_different_server(
    hass: HomeAssistant, config_entry: MockConfigEntry, tmp_path: Path
) -> None:
    config_entry.add_to_hass(hass)
    other = PlexEmulator(PlexLibrary.empty(), token="other", machine_identifier="f" * 40)
    await other.start()
    try:
        result = await config_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: other.url, CONF_TOKEN: "other", CONF_VERIFY_SSL: True}
        )
    finally:
        await other.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"
