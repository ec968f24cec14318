"""Entities of the folder watcher: the auto-ingest switch, running, and files waiting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import SensorEntity, SensorStateClass
from homeassistant.components.switch import SwitchEntity
from homeassistant.const import STATE_OFF, EntityCategory
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.restore_state import RestoreEntity

from .entity import VideodromeEntity
from .runtime.watcher import signal_watcher

if TYPE_CHECKING:
    from .coordinator import PlexCoordinator
    from .runtime.watcher import WatcherRuntime


class _WatcherEntity(VideodromeEntity):
    """Follows the watcher's dispatcher signal; available whatever Plex does."""

    def __init__(self, coordinator: PlexCoordinator, runtime: WatcherRuntime, key: str) -> None:
        super().__init__(coordinator, key)
        self._runtime = runtime

    @property
    def available(self) -> bool:
        """The watcher is local."""
        return True

    async def async_added_to_hass(self) -> None:
        """Update when the watcher says so."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_watcher(self._runtime.entry_id), self.async_write_ha_state
            )
        )


class AutoIngestSwitch(_WatcherEntity, SwitchEntity, RestoreEntity):
    """On: files decided automatically are filed. Off: every new file waits for review."""

    _attr_translation_key = "auto_ingest"
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, coordinator: PlexCoordinator, runtime: WatcherRuntime) -> None:
        """Create the switch of a watcher."""
        super().__init__(coordinator, runtime, "auto_ingest")

    async def async_added_to_hass(self) -> None:
        """Take back the state it had before a restart (the option's default otherwise)."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None:
            self._runtime.auto_ingest = last.state != STATE_OFF

    @property
    def is_on(self) -> bool:
        """Whether auto-ingest is on."""
        return self._runtime.auto_ingest

    async def async_turn_on(self, **kwargs: Any) -> None:
        """File automatic decisions."""
        del kwargs
        self._runtime.auto_ingest = True
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Send every new file to review."""
        del kwargs
        self._runtime.auto_ingest = False
        self.async_write_ha_state()


class WatcherRunningSensor(_WatcherEntity, BinarySensorEntity):
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


class FilesWaitingSensor(_WatcherEntity, SensorEntity):
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
