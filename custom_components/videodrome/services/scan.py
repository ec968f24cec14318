"""`videodrome.scan`: ask Plex to scan a library (or every library), or one folder in one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
import probatio as vol

from ..call_targets import loaded_entry
from ..const import ATTR_CONFIG_ENTRY_ID, ATTR_LIBRARY, ATTR_PATH, SERVICE_SCAN
from ..engine.plex.paths import plex_path, section_for_path
from ..permissions import async_register_service
from .errors import translated_errors, validation_error
from .fields import ENTRY

if TYPE_CHECKING:
    from ..coordinator import SectionStatus
    from ..engine.plex.models import LibrarySection

SCAN_SCHEMA = vol.Schema(
    {
        **ENTRY,
        vol.Optional(ATTR_LIBRARY): vol.All(vol.Coerce(str), vol.Length(min=1, max=255)),
        vol.Optional(ATTR_PATH): vol.All(cv.string, vol.Length(min=1)),
    }
)


def async_setup_scan_services(hass: HomeAssistant) -> None:
    """Register `scan`, open to every user, like core's plex.refresh_library: no file changes."""
    async_register_service(
        hass, SERVICE_SCAN, _async_scan, SCAN_SCHEMA, SupportsResponse.OPTIONAL, admin=False
    )


def _find_library(sections: list[SectionStatus], name_or_id: str) -> LibrarySection:
    wanted = name_or_id.strip()
    for status in sections:
        section = status.section
        if str(section.key) == wanted or section.title.casefold() == wanted.casefold():
            return section
    raise validation_error(
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
        with translated_errors(call.hass, "scan_failed", path=raw_path):
            path = plex_path(raw_path)
        candidates = [library] if library else [s.section for s in sections]
        found = section_for_path(candidates, path)
        if found is None:
            raise validation_error("path_outside_libraries", path=raw_path)
        scans = [(found[0], str(path))]
    elif library is not None:
        scans = [(library, None)]
    else:
        scans = [(status.section, None) for status in sections]
    with translated_errors(call.hass, "scan_failed"):
        for section, folder in scans:
            await entry.runtime_data.client.scan(section.key, folder)
    await coordinator.async_request_refresh()
    response: dict[str, Any] = {
        "scans": [
            {"library_id": section.key, "library": section.title, "path": folder}
            for section, folder in scans
        ]
    }
    return response
