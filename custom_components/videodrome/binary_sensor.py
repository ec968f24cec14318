"""Whether a server's Stash answers (a diagnostic).

The folder watcher's binary sensor was folded into the watcher's sensor (sensor.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .entity import VideodromeEntity
from .runtime.stash import signal_stash

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import PlexCoordinator
    from .data import VideodromeConfigEntry
    from .runtime.stash import StashRuntime

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: VideodromeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add Stash's sensor when the options name a Stash."""
    del hass
    if (stash := entry.runtime_data.stash) is not None:
        async_add_entities([StashReachableSensor(entry.runtime_data.coordinator, stash)])


class StashReachableSensor(VideodromeEntity, BinarySensorEntity):
    """On while Stash answers (a refused key is an answer: the repair issue says that one)."""

    _attr_translation_key = "stash_reachable"
    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: PlexCoordinator, runtime: StashRuntime) -> None:
        """Create the sensor of an entry's Stash."""
        super().__init__(coordinator, "stash_reachable")
        self._runtime = runtime

    @property
    def available(self) -> bool:
        """Whatever Plex does: Stash is another server."""
        return True

    @property
    def is_on(self) -> bool | None:
        """Whether Stash answered the last request (None until one ended)."""
        return self._runtime.reachable

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Stash's version (from the last health check) and whether it refuses the key."""
        info = self._runtime.info
        return {
            "version": info.version if info is not None else None,
            "key_refused": self._runtime.key_refused,
        }

    async def async_added_to_hass(self) -> None:
        """Update when the Stash runtime says so."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_stash(self._runtime.entry_id), self.async_write_ha_state
            )
        )
