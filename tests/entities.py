"""Test helper: let Videodrome's entities catch up with a burst of changes."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.videodrome.ingest_entities import UPDATE_COOLDOWN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


async def settle(hass: HomeAssistant) -> None:
    """Run what the ingest entities deferred during their cooldown (at most one refresh a
    second), frozen clock or not: a change right after another shows a second later."""
    for _ in range(2):  # a refresh that read too early schedules one more
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=UPDATE_COOLDOWN))
        await hass.async_block_till_done()
