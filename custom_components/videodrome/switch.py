"""The auto-ingest switch of a server's folder watcher."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import STATE_OFF, EntityCategory
from homeassistant.helpers.restore_state import RestoreEntity

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
    """Add the switch when the watcher runs."""
    del hass
    if (watcher := entry.runtime_data.watcher) is not None:
        async_add_entities([AutoIngestSwitch(entry.runtime_data.coordinator, watcher)])


class AutoIngestSwitch(WatcherEntity, SwitchEntity, RestoreEntity):
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
