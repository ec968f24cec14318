"""Sensors of a Plex server: its status, who is watching, one per library section.

With ingest, also the review queue, the last ingest, the files waiting in the ingest folders,
and the folder watcher's state (a diagnostic: how it watches, what it found, its last error).
The watcher's former binary sensor (`…_watcher_running`) is folded into that one: its registry
entry is removed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN
from .engine.library.parsing import SECTION_KINDS
from .entity import IngestEntity, VideodromeEntity, WatcherEntity, changes_last_ingest
from .runtime.watcher import MODE_INOTIFY, MODE_RESCAN, MODE_STOPPED
from .summaries import filed_summary, item_summary

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import PlexCoordinator, SectionStatus
    from .data import VideodromeConfigEntry
    from .engine.plex.models import LibrarySection
    from .engine.store.items import Item
    from .runtime.ingest import IngestRuntime
    from .runtime.watcher import WatcherRuntime

# Read-only entities fed by the coordinator: no limit needed.
PARALLEL_UPDATES = 0

STATUS_IDLE = "idle"
STATUS_SCANNING = "scanning"
# Items of the review queue shown as attributes (the review card asks for more).
QUEUE_ITEMS_SHOWN = 10


async def async_setup_entry(
    hass: HomeAssistant,
    entry: VideodromeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the server sensors, and a sensor per library section as sections come and go."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities([ServerStatusSensor(coordinator), ActiveSessionsSensor(coordinator)])
    if (ingest := entry.runtime_data.ingest) is not None:
        async_add_entities(
            [ReviewQueueSensor(coordinator, ingest), LastIngestSensor(coordinator, ingest)]
        )
    if (watcher := entry.runtime_data.watcher) is not None:
        async_add_entities(
            [FilesWaitingSensor(coordinator, watcher), WatcherSensor(coordinator, watcher)]
        )
    registry = er.async_get(hass)
    folded = f"{entry.unique_id}_watcher_running"
    if old := registry.async_get_entity_id("binary_sensor", DOMAIN, folded):
        registry.async_remove(old)
    known: set[str] = set()  # uuids of the sections that have a sensor
    library_prefix = f"{entry.unique_id}_library_"

    @callback
    def sync_sections() -> None:
        if not coordinator.data.known:
            return  # Plex has not answered since the setup: its sections are not known yet
        sections = coordinator.data.sections
        current = {status.section.uuid for status in sections.values()}
        # A section deleted in Plex (also while Home Assistant was stopped) would leave a
        # sensor that stays unavailable forever: remove it, before adding new ones so a
        # recreated library can take its entity id back.
        registry = er.async_get(hass)
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            uid = entity.unique_id
            if uid.startswith(library_prefix) and uid.removeprefix(library_prefix) not in current:
                registry.async_remove(entity.entity_id)
        known.intersection_update(current)
        if added := [s.section for s in sections.values() if s.section.uuid not in known]:
            known.update(section.uuid for section in added)
            async_add_entities(LibrarySectionSensor(coordinator, section) for section in added)

    sync_sections()
    entry.async_on_unload(coordinator.async_add_listener(sync_sections))


class ServerStatusSensor(VideodromeEntity, SensorEntity):
    """Whether the server is idle or scanning; version and platform as attributes."""

    _attr_translation_key = "server_status"
    _attr_device_class = SensorDeviceClass.ENUM

    def __init__(self, coordinator: PlexCoordinator) -> None:
        """Create the status sensor of a server."""
        super().__init__(coordinator, "server_status")
        self._attr_options = [STATUS_IDLE, STATUS_SCANNING]

    @property
    def native_value(self) -> str:
        """Scanning while any library section is being scanned."""
        return STATUS_SCANNING if self.coordinator.data.scanning else STATUS_IDLE

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Version and platform of the server."""
        identity = self.coordinator.data.identity
        return {
            "version": identity.version,
            "platform": identity.platform,
            "platform_version": identity.platform_version,
        }


class ActiveSessionsSensor(VideodromeEntity, SensorEntity):
    """How many people are watching; who and what as attributes."""

    _attr_translation_key = "active_sessions"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: PlexCoordinator) -> None:
        """Create the sessions sensor of a server."""
        super().__init__(coordinator, "active_sessions")

    @property
    def native_value(self) -> int:
        """Number of playback sessions."""
        return len(self.coordinator.data.sessions)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Each session: user, title, player and state."""
        return {
            "sessions": [
                {"user": s.user, "title": s.title, "player": s.player, "state": s.state}
                for s in self.coordinator.data.sessions
            ]
        }


class LibrarySectionSensor(VideodromeEntity, SensorEntity):
    """Item count of a library section; type, scan state and last scan as attributes."""

    _attr_translation_key = "library_section"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: PlexCoordinator, section: LibrarySection) -> None:
        """Create the sensor of one section (named after it)."""
        super().__init__(coordinator, f"library_{section.uuid}")
        self.section_key = section.key
        self.section_uuid = section.uuid
        self._attr_translation_placeholders = {"library": section.title}

    @property
    def _status(self) -> SectionStatus | None:
        status = self.coordinator.data.sections.get(self.section_key)
        # Plex may reuse a deleted section's key for a new section; that is another sensor.
        return status if status and status.section.uuid == self.section_uuid else None

    @property
    def available(self) -> bool:
        """Unavailable while Plex is down or once the section is gone."""
        return super().available and self._status is not None

    @property
    def native_value(self) -> int | None:
        """Number of items (movies, shows, …) in the section (unknown: Plex could not count)."""
        return status.item_count if (status := self._status) else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Section id and type, scan state, last scan, and episodes for TV sections."""
        if (status := self._status) is None:
            return {}
        section = status.section
        attributes: dict[str, Any] = {
            "library_id": section.key,
            "type": section.type,
            "scanning": status.scanning,
            "last_scan": section.scanned_at.isoformat() if section.scanned_at else None,
        }
        if status.episode_count is not None:
            attributes["episodes"] = status.episode_count
        if section.type in SECTION_KINDS:  # what the library index holds
            attributes.update(self._index_attributes())
        return attributes

    def _index_attributes(self) -> dict[str, Any]:
        """How Videodrome's library index holds this section (`loading` until it is read)."""
        index = self.coordinator.config_entry.runtime_data.library.index
        load = next((s for s in index.sections if s.key == self.section_key), None)
        if load is None:
            return {"index": "loading", "index_error": index.failure}
        return {"index": load.state.value, "index_error": load.error}


class ReviewQueueSensor(IngestEntity, SensorEntity):
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


class LastIngestSensor(IngestEntity, SensorEntity):
    """When the last file was filed, and what it was."""

    _attr_translation_key = "last_ingest"
    _attr_device_class = SensorDeviceClass.TIMESTAMP

    def __init__(self, coordinator: PlexCoordinator, runtime: IngestRuntime) -> None:
        """Create the last ingest sensor."""
        super().__init__(coordinator, runtime, "last_ingest")
        self._item: Item | None = None

    @callback
    def _changed(self, kind: str, item: Item) -> None:
        if changes_last_ingest(item, self._item.id if self._item is not None else None):
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


class FilesWaitingSensor(WatcherEntity, SensorEntity):
    """Files settling (still being written) or queued for identification."""

    _attr_translation_key = "files_waiting"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: PlexCoordinator, runtime: WatcherRuntime) -> None:
        """Create the sensor of a watcher."""
        super().__init__(coordinator, runtime, "files_waiting")

    @property
    def native_value(self) -> int:
        """How many."""
        return self._runtime.waiting


class WatcherSensor(WatcherEntity, SensorEntity):
    """How the ingest folders are watched: `inotify`, `rescan` (rescans only) or `stopped`.

    What the watcher has found, and its last error, as attributes.
    """

    _attr_translation_key = "watcher"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: PlexCoordinator, runtime: WatcherRuntime) -> None:
        """Create the sensor of a watcher."""
        super().__init__(coordinator, runtime, "watcher")
        self._attr_options = [MODE_INOTIFY, MODE_RESCAN, MODE_STOPPED]

    @property
    def native_value(self) -> str:
        """The mode."""
        return self._runtime.mode

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Folders watched, files settling and queued, the last rescan, the last error."""
        runtime = self._runtime
        watcher = runtime.watcher
        rescanned = watcher.last_rescan
        return {
            "folders": [str(root) for root in watcher.roots],
            "files_settling": watcher.pending,
            "files_queued": runtime.queue.qsize(),
            "last_rescan": (
                datetime.fromtimestamp(rescanned, UTC).isoformat() if rescanned else None
            ),
            "last_error": runtime.last_error,
            "rescan_interval": int(runtime.rescan_interval.total_seconds()),
            "stability": int(watcher.stability),
        }
