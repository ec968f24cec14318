"""Assist: "is Dune in the library?", "how many files wait for review?", "scan the movies".

Each intent acts with the rights of the user who spoke (`intent_obj.context`), as the
services do (permissions.py): one marked `admin_only`, or whose service call is refused,
fails for a non-admin with a sentence saying only an administrator may; what a non-admin
hears carries no absolute paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import config_validation as cv, intent
import probatio as vol

from .const import ATTR_LIBRARY, DOMAIN, SERVICE_SCAN
from .permissions import (
    ADMIN_ONLY_MESSAGE,
    async_is_admin,
    async_non_admin_form,
    async_require_admin,
)
from .runtime.check_library import async_check_library

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .data import VideodromeConfigEntry

INTENT_CHECK_LIBRARY = "VideodromeCheckLibrary"
INTENT_REVIEW_QUEUE = "VideodromeReviewQueue"
INTENT_SCAN_LIBRARY = "VideodromeScanLibrary"


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the intent handlers (called by Home Assistant's intent integration)."""
    intent.async_register(hass, CheckLibraryIntent())
    intent.async_register(hass, ReviewQueueIntent())
    intent.async_register(hass, ScanLibraryIntent())


def _entries(hass: HomeAssistant) -> list[VideodromeConfigEntry]:
    return hass.config_entries.async_loaded_entries(DOMAIN)


class VideodromeIntentHandler(intent.IntentHandler):
    """An intent run with the rights of the user who spoke.

    Subclasses implement `_async_answer`; `admin_only` marks one that changes files, the
    store or Plex's matches (none today: approving by voice would be one).
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


class CheckLibraryIntent(VideodromeIntentHandler):
    """Whether a title is in the Plex library, and for a show, which seasons."""

    intent_type = INTENT_CHECK_LIBRARY
    description = "Checks whether a movie or TV show is in the Plex library"
    slot_schema: ClassVar[dict[Any, Any]] = {vol.Required("title"): cv.string}

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Answer in a sentence."""
        slots = self.async_validate_slots(intent_obj.slots)  # vol.Invalid: Assist says why
        title = str(slots["title"]["value"]).strip()
        response = intent_obj.create_response()
        results = []
        for entry in _entries(intent_obj.hass):
            ingest = entry.runtime_data.ingest
            results.append(
                await async_check_library(
                    entry.runtime_data.library.index,
                    ingest.tmdb if ingest is not None else None,
                    title=title,
                )
            )
        items: list[dict[str, Any]] = [item for result in results for item in result["items"]]
        if not results:
            response.async_set_speech("Videodrome is not connected to a Plex server.")
        elif not items and any(result["loading"] for result in results):
            response.async_set_speech("The Plex library is still loading; ask again in a moment.")
        elif not items and any(result["incomplete"] for result in results):
            missing = ", ".join(
                library["library"] for result in results for library in result["missing_libraries"]
            )
            response.async_set_speech(
                f"I cannot find {title}, but Videodrome could not read the Plex library "
                f"{missing}, so it may be there."
            )
        elif not items:
            response.async_set_speech(f"No, {title} is not in the Plex library.")
        else:
            best = items[0]
            name = f"{best['title']} ({best['year']})" if best.get("year") else best["title"]
            detail = best.get("availability", {}).get("summary")
            speech = f"Yes, {name} is in the Plex library"
            response.async_set_speech(f"{speech}: {detail}." if detail else f"{speech}.")
        response.async_set_speech_slots({"title": title})
        return response


class ReviewQueueIntent(VideodromeIntentHandler):
    """How many files wait for a decision."""

    intent_type = INTENT_REVIEW_QUEUE
    description = "Tells how many video files wait for review before they are filed into Plex"

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Count the queues of every server."""
        response = intent_obj.create_response()
        count = 0
        configured = False
        for entry in _entries(intent_obj.hass):
            if (ingest := entry.runtime_data.ingest) is not None:
                configured = True
                count += await intent_obj.hass.async_add_executor_job(ingest.store.review_count)
        if not configured:
            response.async_set_speech("Ingest is not set up in Videodrome.")
        elif count == 0:
            response.async_set_speech("No files are waiting for review.")
        else:
            files = "file is" if count == 1 else "files are"
            response.async_set_speech(f"{count} {files} waiting for review.")
        return response


class ScanLibraryIntent(VideodromeIntentHandler):
    """Ask Plex to scan one library, or all of them."""

    intent_type = INTENT_SCAN_LIBRARY
    description = "Asks Plex to scan a library (or every library) for new files"
    slot_schema: ClassVar[dict[Any, Any]] = {vol.Optional("library"): cv.string}

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Call videodrome.scan."""
        slots = self.async_validate_slots(intent_obj.slots)
        response = intent_obj.create_response()
        data: dict[str, Any] = {}
        if "library" in slots:
            data[ATTR_LIBRARY] = str(slots["library"]["value"])
        try:
            await intent_obj.hass.services.async_call(
                DOMAIN, SERVICE_SCAN, data, blocking=True, context=intent_obj.context
            )
        except ServiceValidationError as err:  # "scan the music library": there is none
            response.async_set_speech(str(err))
            return response
        what = f"the {data[ATTR_LIBRARY]} library" if data else "every library"
        response.async_set_speech(f"Plex is scanning {what}.")
        return response
