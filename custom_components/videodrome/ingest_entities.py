"""Entities of the ingest side: the review queue, the last ingest, its poster, an event entity.

They follow the ingest service through a dispatcher signal (sent with each item change) and
read the store in executor jobs; a new item refreshes them at once, without polling.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity
from homeassistant.components.image import ImageEntity
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_call_later

from .engine.ingest.service import Event
from .engine.store.items import ItemStatus
from .engine.tmdb.posters import item_poster_url, poster_url
from .entity import VideodromeEntity
from .runtime.ingest import signal_item

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import PlexCoordinator
    from .engine.store.items import Item
    from .runtime.ingest import IngestRuntime

QUEUE_ITEMS_SHOWN = 10
# Seconds between two refreshes of an entity: a burst of item changes writes its state (and a
# recorder row) at once, then at most once a second, and always once after the last change.
UPDATE_COOLDOWN = 1.0
# "source" tells Videodrome's title from Plex's when Plex matched a filed file to another.
CANDIDATE_KEYS = ("tmdb_id", "media_type", "title", "year", "score", "poster_path", "source")


def item_summary(item: Item) -> dict[str, Any]:
    """What a dashboard or a notification needs to know about an item."""
    return {
        "item_id": item.id,
        "file": item.source.rsplit("/", 1)[-1],
        "title": item.title,
        "year": item.year,
        "season": item.season,
        "episodes": list(item.episodes),
        "confidence": item.confidence,
        "reasons": list(item.reasons),
        "poster_url": item_poster_url(item.tmdb_id, item.candidates),
        "candidates": [
            {
                **{k: c.get(k) for k in CANDIDATE_KEYS},
                "poster_url": poster_url(c.get("poster_path")),
            }
            for c in item.candidates
        ],
    }


def filed_summary(item: Item) -> dict[str, Any]:
    """An item's summary with where it was filed and what Plex made of it."""
    return {
        **item_summary(item),
        "library": item.library,
        "target": item.target,
        "plex_status": item.plex_status,
        "plex_previous_guid": item.plex_previous_guid,
    }


class _IngestEntity(VideodromeEntity):
    """Refreshes from the store whenever the ingest service reports a change."""

    def __init__(self, coordinator: PlexCoordinator, runtime: IngestRuntime, key: str) -> None:
        super().__init__(coordinator, key)
        self._runtime = runtime

    @property
    def available(self) -> bool:
        """The store is local: available whatever Plex does."""
        return True

    async def async_added_to_hass(self) -> None:
        """Read the store once, then on every change."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_item(self.coordinator.config_entry.entry_id), self._changed
            )
        )
        await self._async_read()

    _refreshing = False
    _again = False
    _task: asyncio.Task[None] | None = None
    _written_at: float | None = None  # the event loop's time of the last refresh
    _scheduled: CALLBACK_TYPE | None = None  # a refresh waiting for the cooldown to pass

    @callback
    def _changed(self, kind: str, item: Item) -> None:
        del kind, item
        self._schedule_refresh()

    @callback
    def _schedule_refresh(self) -> None:
        if self._refreshing:
            # One refresh at a time, and one more after it: an older read finishing last
            # would otherwise show a stale count.
            self._again = True
            return
        if self._scheduled is not None:
            return  # the refresh already waiting reads this change too
        now = self.hass.loop.time()
        if self._written_at is not None and now < self._written_at + UPDATE_COOLDOWN:
            # A timer, not a sleeping task: nothing waits on it (block_till_done neither).
            self._scheduled = async_call_later(
                self.hass, self._written_at + UPDATE_COOLDOWN - now, self._start_refresh
            )
            return
        self._start_refresh()

    @callback
    def _start_refresh(self, _now: Any = None) -> None:
        self._scheduled = None
        self._refreshing = True
        self._task = self.hass.async_create_task(self._async_refresh(), eager_start=True)

    async def async_will_remove_from_hass(self) -> None:
        """Let no refresh outlive the entity (the store closes right after on unload)."""
        if self._scheduled is not None:
            self._scheduled()
            self._scheduled = None
        if (task := self._task) is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await super().async_will_remove_from_hass()

    async def _async_refresh(self) -> None:
        try:
            self._again = False
            await self._async_read()
            self.async_write_ha_state()
            self._written_at = self.hass.loop.time()
        finally:
            self._refreshing = False
        if self._again:
            self._again = False
            self._schedule_refresh()  # after the cooldown, for the changes read too early

    async def _async_read(self) -> None:
        raise NotImplementedError


class ReviewQueueSensor(_IngestEntity, SensorEntity):
    """How many files wait for a person's decision; the first ones as attributes."""

    _attr_translation_key = "review_queue"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: PlexCoordinator, runtime: IngestRuntime) -> None:
        """Create the review queue sensor."""
        super().__init__(coordinator, runtime, "review_queue")
        self._count = 0
        self._items: list[dict[str, Any]] = []

    async def _async_read(self) -> None:
        store = self._runtime.store
        self._count = await self.hass.async_add_executor_job(store.review_count)
        items = await self.hass.async_add_executor_job(store.review_queue, QUEUE_ITEMS_SHOWN)
        self._items = [item_summary(item) for item in items]

    @property
    def native_value(self) -> int:
        """Files waiting for review."""
        return self._count

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The oldest waiting files, with their candidates and reasons."""
        return {"items": self._items}


def _changes_last_ingest(item: Item, shown: int | None) -> bool:
    """Whether an item change can change "the last ingest".

    Only an ingested item can, or the one shown (leaving the ingested state): a burst of
    files waiting for review reads nothing.
    """
    return item.status == ItemStatus.INGESTED or item.id == shown


class LastIngestSensor(_IngestEntity, SensorEntity):
    """When the last file was filed, and what it was."""

    _attr_translation_key = "last_ingest"
    _attr_device_class = SensorDeviceClass.TIMESTAMP

    def __init__(self, coordinator: PlexCoordinator, runtime: IngestRuntime) -> None:
        """Create the last ingest sensor."""
        super().__init__(coordinator, runtime, "last_ingest")
        self._item: Item | None = None

    @callback
    def _changed(self, kind: str, item: Item) -> None:
        if _changes_last_ingest(item, self._item.id if self._item is not None else None):
            super()._changed(kind, item)

    async def _async_read(self) -> None:
        self._item = await self.hass.async_add_executor_job(self._runtime.store.last_ingested)

    @property
    def native_value(self) -> datetime | None:
        """When the last ingest finished."""
        return datetime.fromtimestamp(self._item.updated_at, UTC) if self._item else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Title, where it went, and whether Plex matched it."""
        return filed_summary(self._item) if self._item is not None else {}


class LastIngestPoster(_IngestEntity, ImageEntity):
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
        if _changes_last_ingest(item, self._shown[0] if self._shown is not None else None):
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
