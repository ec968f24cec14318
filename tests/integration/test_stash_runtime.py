"""An entry's Stash in Home Assistant: the reachability sensor, the refused-key repair, diagnostics.

Against the Stash emulator: health checks at setup and every five minutes (Home Assistant's
clock moved forward), requests of the provider between them; Stash stopped, started again,
and its key rotated.
"""

from __future__ import annotations

from datetime import timedelta
import json
from typing import TYPE_CHECKING, Any

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.videodrome import issues
from custom_components.videodrome.const import (
    CONF_PROVIDER_ID,
    CONF_STASH_API_KEY,
    CONF_STASH_UPLOAD_POSTERS,
    CONF_STASH_URL,
    DOMAIN,
)
from custom_components.videodrome.runtime.stash import CHECK_INTERVAL
from tests.emulators.stash import VERSION, StashEmulator
from tests.integration.stash_helpers import STASH_KEY
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator


@pytest.fixture
async def stash(socket_enabled: None) -> AsyncIterator[StashEmulator]:
    """The Stash emulator with its demo scenes, requiring STASH_KEY."""
    async with StashEmulator(api_key=STASH_KEY) as emulator:
        yield emulator


async def _load(hass: HomeAssistant, entry: MockConfigEntry, **options: Any) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=options)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _sensor(hass: HomeAssistant, entry: MockConfigEntry) -> str | None:
    registry = er.async_get(hass)
    return registry.async_get_entity_id(
        "binary_sensor", DOMAIN, f"{entry.unique_id}_stash_reachable"
    )


def _state(hass: HomeAssistant, entity_id: str) -> tuple[str, dict[str, Any]]:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state, dict(state.attributes)


async def _next_check(hass: HomeAssistant, outcome: Callable[[], bool]) -> None:
    """Move Home Assistant's clock to the next health check and wait for its `outcome`."""
    async_fire_time_changed(hass, dt_util.utcnow() + CHECK_INTERVAL + timedelta(seconds=1))
    await until(outcome)
    await hass.async_block_till_done()


def _key_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    issue_id = f"{issues.ISSUE_STASH_KEY}_{entry.entry_id}"
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


async def test_without_a_stash_there_is_no_sensor(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    await _load(hass, config_entry)
    assert _sensor(hass, config_entry) is None
    assert config_entry.runtime_data.stash is None


async def test_the_sensor_follows_stash(
    hass: HomeAssistant, config_entry: MockConfigEntry, stash: StashEmulator
) -> None:
    """On after the first check, off while Stash is away, on again when it is back."""
    await _load(hass, config_entry, **{CONF_STASH_URL: stash.url, CONF_STASH_API_KEY: STASH_KEY})
    entity_id = _sensor(hass, config_entry)
    assert entity_id is not None
    await until(lambda: _state(hass, entity_id)[1]["version"] is not None)
    assert _state(hass, entity_id) == (
        STATE_ON,
        {
            "device_class": "connectivity",
            "friendly_name": "Videodrome Demo Stash",
            "version": VERSION,
            "key_refused": False,
        },
    )
    stash.faults.fail_next = 1
    await _next_check(hass, lambda: _state(hass, entity_id)[0] == STATE_OFF)
    await _next_check(hass, lambda: _state(hass, entity_id)[0] == STATE_ON)


async def test_a_refused_key_raises_the_repair_and_a_taken_one_clears_it(
    hass: HomeAssistant, config_entry: MockConfigEntry, stash: StashEmulator
) -> None:
    await _load(hass, config_entry, **{CONF_STASH_URL: stash.url, CONF_STASH_API_KEY: STASH_KEY})
    entity_id = _sensor(hass, config_entry)
    assert entity_id is not None
    stash.api_key = "rotated-in-stash"
    await _next_check(hass, lambda: _key_issue(hass, config_entry) is not None)
    issue = _key_issue(hass, config_entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert STASH_KEY not in json.dumps(issue.translation_placeholders)
    # Stash answers (it refuses): reachable, with the refusal said.
    assert _state(hass, entity_id)[0] == STATE_ON
    assert _state(hass, entity_id)[1]["key_refused"] is True
    stash.api_key = STASH_KEY  # the key is valid again (in practice: a new key in the options)
    await _next_check(hass, lambda: _key_issue(hass, config_entry) is None)
    assert _state(hass, entity_id)[1]["key_refused"] is False


async def test_diagnostics_say_how_stash_is_without_its_address_or_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    config_entry: MockConfigEntry,
    stash: StashEmulator,
) -> None:
    await _load(
        hass,
        config_entry,
        **{
            CONF_STASH_URL: stash.url,
            CONF_STASH_API_KEY: STASH_KEY,
            CONF_STASH_UPLOAD_POSTERS: True,
        },
    )
    runtime = config_entry.runtime_data.stash
    assert runtime is not None
    await until(lambda: runtime.info is not None)
    stash.faults.fail_next = 1
    await _next_check(hass, lambda: runtime.reachable is False)  # its reason names the host
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    assert diagnostics["entry"]["options"] == {
        CONF_STASH_URL: "**REDACTED**",
        CONF_STASH_API_KEY: "**REDACTED**",
        CONF_STASH_UPLOAD_POSTERS: True,
    }
    assert diagnostics["stash"] == {
        "reachable": False,
        "key_refused": False,
        "version": VERSION,
        "cache": {"ttl": 300.0, "entries": 0},
        "posters_cached": 0,
        "letterbox": True,
        "uploads": {"pending": 0, "uploaded": 0, "never_found": 0, "failed": 0, "dropped": 0},
    }
    text = json.dumps(diagnostics)
    port = stash.url.rsplit(":", 1)[1]
    for secret in (STASH_KEY, stash.url, port, config_entry.data[CONF_PROVIDER_ID]):
        assert secret not in text
