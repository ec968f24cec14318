"""Whether a server's folder watcher is running (a diagnostic, disabled by default)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory

from .entity import WatcherEntity

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import PlexCoordinator
    from .data import VideodromeConfigEntry
    from .runtime.watcher import WatcherRuntime

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: VideodromeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensor when the watcher runs."""
    del hass
    if (watcher := entry.runtime_data.watcher) is not None:
        async_add_entities([WatcherRunningSensor(entry.runtime_data.coordinator, watcher)])


class WatcherRunningSensor(WatcherEntity, BinarySensorEntity):
    """Whether the ingest folders are being watched; how, as attributes."""

    _attr_translation_key = "watcher_running"
    _attr_device_class = BinarySensorDeviceClass.RUNNING
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    # Diagnostic detail most people never look at: enabled in the entity settings if wanted.
    _attr_entity_registry_enabled_default = False

    def __init__(self, coordinator: PlexCoordinator, runtime: WatcherRuntime) -> None:
        """Create the sensor of a watcher."""
        super().__init__(coordinator, runtime, "watcher_running")

    @property
    def is_on(self) -> bool:
        """Running."""
        return self._runtime.running

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Folders, whether inotify is used, and the rescan interval."""
        watcher = self._runtime.watcher
        return {
            "folders": [str(root) for root in watcher.roots],
            "inotify": watcher.inotify_active,
            "rescan_interval": int(self._runtime.rescan_interval.total_seconds()),
        }
