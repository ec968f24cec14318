"""Test helpers for Videodrome's entities: catch up with a burst of changes, snapshot them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import RELOAD_AFTER_UPDATE_DELAY
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.videodrome.entity import UPDATE_COOLDOWN

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion


async def settle(hass: HomeAssistant) -> None:
    """Run what the ingest entities deferred during their cooldown (at most one refresh a
    second), frozen clock or not: a change right after another shows a second later."""
    for _ in range(2):  # a refresh that read too early schedules one more
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=UPDATE_COOLDOWN))
        await hass.async_block_till_done()


async def snapshot_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    entry: ConfigEntry[Any],
) -> None:
    """Snapshot every entity of `entry` (set up with one platform): its registry entry as the
    integration made it, then its state.

    An entity disabled by default says so in its registry entry, then is enabled (Home
    Assistant reloads the entry 30 seconds later) for its state to be snapshotted.
    """
    entities = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert entities
    assert len({entity.domain for entity in entities}) == 1, "set up one platform (`platforms`)"
    for entity in entities:
        assert entity == snapshot(name=f"{entity.entity_id}-entry")
    if disabled := [entity for entity in entities if entity.disabled_by is not None]:
        for entity in disabled:
            entity_registry.async_update_entity(entity.entity_id, disabled_by=None)
        async_fire_time_changed(
            hass, dt_util.utcnow() + timedelta(seconds=RELOAD_AFTER_UPDATE_DELAY + 1)
        )
        await hass.async_block_till_done()
    for entity in entities:
        state = hass.states.get(entity.entity_id)
        assert state is not None, f"{entity.entity_id} has no state"
        assert state == snapshot(name=f"{entity.entity_id}-state")
