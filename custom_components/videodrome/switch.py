"""The switches of a server's folder watcher: whether it watches, and whether it files by itself.

- "Watch ingest folders": on, new files are noticed; off, the watcher stops (nothing is
  noticed) until it is turned on again. Its state is kept in the entry's options, so the
  watcher starts (or not) at setup as it was left. Administrators only, like the actions that
  change files.
- "Auto-ingest": on, files decided automatically are filed; off, every new file waits for
  review. Restored after a restart (RestoreEntity).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import STATE_OFF, EntityCategory
from homeassistant.helpers.restore_state import RestoreEntity

from .entity import WatcherEntity
from .permissions import async_require_admin
from .services.errors import service_failure

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
        coordinator = entry.runtime_data.coordinator
        async_add_entities(
            [WatchingSwitch(coordinator, watcher), AutoIngestSwitch(coordinator, watcher)]
        )


class WatchingSwitch(WatcherEntity, SwitchEntity):
    """On: the ingest folders are watched. Off: the watcher is stopped, nothing is noticed."""

    _attr_translation_key = "watching"

    def __init__(self, coordinator: PlexCoordinator, runtime: WatcherRuntime) -> None:
        """Create the switch of a watcher."""
        super().__init__(coordinator, runtime, "watching")

    @property
    def is_on(self) -> bool:
        """Whether the folders are watched."""
        return self._runtime.running

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Watch the folders again; the first rescan finds what arrived meanwhile."""
        del kwargs
        await async_require_admin(self.hass, self._context)
        try:
            await self._runtime.async_set_watching(True)
        except OSError as err:  # a folder gone or unreadable: it stays stopped, and says why
            raise service_failure("watch_failed", err) from err
        finally:
            self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop watching (the file being ingested is finished)."""
        del kwargs
        await async_require_admin(self.hass, self._context)
        await self._runtime.async_set_watching(False)
        self.async_write_ha_state()


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
