"""Access tokens that live seconds, for the browser test only (never part of Videodrome).

Home Assistant's sign-in issues access tokens for 30 minutes. Its auth manager can create a
refresh token whose access tokens live shorter (`access_token_expiration`, the same field the
long-lived tokens use), and nothing else about such a token differs: Home Assistant signs its
access tokens, refuses them once expired, and refreshes them at `/auth/token` like any other.
This integration offers that to an administrator over the websocket, for the administrator's
own user, so that the browser test can watch the frontend refresh an expired token within a
test's time. The e2e stack loads it only when a test asks (`Stack.helpers`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.decorators import (
    async_response,
    require_admin,
    websocket_command,
)
import probatio as vol

if TYPE_CHECKING:
    from homeassistant.components.websocket_api.connection import ActiveConnection
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

DOMAIN: Final = "short_tokens"


@require_admin
@websocket_command(
    {
        vol.Required("type"): f"{DOMAIN}/create",
        vol.Required("client_id"): str,
        vol.Required("seconds"): vol.All(int, vol.Range(min=1, max=3600)),
    }
)
@async_response
async def ws_create(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """A refresh token of the caller for `client_id`, its access tokens living `seconds`."""
    refresh_token = await hass.auth.async_create_refresh_token(
        connection.user,
        msg["client_id"],
        access_token_expiration=timedelta(seconds=msg["seconds"]),
    )
    connection.send_result(msg["id"], {"refresh_token": refresh_token.token})


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the websocket command."""
    del config
    async_register_command(hass, ws_create)
    return True
