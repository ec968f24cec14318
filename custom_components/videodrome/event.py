"""Event entity of the ingest: one per server, when ingest is configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ingest_entities import IngestEventEntity

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
    """Add the ingest event entity when ingest is configured."""
    del hass
    if entry.runtime_data.ingest is not None:
        async_add_entities([IngestEventEntity(entry.runtime_data.coordinator)])
