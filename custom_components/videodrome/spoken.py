"""What Videodrome's intents share: the speaker's rights, the loaded servers, titles aloud.

Each intent acts with the rights of the user who spoke (`intent_obj.context`), as the
services do (permissions.py): one marked `admin_only`, or whose service call is refused,
fails for a non-admin with a sentence saying only an administrator may; what a non-admin
hears carries no absolute paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import intent

from .const import DOMAIN
from .permissions import (
    ADMIN_ONLY_MESSAGE,
    async_is_admin,
    async_non_admin_form,
    async_require_admin,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .data import VideodromeConfigEntry


def entries(hass: HomeAssistant) -> list[VideodromeConfigEntry]:
    """The loaded servers."""
    return hass.config_entries.async_loaded_entries(DOMAIN)


def title_year(title: str | None, year: int | None) -> str:
    """The title with its year in brackets, or the title alone without a year."""
    return f"{title} ({year})" if year else str(title)


class VideodromeIntentHandler(intent.IntentHandler):
    """An intent run with the rights of the user who spoke.

    Subclasses implement `_async_answer`; `admin_only` marks one that changes files, the
    store or Plex's matches (approving or rejecting by voice).
    """

    admin_only: ClassVar[bool] = False

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Refuse a non-admin what is admin-only; answer without paths for non-admins."""
        hass, context = intent_obj.hass, intent_obj.context
        try:
            if self.admin_only:
                await async_require_admin(hass, context)
            response = await self._async_answer(intent_obj)
        except Unauthorized as err:
            raise intent.IntentHandleError(ADMIN_ONLY_MESSAGE) from err
        if not await async_is_admin(hass, context):
            said = (response.speech, response.reprompt, response.card, response.speech_slots)
            (
                response.speech,
                response.reprompt,
                response.card,
                response.speech_slots,
            ) = await async_non_admin_form(hass, said)
        return response

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """The intent's answer."""
        raise NotImplementedError
