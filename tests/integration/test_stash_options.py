"""The options flow's Stash page, against the Plex and Stash emulators.

Reached from the first page (`stash_settings`), with or without ingest settings; Stash is
checked by connecting before anything is saved; the first page saved alone keeps Stash's.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.videodrome import issues
from custom_components.videodrome.const import (
    CONF_METADATA_PROVIDER,
    CONF_PROVIDER_ID,
    CONF_STASH_API_KEY,
    CONF_STASH_CACHE_SECONDS,
    CONF_STASH_POSTER_MODE,
    CONF_STASH_UPLOAD_POSTERS,
    CONF_STASH_URL,
    CONF_TMDB_API_KEY,
    DOMAIN,
)
from custom_components.videodrome.options_flow import CONF_STASH_SETTINGS
from custom_components.videodrome.provider_http import PROVIDER_URL
from tests.emulators.stash import StashEmulator
from tests.integration.stash_helpers import STASH_KEY
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry


@pytest.fixture
async def stash(socket_enabled: None) -> AsyncIterator[StashEmulator]:
    """The Stash emulator with its demo library, requiring STASH_KEY."""
    async with StashEmulator(api_key=STASH_KEY) as emulator:
        yield emulator


def _page(stash: StashEmulator, **changes: Any) -> dict[str, Any]:
    """The Stash page as a person fills it in."""
    return {
        CONF_STASH_URL: stash.url,
        CONF_STASH_API_KEY: STASH_KEY,
        CONF_STASH_POSTER_MODE: "letterbox",
        CONF_STASH_UPLOAD_POSTERS: True,
        CONF_STASH_CACHE_SECONDS: 120,
        **changes,
    }


def _suggested(result: Any) -> dict[str, Any]:
    return {
        key.schema: key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }


async def _to_stash_page(
    hass: HomeAssistant, entry: MockConfigEntry, first: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Open the options and go on from the first page (its values unchanged, or `first`)."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    values = _suggested(result) if first is None else first
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**values, CONF_STASH_SETTINGS: True}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "stash"
    return dict(result)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_stash_alone_without_any_ingest_settings(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, stash: StashEmulator
) -> None:
    """The first page left empty (ingest off), the Stash page filled in: saved, reloaded."""
    await hass.config.async_update(internal_url="http://192.168.1.5:8123")
    result = await _to_stash_page(hass, loaded_entry, first={})
    provider_id = loaded_entry.data[CONF_PROVIDER_ID]
    assert result["description_placeholders"] == {
        "stash_url": f"http://192.168.1.5:8123{PROVIDER_URL}/{provider_id}/stash"
    }
    assert _suggested(result) == {}
    result = dict(
        await hass.config_entries.options.async_configure(result["flow_id"], _page(stash))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await until(lambda: len(stash.queries) == 2)  # the form's check, then the setup's
    options = loaded_entry.options
    assert options[CONF_TMDB_API_KEY] == ""  # ingest stays off
    assert {k: v for k, v in options.items() if k.startswith("stash_")} == _page(stash)
    assert loaded_entry.runtime_data.stash is not None
    assert loaded_entry.runtime_data.ingest is None
    assert stash.operations() == ["VideodromeVersion", "VideodromeVersion"]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_STASH_URL: "stash.lan:9999"}, {CONF_STASH_URL: "stash_invalid_url"}),
        ({CONF_STASH_API_KEY: "wrong"}, {CONF_STASH_API_KEY: "stash_invalid_auth"}),
        ({CONF_STASH_API_KEY: ""}, {CONF_STASH_API_KEY: "stash_invalid_auth"}),
        ({CONF_STASH_URL: "closed"}, {"base": "stash_cannot_connect"}),
        ({CONF_STASH_URL: "web page"}, {"base": "not_stash"}),
        ({CONF_STASH_URL: "stash/not set up"}, {"base": "stash_not_ready"}),
    ],
    ids=["url", "wrong key", "no key", "closed port", "not stash", "not set up"],
)
async def test_stash_is_checked_before_anything_is_saved(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    stash: StashEmulator,
    router_page: str,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    places = {
        "closed": f"http://127.0.0.1:{_closed_port()}",
        "web page": router_page,
        "stash/not set up": stash.url,
    }
    if changes.get(CONF_STASH_URL) == "stash/not set up":
        stash.status = "SETUP"
    url = changes.get(CONF_STASH_URL)
    filled = _page(stash, **changes) | ({CONF_STASH_URL: places.get(url, url)} if url else {})
    result = await _to_stash_page(hass, loaded_entry)
    result = dict(await hass.config_entries.options.async_configure(result["flow_id"], filled))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert _suggested(result) == filled
    assert loaded_entry.options == {}
    stash.status = "OK"
    result = dict(
        await hass.config_entries.options.async_configure(result["flow_id"], _page(stash))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert loaded_entry.options[CONF_STASH_URL] == stash.url


async def test_the_first_page_alone_keeps_the_stash_settings(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, stash: StashEmulator
) -> None:
    hass.config_entries.async_update_entry(loaded_entry, options=_page(stash))
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert CONF_STASH_SETTINGS not in _suggested(result)
    changed = {**_suggested(result), CONF_METADATA_PROVIDER: True}
    result = await hass.config_entries.options.async_configure(result["flow_id"], changed)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert loaded_entry.options[CONF_METADATA_PROVIDER] is True
    assert {k: v for k, v in loaded_entry.options.items() if k.startswith("stash_")} == _page(stash)
    # The Stash page shows them as they are.
    page = await _to_stash_page(hass, loaded_entry)
    assert _suggested(page) == _page(stash)
    hass.config_entries.options.async_abort(page["flow_id"])


async def test_an_empty_address_turns_stash_off(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, stash: StashEmulator
) -> None:
    hass.config_entries.async_update_entry(loaded_entry, options=_page(stash))
    await hass.async_block_till_done()
    result = await _to_stash_page(hass, loaded_entry)
    off = _page(stash, **{CONF_STASH_URL: "  "})
    result = dict(await hass.config_entries.options.async_configure(result["flow_id"], off))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert (loaded_entry.options[CONF_STASH_URL], loaded_entry.options[CONF_STASH_API_KEY]) == (
        "",
        "",
    )
    assert loaded_entry.runtime_data.stash is None


async def test_a_key_stash_takes_clears_the_repair(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, stash: StashEmulator
) -> None:
    issues.report(hass, issues.ISSUE_STASH_KEY, loaded_entry.entry_id)
    issue_id = f"{issues.ISSUE_STASH_KEY}_{loaded_entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    result = await _to_stash_page(hass, loaded_entry)
    result = dict(
        await hass.config_entries.options.async_configure(result["flow_id"], _page(stash))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
