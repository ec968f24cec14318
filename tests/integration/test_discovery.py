"""GDM discovery against a fake GDM responder on loopback, and the discovery flow."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_TOKEN, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.videodrome import discovery, plex_account
from custom_components.videodrome.const import DOMAIN
from custom_components.videodrome.discovery import DiscoveredServer, parse_reply
from tests.conftest import PLEX_TOKEN
from tests.emulators.plextv import PlexTvEmulator, server_resource

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from homeassistant.core import HomeAssistant

    from tests.emulators.plex import PlexEmulator

OTHER_MACHINE = "c" * 40


def _reply(machine_identifier: str, name: str, port: int) -> bytes:
    return (
        "HTTP/1.0 200 OK\r\nContent-Type: plex/media-server\r\n"
        f"Resource-Identifier: {machine_identifier}\r\nName: {name}\r\nPort: {port}\r\n"
        "Updated-At: 1700000000\r\nVersion: 1.43.0.10231-a1b2c3d4e\r\n\r\n"
    ).encode()


class _Responder(asyncio.DatagramProtocol):
    """A fake GDM responder: answers M-SEARCH with the configured replies."""

    def __init__(self, replies: list[bytes]) -> None:
        self.replies = replies
        self.searches = 0
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.DatagramTransport)
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if data.startswith(b"M-SEARCH * HTTP/1."):
            self.searches += 1
            assert self.transport is not None
            for reply in self.replies:
                self.transport.sendto(reply, addr)


@pytest.fixture(autouse=True)
def no_setup() -> Iterator[None]:
    """Entries are not set up here: discovery and its flow are what these tests are about."""
    with patch("custom_components.videodrome.async_setup_entry", return_value=True):
        yield


@pytest.fixture
async def responder(
    socket_enabled: None, plex_emulator: PlexEmulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[_Responder]:
    """A GDM responder on 127.0.0.1 announcing the Plex emulator; discovery asks it only."""
    port = int(plex_emulator.url.rsplit(":", 1)[1])
    protocol = _Responder(
        [_reply(plex_emulator.machine_identifier, plex_emulator.friendly_name, port)]
    )
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: protocol, local_addr=("127.0.0.1", 0)
    )
    monkeypatch.setattr(discovery, "GDM_TARGETS", [transport.get_extra_info("sockname")])
    monkeypatch.setattr(discovery, "SCAN_DURATION", 0.2)
    try:
        yield protocol
    finally:
        transport.close()


async def _discovery_flows(hass: HomeAssistant) -> list[Any]:
    await hass.async_block_till_done(wait_background_tasks=True)
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    ]


async def test_a_new_server_is_offered_at_start_and_scans_repeat(
    hass: HomeAssistant, responder: _Responder, plex_emulator: PlexEmulator
) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    (flow,) = await _discovery_flows(hass)
    assert flow["step_id"] == "discovery_confirm"
    assert flow["context"]["unique_id"] == plex_emulator.machine_identifier
    assert flow["context"]["title_placeholders"] == {"name": "Videodrome Demo"}
    assert responder.searches == 1

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=11))
    assert len(await _discovery_flows(hass)) == 1  # the same server: still one flow
    assert responder.searches == 2


async def test_discovery_of_a_configured_server_updates_its_address(
    hass: HomeAssistant, responder: _Responder, plex_emulator: PlexEmulator
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=plex_emulator.machine_identifier,
        data={CONF_URL: "http://192.0.2.1:32400", CONF_TOKEN: PLEX_TOKEN},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={"machine_identifier": plex_emulator.machine_identifier, CONF_URL: plex_emulator.url},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_URL] == plex_emulator.url

    assert await async_setup_component(hass, DOMAIN, {})
    assert await _discovery_flows(hass) == []
    assert responder.searches == 1


async def test_discovery_keeps_an_https_address(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    https = "https://192-0-2-1.abcdef.plex.direct:32400"
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=plex_emulator.machine_identifier,
        data={CONF_URL: https, CONF_TOKEN: PLEX_TOKEN},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={"machine_identifier": plex_emulator.machine_identifier, CONF_URL: plex_emulator.url},
    )
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_URL] == https


async def _discovered(hass: HomeAssistant, plex_emulator: PlexEmulator) -> dict[str, Any]:
    """A discovery flow for the emulator, confirmed: the sign-in menu."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={
            "machine_identifier": plex_emulator.machine_identifier,
            "name": "Videodrome Demo",
            CONF_URL: plex_emulator.url,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {
        "name": "Videodrome Demo",
        "url": plex_emulator.url,
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["plex_sign_in", "discovery_token"]
    return dict(result)


async def test_a_discovered_server_with_a_token(
    hass: HomeAssistant, plex_emulator: PlexEmulator
) -> None:
    result = await _discovered(hass, plex_emulator)
    result = dict(
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "discovery_token"}
        )
    )
    assert result["step_id"] == "discovery_token"
    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TOKEN: "wrong"})
    )
    assert result["errors"] == {CONF_TOKEN: "invalid_auth"}
    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TOKEN: PLEX_TOKEN})
    )
    assert result["step_id"] == "ingest"
    result = dict(await hass.config_entries.flow.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == plex_emulator.url
    assert result["data"][CONF_TOKEN] == PLEX_TOKEN


@pytest.mark.parametrize("listed", [True, False])
async def test_a_discovered_server_with_sign_in(
    hass: HomeAssistant,
    plex_emulator: PlexEmulator,
    monkeypatch: pytest.MonkeyPatch,
    *,
    listed: bool,
) -> None:
    """Only the discovered server is offered, at the address found first."""
    resources = [server_resource(plex_emulator, machine_identifier=OTHER_MACHINE, name="Other")]
    if listed:
        resources.append(
            server_resource(
                plex_emulator, uris=[("https://192-0-2-1.abc.plex.direct:32400", False)]
            )
        )
    async with PlexTvEmulator(resources=resources) as plextv:
        monkeypatch.setattr(plex_account, "PLEX_TV_URL", plextv.url)
        monkeypatch.setattr(plex_account, "PIN_POLL_INTERVAL", 0.01)
        result = await _discovered(hass, plex_emulator)
        result = dict(
            await hass.config_entries.flow.async_configure(
                result["flow_id"], {"next_step_id": "plex_sign_in"}
            )
        )
        assert result["type"] is FlowResultType.EXTERNAL_STEP
        plextv.approve()
        await hass.async_block_till_done(wait_background_tasks=True)
        result = dict(await hass.config_entries.flow.async_configure(result["flow_id"]))
    if not listed:
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "no_servers"
        return
    assert result["step_id"] == "select_server"
    options = result["data_schema"].schema["connection"].config["options"]
    assert [option["label"] for option in options] == [
        f"Videodrome Demo: {plex_emulator.url}",
        "Videodrome Demo: https://192-0-2-1.abc.plex.direct:32400",
    ]
    result = dict(
        await hass.config_entries.flow.async_configure(result["flow_id"], {"connection": "0"})
    )
    assert result["step_id"] == "ingest"


def test_parse_reply() -> None:
    reply = _reply("abc", "Den", 32400)
    assert parse_reply(reply, "192.0.2.5") == DiscoveredServer(
        "abc", "Den", "http://192.0.2.5:32400"
    )
    assert parse_reply(reply, "fe80::1") == DiscoveredServer("abc", "Den", "http://[fe80::1]:32400")
    assert parse_reply(b"", "192.0.2.5") is None
    assert parse_reply(b"HTTP/1.0 404 Not Found\r\n\r\n", "192.0.2.5") is None
    player = reply.replace(b"plex/media-server", b"plex/media-player")
    assert parse_reply(player, "192.0.2.5") is None
    assert parse_reply(reply.replace(b"Port: 32400", b"Port: x"), "192.0.2.5") is None
    unnamed = reply.replace(b"Name: Den\r\n", b"garbage\r\n")
    assert parse_reply(unnamed, "192.0.2.5") == DiscoveredServer(
        "abc", "abc", "http://192.0.2.5:32400"
    )


async def test_a_failed_scan_finds_nothing(hass: HomeAssistant) -> None:
    with patch.object(discovery, "async_scan", side_effect=OSError("no network")):
        await discovery.async_discover(hass)
    assert await _discovery_flows(hass) == []


async def test_scan_ignores_other_answers_and_errors(
    responder: _Responder, plex_emulator: PlexEmulator
) -> None:
    responder.replies.insert(0, b"HTTP/1.0 200 OK\r\nContent-Type: plex/media-player\r\n\r\n")
    responder.replies.append(responder.replies[-1])  # twice: one server
    (server,) = await discovery.async_scan()
    assert server.machine_identifier == plex_emulator.machine_identifier
    assert server.url == plex_emulator.url
    protocol = discovery._GDMProtocol()
    protocol.error_received(ConnectionRefusedError())
    assert protocol.found == {}


async def test_no_targets_no_socket() -> None:
    assert await discovery.async_scan() == []
