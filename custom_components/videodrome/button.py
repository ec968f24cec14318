"""The button of a server's folder watcher: look through the ingest folders now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity

from .entity import WatcherEntity
from .services.errors import validation_error

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import PlexCoordinator
    from .data import VideodromeConfigEntry
    from .runtime.watcher import WatcherRuntime

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: VideodromeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the button when the entry has a watcher."""
    del hass
    if (watcher := entry.runtime_data.watcher) is not None:
        async_add_entities([RescanButton(entry.runtime_data.coordinator, watcher)])


class RescanButton(WatcherEntity, ButtonEntity):
    """Looks through every ingest folder at once, as after a restart.

    What it finds settles for the stability window like any new file, then is ingested. It
    changes nothing by itself (the next periodic rescan would find the same), so every user
    may press it; while the watcher is stopped it is refused with a reason.
    """

    _attr_translation_key = "rescan"

    def __init__(self, coordinator: PlexCoordinator, runtime: WatcherRuntime) -> None:
        """Create the button of a watcher."""
        super().__init__(coordinator, runtime, "rescan")

    async def async_press(self) -> None:
        """Rescan now."""
        if not self._runtime.running:
            raise validation_error("watcher_stopped")
        await self._runtime.async_rescan_now()
