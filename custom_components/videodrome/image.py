"""Image entity of the ingest: the poster of the last file filed, when ingest is configured."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from homeassistant.components.image import ImageEntity
from homeassistant.core import callback

from .engine.tmdb.posters import item_poster_url
from .entity import IngestEntity, changes_last_ingest

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import PlexCoordinator
    from .data import VideodromeConfigEntry
    from .engine.store.items import Item
    from .runtime.ingest import IngestRuntime

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


class LastIngestPoster(IngestEntity, ImageEntity):
    """The TMDb poster of the last file filed (fetched through Home Assistant's image proxy)."""

    _attr_translation_key = "last_ingest_poster"

    def __init__(
        self, hass: HomeAssistant, coordinator: PlexCoordinator, runtime: IngestRuntime
    ) -> None:
        """Create the poster entity."""
        super().__init__(coordinator, runtime, "last_ingest_poster")
        ImageEntity.__init__(self, hass, verify_ssl=True)  # TMDb's image server is https
        self._attr_image_url = None
        self._shown: tuple[int, float] | None = None  # the item shown, and its version

    @callback
    def _changed(self, kind: str, item: Item) -> None:
        if changes_last_ingest(item, self._shown[0] if self._shown is not None else None):
            super()._changed(kind, item)

    async def _async_read(self) -> None:
        item = await self.hass.async_add_executor_job(self._runtime.store.last_ingested)
        shown = (item.id, item.updated_at) if item is not None else None
        if shown == self._shown:
            return
        self._shown = shown
        # A new item (or a change to it, such as a corrected match): fetch the image again.
        self._cached_image = None
        if item is None:
            self._attr_image_url = None
            self._attr_image_last_updated = None
            return
        self._attr_image_url = item_poster_url(item.tmdb_id, item.candidates)
        self._attr_image_last_updated = datetime.fromtimestamp(item.updated_at, UTC)
