"""The auto-ingest switch of a server's folder watcher."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .watcher_entities import AutoIngestSwitch

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
    """Add the switch when the watcher runs."""
    del hass
    if (watcher := entry.runtime_data.watcher) is not None:
        async_add_entities([AutoIngestSwitch(entry.runtime_data.coordinator, watcher)])
