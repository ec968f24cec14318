"""Sign in with Plex, end to end against the plex.tv and Plex emulators.

Menu → PIN at plex.tv (external step) → approved in the emulator → the account's servers →
the ingest step → an entry with the server's own token and address. And every way it fails.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any
from unittest.mock import patch
from urllib.parse import parse_qs

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.videodrome import plex_account
from custom_components.videodrome.const import CONF_CLIENT_IDENTIFIER, DOMAIN
from tests.conftest import PLEX_TOKEN
from tests.emulators.plextv import PlexTvEmulator, server_resource

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.server import Emulators

OTHER_MACHINE = "b" * 40


@pytest.fixture(autouse=True)
def no_setup() -> Iterator[None]:
    """Creating an entry must not set it up here: the flow is what these tests are about."""
    with patch("custom_components.videodrome.async_setup_entry", return_value=True):
        yield


@pytest.fixture
async def plextv(
    emulators: Emulators, monkeypatch: pytest.MonkeyPatch, plex_emulator: PlexEmulator
) -> PlexTvEmulator:
    """plex.tv, where Videodrome looks for it, with the Plex emulator as the account's server."""
    emulator = await emulators.start(PlexTvEmulator(resources=[server_resource(plex_emulator)]))
    monkeypatch.setattr(plex_account, "PLEX_TV_URL", emulator.url)
    monkeypatch.setattr(plex_account, "PIN_POLL_INTERVAL", 0.01)
    return emulator


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _start_sign_in(hass: HomeAssistant) -> dict[str, Any]:
    """The user step's menu, then "Sign in with Plex"."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    return dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "plex_sign_in"}
        )
    )


async def _signed_in(hass: HomeAssistant, plextv: PlexTvEmulator) -> dict[str, Any]:
    """Sign in, approve the PIN, and take the step after the external one."""
    result = await _start_sign_in(hass)
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    plextv.approve()
    await hass.async_block_till_done(wait_background_tasks=True)
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"]))


async def test_sign_in_with_one_server_goes_straight_to_the_ingest_step(
    hass: HomeAssistant, plextv: PlexTvEmulator, plex_emulator: PlexEmulator
) -> None:
    result = await _start_sign_in(hass)
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert result["step_id"] == "plex_sign_in"
    base, _, fragment = result["url"].partition("#?")
    assert base == "https://app.plex.tv/auth"
    query = parse_qs(fragment)
    assert query["context[device][product]"] == ["Videodrome"]
    (pin,) = plextv.pins.values()
    assert query["code"] == [pin.code]
    assert len(pin.code) > 4  # a strong PIN

    # The frontend may ask again before the user is done: still the external step.
    again = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert again["type"] is FlowResultType.EXTERNAL_STEP

    plextv.approve(pin.code)
    await hass.async_block_till_done(wait_background_tasks=True)
    progressed = hass.config_entries.flow.async_get(result["flow_id"])
    assert progressed["step_id"] == "select_server"

    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"]))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "ingest"
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Videodrome Demo"
    assert result["result"].unique_id == plex_emulator.machine_identifier
    data = result["data"]
    assert data[CONF_URL] == plex_emulator.url
    assert data[CONF_TOKEN] == PLEX_TOKEN
    assert data[CONF_VERIFY_SSL] is True
    # plex.tv saw the same client identifier the entry keeps.
    assert {headers["X-Plex-Client-Identifier"] for _, _, headers in plextv.requests} == {
        data[CONF_CLIENT_IDENTIFIER]
    }
    assert {headers["X-Plex-Product"] for _, _, headers in plextv.requests} == {"Videodrome"}


async def test_sign_in_with_two_servers_asks_which_and_how_to_reach_it(
    hass: HomeAssistant, plextv: PlexTvEmulator, plex_emulator: PlexEmulator
) -> None:
    closed = _closed_port()
    plextv.resources.append(
        server_resource(
            plex_emulator,
            name="Attic",
            machine_identifier=OTHER_MACHINE,
            uris=[(f"https://127.0.0.1:{closed}", False), (f"http://127.0.0.1:{closed}", True)],
        )
    )
    plextv.resources.append({"name": "A player", "provides": "player", "clientIdentifier": "p"})
    result = await _signed_in(hass, plextv)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "select_server"
    options = result["data_schema"].schema["connection"].config["options"]
    assert [option["label"] for option in options] == [
        f"Videodrome Demo: {plex_emulator.url}",
        f"Attic: http://127.0.0.1:{closed}",  # local before remote
        f"Attic: https://127.0.0.1:{closed}",
    ]

    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {"connection": "1"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {"connection": "0"})
    )
    assert result["step_id"] == "ingest"
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == plex_emulator.url


async def test_a_single_unreachable_connection_is_shown_with_an_error(
    hass: HomeAssistant, plextv: PlexTvEmulator, plex_emulator: PlexEmulator
) -> None:
    plextv.resources[:] = [
        server_resource(plex_emulator, uris=[(f"http://127.0.0.1:{_closed_port()}", True)])
    ]
    result = await _signed_in(hass, plextv)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "select_server"
    assert result["errors"] == {"base": "cannot_connect"}


async def test_an_unexpected_error_while_connecting_is_unknown(
    hass: HomeAssistant, plextv: PlexTvEmulator
) -> None:
    with patch(
        "custom_components.videodrome.engine.plex.client.PlexClient.identity",
        side_effect=RuntimeError("boom"),
    ):
        result = await _signed_in(hass, plextv)
    assert result["errors"] == {"base": "unknown"}


async def test_a_configured_server_is_refused(
    hass: HomeAssistant, plextv: PlexTvEmulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await _signed_in(hass, plextv)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_an_account_without_servers_aborts(
    hass: HomeAssistant, plextv: PlexTvEmulator
) -> None:
    plextv.resources.clear()
    result = await _signed_in(hass, plextv)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_servers"


@pytest.mark.parametrize("how", ["pin expires", "flow gives up"])
async def test_sign_in_not_completed_in_time_aborts(
    hass: HomeAssistant, plextv: PlexTvEmulator, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    if how == "pin expires":
        plextv.faults.pin_expires_in = 0
    else:
        monkeypatch.setattr(plex_account, "SIGN_IN_TIMEOUT", 0.05)
    result = await _start_sign_in(hass)
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.config_entries.flow.async_get(result["flow_id"])["step_id"] == "sign_in_timeout"
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"]))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "sign_in_timeout"


async def test_plex_tv_down_before_the_sign_in_aborts(
    hass: HomeAssistant, plextv: PlexTvEmulator
) -> None:
    plextv.faults.fail_status = 503
    result = await _start_sign_in(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "plex_tv_unreachable"


async def test_plex_tv_gone_during_the_sign_in_aborts(
    hass: HomeAssistant, plextv: PlexTvEmulator
) -> None:
    result = await _start_sign_in(hass)
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    await plextv.stop()
    await hass.async_block_till_done(wait_background_tasks=True)
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"]))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "plex_tv_unreachable"


async def test_plex_tv_down_when_listing_servers_aborts(
    hass: HomeAssistant, plextv: PlexTvEmulator
) -> None:
    result = await _start_sign_in(hass)
    plextv.approve()
    await hass.async_block_till_done(wait_background_tasks=True)
    plextv.faults.fail_status = 500
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"]))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "plex_tv_unreachable"


async def test_dismissing_the_flow_stops_waiting_for_plex_tv(
    hass: HomeAssistant, plextv: PlexTvEmulator
) -> None:
    result = await _start_sign_in(hass)
    polls = len(plextv.requests)
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)
    settled = len(plextv.requests)
    assert settled - polls <= 1
    assert not hass.config_entries.flow.async_progress()


@pytest.mark.parametrize(
    ("body", "status"),
    [({"id": 1}, 201), ([], 201), ({"nope": True}, 404), ("not json", 200)],
)
async def test_odd_answers_from_plex_tv_count_as_unreachable(
    hass: HomeAssistant, plextv: PlexTvEmulator, body: Any, status: int
) -> None:
    plextv.faults.answer = (status, body)
    result = await _start_sign_in(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "plex_tv_unreachable"


@pytest.mark.parametrize("body", [[{"provides": "server"}], {"a": 1}, [1]])
async def test_odd_resources_count_as_unreachable(
    hass: HomeAssistant, plextv: PlexTvEmulator, body: Any
) -> None:
    result = await _start_sign_in(hass)
    plextv.approve()
    await hass.async_block_till_done(wait_background_tasks=True)
    plextv.faults.answer = (200, body)
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"]))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "plex_tv_unreachable"
