"""Image entity of the ingest: the poster of the last file filed, when ingest is configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ingest_entities import LastIngestPoster

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import VideodromeConfigEntry

# The poster is read from the local store; fetching it is Home Assistant's image proxy's job.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: VideodromeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the poster entity when ingest is configured."""
    data = entry.runtime_data
    if data.ingest is not None:
        async_add_entities([LastIngestPoster(hass, data.coordinator, data.ingest)])
