"""Event entity of the ingest: one per server, when ingest is configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.event import EventEntity
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .engine.ingest.service import Event
from .entity import VideodromeEntity
from .runtime.ingest import signal_item
from .summaries import item_summary

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import PlexCoordinator
    from .data import VideodromeConfigEntry
    from .engine.store.items import Item

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


class IngestEventEntity(VideodromeEntity, EventEntity):
    """Fires ingested / review_required / approved / rejected / failed, with the item."""

    _attr_translation_key = "ingest"

    def __init__(self, coordinator: PlexCoordinator) -> None:
        """Create the event entity."""
        super().__init__(coordinator, "ingest_event")
        self._attr_event_types = [str(kind) for kind in Event]

    @property
    def available(self) -> bool:
        """Events come from Videodrome itself: always available."""
        return True

    async def async_added_to_hass(self) -> None:
        """Listen for item changes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_item(self.coordinator.config_entry.entry_id), self._changed
            )
        )

    @callback
    def _changed(self, kind: str, item: Item) -> None:
        self._trigger_event(kind, {**item_summary(item), "status": str(item.status)})
        self.async_write_ha_state()
