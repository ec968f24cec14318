"""Register every Videodrome service action, once, in `async_setup`.

Each module registers its own through permissions.py (`admin=` says who may call it):
scan.py `scan`; library.py `check_library`; ingest.py `ingest`, `plan`, `identify`,
`history`; review.py `approve`, `reject`; organise.py `organise`, `undo`; metadata.py
`refresh_metadata`; watcher.py `rescan`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ingest import async_setup_ingest_services
from .library import async_setup_library_services
from .metadata import async_setup_metadata_services
from .organise import async_setup_organise_services
from .review import async_setup_review_services
from .scan import async_setup_scan_services
from .watcher import async_setup_watcher_services

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the services (they exist whether or not a server is configured)."""
    async_setup_scan_services(hass)
    async_setup_library_services(hass)
    async_setup_ingest_services(hass)
    async_setup_review_services(hass)
    async_setup_organise_services(hass)
    async_setup_metadata_services(hass)
    async_setup_watcher_services(hass)
