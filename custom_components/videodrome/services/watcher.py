"""`videodrome.rescan`: look through the ingest folders now (what the watcher's button does).

For automations (a download client finished: look now, do not wait for the next rescan). It
changes nothing by itself, so every user may call it; the answer (the folders, and what they
hold that is settling or queued) reaches non-admins without absolute paths.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
import probatio as vol

from ..call_targets import loaded_entry
from ..const import ATTR_CONFIG_ENTRY_ID, SERVICE_RESCAN
from ..permissions import async_register_service
from .errors import validation_error
from .fields import ENTRY

RESCAN_SCHEMA = vol.Schema(ENTRY)


def async_setup_watcher_services(hass: HomeAssistant) -> None:
    """Register `rescan`, open to every user."""
    async_register_service(
        hass, SERVICE_RESCAN, _rescan, RESCAN_SCHEMA, SupportsResponse.OPTIONAL, admin=False
    )


async def _rescan(call: ServiceCall) -> ServiceResponse:
    entry = loaded_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    watcher = entry.runtime_data.watcher
    if watcher is None:
        raise validation_error("ingest_not_configured", name=entry.title)
    if not watcher.running:
        raise validation_error("watcher_stopped")
    await watcher.async_rescan_now()
    return {
        "folders": [str(root) for root in watcher.watcher.roots],
        "files_settling": watcher.watcher.pending,
        "files_queued": watcher.queue.qsize(),
    }
