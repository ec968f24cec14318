"""The base of Videodrome's entities, and the two local sources some of them follow.

- `VideodromeEntity`: an entity of one Plex server's device, fed by its coordinator.
- `IngestEntity`: reads the ingest's store in executor jobs; the ingest service's dispatcher
  signal (sent with each item change) refreshes it at once, then at most once per
  `UPDATE_COOLDOWN` during a burst, without polling.
- `WatcherEntity`: writes its state when the folder watcher's signal says so.

The store and the watcher are local: their entities stay available whatever Plex does.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import PlexCoordinator
from .engine.store.items import ItemStatus
from .runtime.ingest import signal_item
from .runtime.watcher import signal_watcher

if TYPE_CHECKING:
    from .engine.store.items import Item
    from .runtime.ingest import IngestRuntime
    from .runtime.watcher import WatcherRuntime

# Seconds between two refreshes of an entity: a burst of item changes writes its state (and a
# recorder row) at once, then at most once a second, and always once after the last change.
UPDATE_COOLDOWN = 1.0


class VideodromeEntity(CoordinatorEntity[PlexCoordinator]):
    """An entity of one Plex server's device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: PlexCoordinator, key: str) -> None:
        """Name the entity by `key`, unique within its server."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        identity = coordinator.data.identity
        self._attr_unique_id = f"{entry.unique_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, str(entry.unique_id))},
            name=identity.friendly_name,
            manufacturer="Plex",
            model="Plex Media Server",
            configuration_url=str(coordinator.client.endpoint("/web")),
            entry_type=DeviceEntryType.SERVICE,
        )
        if identity.version is not None:  # unknown while Plex has not answered: kept as it was
            self._attr_device_info["sw_version"] = identity.version


class IngestEntity(VideodromeEntity):
    """Refreshes from the store whenever the ingest service reports a change."""

    def __init__(self, coordinator: PlexCoordinator, runtime: IngestRuntime, key: str) -> None:
        """Name the entity by `key`; it reads `runtime`'s store."""
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


def changes_last_ingest(item: Item, shown: int | None) -> bool:
    """Whether an item change can change "the last ingest" (an entity showing item `shown`).

    Only an ingested item can, or the one shown (leaving the ingested state): a burst of
    files waiting for review reads nothing.
    """
    return item.status == ItemStatus.INGESTED or item.id == shown


class WatcherEntity(VideodromeEntity):
    """Follows the watcher's dispatcher signal; available whatever Plex does."""

    def __init__(self, coordinator: PlexCoordinator, runtime: WatcherRuntime, key: str) -> None:
        """Name the entity by `key`; it shows `runtime`'s state."""
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
