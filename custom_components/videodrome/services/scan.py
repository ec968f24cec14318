"""Videodrome's service actions, registered once in `async_setup`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio as vol

from ..const import ATTR_CONFIG_ENTRY_ID, ATTR_LIBRARY, ATTR_PATH, DOMAIN, SERVICE_SCAN
from ..engine.errors import UnsafePathError
from ..engine.plex.errors import PlexError
from ..engine.plex.paths import plex_path, section_for_path
from ..permissions import async_register_service
from .ingest import async_setup_ingest_services
from .library import async_setup_library_services

if TYPE_CHECKING:
    from ..coordinator import SectionStatus
    from ..data import VideodromeConfigEntry
    from ..engine.plex.models import LibrarySection

SCAN_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_LIBRARY): vol.All(vol.Coerce(str), vol.Length(min=1, max=255)),
        vol.Optional(ATTR_PATH): vol.All(cv.string, vol.Length(min=1)),
    }
)


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the services (permissions.py says who may call which)."""
    async_setup_ingest_services(hass)
    async_setup_library_services(hass)
    # Open to every user, like core's plex.refresh_library: a scan changes no file.
    async_register_service(
        hass, SERVICE_SCAN, _async_scan, SCAN_SCHEMA, SupportsResponse.OPTIONAL, admin=False
    )


def _validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def loaded_entry(hass: HomeAssistant, entry_id: str | None) -> VideodromeConfigEntry:
    """The loaded entry a call targets; with one server configured the id may be left out."""
    if entry_id is None:
        entries: list[VideodromeConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
        if not entries:
            raise _validation_error("no_loaded_entries")
        if len(entries) > 1:
            raise _validation_error("entry_required")
        return entries[0]
    entry: VideodromeConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise _validation_error("entry_not_found", entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise _validation_error("entry_not_loaded", name=entry.title)
    return entry


def _find_library(sections: list[SectionStatus], name_or_id: str) -> LibrarySection:
    wanted = name_or_id.strip()
    for status in sections:
        section = status.section
        if str(section.key) == wanted or section.title.casefold() == wanted.casefold():
            return section
    raise _validation_error(
        "library_not_found",
        library=wanted,
        libraries=", ".join(s.section.title for s in sections) or "-",
    )


async def _async_scan(call: ServiceCall) -> ServiceResponse:
    """Scan a library (or every library), or only one folder within a library."""
    entry = loaded_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    coordinator = entry.runtime_data.coordinator
    sections = list(coordinator.data.sections.values())
    library = None
    if (name_or_id := call.data.get(ATTR_LIBRARY)) is not None:
        library = _find_library(sections, name_or_id)
    scans: list[tuple[LibrarySection, str | None]]
    if (raw_path := call.data.get(ATTR_PATH)) is not None:
        try:
            path = plex_path(raw_path)
        except UnsafePathError as err:
            raise _validation_error("invalid_path", path=raw_path, reason=str(err)) from err
        candidates = [library] if library else [s.section for s in sections]
        found = section_for_path(candidates, path)
        if found is None:
            raise _validation_error("path_outside_libraries", path=raw_path)
        scans = [(found[0], str(path))]
    elif library is not None:
        scans = [(library, None)]
    else:
        scans = [(status.section, None) for status in sections]
    try:
        for section, folder in scans:
            await entry.runtime_data.client.scan(section.key, folder)
    except PlexError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="scan_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    await coordinator.async_request_refresh()
    response: dict[str, Any] = {
        "scans": [
            {"library_id": section.key, "library": section.title, "path": folder}
            for section, folder in scans
        ]
    }
    return response
