"""A read-only websocket command for the review card: the queue and the last ingests.

The sensors carry the first few queued items; the card shows more of them, and the last
ingests with their Plex match status, so it asks here. Decisions go through the services
(`videodrome.approve`, `videodrome.reject`, admin-only): this module writes nothing.

Every user may ask. `can_decide` says whether the user may decide (an administrator): the
card offers Approve and Reject only then. A non-admin's answer carries no absolute paths
(permissions.py: names relative to the configured folders).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.const import ERR_HOME_ASSISTANT_ERROR
from homeassistant.components.websocket_api.decorators import (
    async_response,
    websocket_command,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import probatio as vol

from .call_targets import loaded_entry
from .const import ATTR_CONFIG_ENTRY_ID, ATTR_LIMIT, ATTR_RECENT, DOMAIN, LOGGER
from .engine.store.items import ItemStatus
from .permissions import async_is_admin, async_non_admin_form
from .summaries import filed_summary, item_summary

if TYPE_CHECKING:
    from homeassistant.components.websocket_api.connection import ActiveConnection

    from .data import VideodromeConfigEntry
    from .engine.store.items import Item

WS_REVIEW: Final = f"{DOMAIN}/review"
MAX_LIMIT: Final = 100
MAX_RECENT: Final = 50


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register the card's websocket command."""
    async_register_command(hass, ws_review)


def _recent(item: Item) -> dict[str, Any]:
    return {
        **filed_summary(item),
        "status": item.status.value,
        "updated_at": item.as_dict()["updated_at"],
    }


def _entry_of(hass: HomeAssistant, msg: dict[str, Any]) -> VideodromeConfigEntry:
    """The entry asked for: by id, by one of its entities, or the only one loaded."""
    entry_id: str | None = msg.get(ATTR_CONFIG_ENTRY_ID)
    if (entity_id := msg.get(ATTR_ENTITY_ID)) is not None:
        registered = er.async_get(hass).async_get(entity_id)
        if registered is None or registered.platform != DOMAIN:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entity_not_videodrome",
                translation_placeholders={"entity_id": entity_id},
            )
        entry_id = registered.config_entry_id
    return loaded_entry(hass, entry_id)


@websocket_command(
    {
        vol.Required("type"): WS_REVIEW,
        vol.Exclusive(ATTR_CONFIG_ENTRY_ID, "entry"): str,
        vol.Exclusive(ATTR_ENTITY_ID, "entry"): str,
        vol.Optional(ATTR_LIMIT, default=20): vol.All(int, vol.Range(min=1, max=MAX_LIMIT)),
        vol.Optional(ATTR_RECENT, default=5): vol.All(int, vol.Range(min=0, max=MAX_RECENT)),
    }
)
@async_response
async def ws_review(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Send the review queue (oldest first), the last ingests (newest first), `can_decide`."""
    try:
        entry = _entry_of(hass, msg)
    except ServiceValidationError as err:
        # An answer, not a raise: Home Assistant logs every raised error at ERROR, and an open
        # card asks again while Videodrome loads or after it was disabled.
        LOGGER.debug("[%d] Review read answered with an error: %s", id(connection), err)
        connection.send_error(
            msg["id"],
            ERR_HOME_ASSISTANT_ERROR,
            str(err),
            translation_key=err.translation_key,
            translation_domain=err.translation_domain,
            translation_placeholders=err.translation_placeholders,
        )
        return
    result: dict[str, Any] = {
        ATTR_CONFIG_ENTRY_ID: entry.entry_id,
        "title": entry.title,
        "ingest": False,
        "count": 0,
        "queue": [],
        "recent": [],
    }
    runtime = entry.runtime_data.ingest
    if runtime is not None:
        store = runtime.store
        limit, recent = int(msg[ATTR_LIMIT]), int(msg[ATTR_RECENT])

        def read() -> tuple[int, list[Item], list[Item]]:
            queue = store.review_queue(limit)
            done = store.history(status=ItemStatus.INGESTED.value, limit=recent) if recent else []
            return store.review_count(), queue, done

        count, queue, done = await hass.async_add_executor_job(read)
        result |= {
            "ingest": True,
            "count": count,
            "queue": [item_summary(item) for item in queue],
            "recent": [_recent(item) for item in done],
        }
    can_decide = await async_is_admin(hass, connection.context(msg))
    if not can_decide:
        result = await async_non_admin_form(hass, result)
    connection.send_result(msg["id"], {**result, "can_decide": can_decide})
