"""Whether a server's folder watcher is running, and whether its Stash answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .stash_entities import StashReachableSensor
from .watcher_entities import WatcherRunningSensor

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import VideodromeConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: VideodromeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensor when the watcher runs; Stash's when the options name one."""
    del hass
    if (watcher := entry.runtime_data.watcher) is not None:
        async_add_entities([WatcherRunningSensor(entry.runtime_data.coordinator, watcher)])
    if (stash := entry.runtime_data.stash) is not None:
        async_add_entities([StashReachableSensor(entry.runtime_data.coordinator, stash)])
