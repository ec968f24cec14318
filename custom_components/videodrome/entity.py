"""The base of Videodrome's entities: one device per Plex server, fed by its coordinator."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import PlexCoordinator


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
