"""Assist: "do I have Dune?", "which seasons of Breaking Bad do I have?", "scan the movies".

Home Assistant's intent integration calls `async_setup_intents`, which registers these and
the review queue's decisions (voice_review.py). Each runs with the rights of the user who
spoke (spoken.py). sentences.py teaches Assist's built-in agent the English sentences.

Scanning by voice follows the same opt-in as the LLM `scan` tool (`llm_scan`, "Let voice
assistants and AI agents ask Plex to scan"): off, Assist says how to turn it on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Final

from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import chat_session, config_validation as cv, intent
import probatio as vol

from .const import ATTR_CONFIG_ENTRY_ID, ATTR_LIBRARY, CONF_LLM_SCAN, DOMAIN, SERVICE_SCAN
from .runtime.check_library import async_check_library
from .spoken import VideodromeIntentHandler, entries, title_year
from .voice_review import Subject, async_register_review_intents, confirmations, file_name

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

INTENT_CHECK_LIBRARY: Final = "VideodromeCheckLibrary"
INTENT_SEASONS: Final = "VideodromeSeasons"
INTENT_REVIEW_QUEUE: Final = "VideodromeReviewQueue"
INTENT_SCAN_LIBRARY: Final = "VideodromeScanLibrary"
SCAN_OFF: Final = (
    "Scanning by voice is off. An administrator can turn on 'Let voice assistants and AI "
    "agents ask Plex to scan' in Videodrome's options."
)


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the intent handlers (called by Home Assistant's intent integration)."""
    for handler in (CheckLibraryIntent(), SeasonsIntent(), ReviewQueueIntent()):
        intent.async_register(hass, handler)
    intent.async_register(hass, ScanLibraryIntent())
    async_register_review_intents(hass)


async def _look_up(intent_obj: intent.Intent, title: str) -> tuple[list[dict[str, Any]], str]:
    """The items found for `title` on every server, or, with none, what to say instead."""
    results = []
    for entry in entries(intent_obj.hass):
        ingest = entry.runtime_data.ingest
        results.append(
            await async_check_library(
                entry.runtime_data.library.index,
                ingest.tmdb if ingest is not None else None,
                title=title,
            )
        )
    items: list[dict[str, Any]] = [item for result in results for item in result["items"]]
    if items:
        return items, ""
    if not results:
        return [], "Videodrome is not connected to a Plex server."
    if any(result["loading"] for result in results):
        return [], "The Plex library is still loading; ask again in a moment."
    if any(result["incomplete"] for result in results):
        missing = ", ".join(
            library["library"] for result in results for library in result["missing_libraries"]
        )
        return [], (
            f"I cannot find {title}, but Videodrome could not read the Plex library "
            f"{missing}, so it may be there."
        )
    return [], f"No, {title} is not in the Plex library."


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
        items, instead = await _look_up(intent_obj, title)
        if not items:
            response.async_set_speech(instead)
        else:
            best = items[0]
            detail = best.get("availability", {}).get("summary")
            speech = f"Yes, {title_year(best['title'], best.get('year'))} is in the Plex library"
            response.async_set_speech(f"{speech}: {detail}." if detail else f"{speech}.")
        response.async_set_speech_slots({"title": title})
        return response


class SeasonsIntent(VideodromeIntentHandler):
    """Which seasons of a show the Plex library holds."""

    intent_type = INTENT_SEASONS
    description = "Tells which seasons of a TV show are in the Plex library, and which are missing"
    slot_schema: ClassVar[dict[Any, Any]] = {vol.Required("title"): cv.string}

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """The seasons present and missing, in a sentence."""
        slots = self.async_validate_slots(intent_obj.slots)
        title = str(slots["title"]["value"]).strip()
        response = intent_obj.create_response()
        items, instead = await _look_up(intent_obj, title)
        shows = [item for item in items if item.get("availability")]
        if not items:
            response.async_set_speech(instead)
        elif not shows:
            name = title_year(items[0]["title"], items[0].get("year"))
            response.async_set_speech(f"{name} is in the Plex library, as a film: no seasons.")
        else:
            show = shows[0]
            name = title_year(show["title"], show.get("year"))
            response.async_set_speech(f"Of {name}: {show['availability']['summary']}.")
        response.async_set_speech_slots({"title": title})
        return response


class ReviewQueueIntent(VideodromeIntentHandler):
    """How many files wait for a decision, and which is next."""

    intent_type = INTENT_REVIEW_QUEUE
    description = "Tells how many video files wait for review before they are filed into Plex"

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Count the queues of every server; name the oldest file."""
        hass = intent_obj.hass
        response = intent_obj.create_response()
        count = 0
        configured = False
        oldest = None
        for entry in entries(hass):
            if (ingest := entry.runtime_data.ingest) is not None:
                configured = True
                count += await hass.async_add_executor_job(ingest.store.review_count)
                queue = await hass.async_add_executor_job(ingest.store.review_queue, 1)
                if queue and (oldest is None or queue[0].created_at < oldest[1].created_at):
                    oldest = (entry.entry_id, queue[0])
        if not configured:
            response.async_set_speech("Ingest is not set up in Videodrome.")
        elif count == 0 or oldest is None:
            response.async_set_speech("No files are waiting for review.")
        else:
            files = "file is" if count == 1 else "files are"
            entry_id, item = oldest
            guess = f", probably {title_year(item.title, item.year)}" if item.title else ""
            first = "It is" if count == 1 else "The next is"
            response.async_set_speech(
                f"{count} {files} waiting for review. {first} {file_name(item)}{guess}."
            )
            if (session := chat_session.current_session.get()) is not None:
                # "Reject it" next means this file.
                confirmations(hass).remember(session, Subject(entry_id, item.id, file_name(item)))
        return response


class ScanLibraryIntent(VideodromeIntentHandler):
    """Ask Plex to scan one library, or all of them, when the options allow it."""

    intent_type = INTENT_SCAN_LIBRARY
    description = "Asks Plex to scan a library (or every library) for new files"
    slot_schema: ClassVar[dict[Any, Any]] = {vol.Optional("library"): cv.string}

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Call videodrome.scan, with the opt-in of the LLM scan tool."""
        slots = self.async_validate_slots(intent_obj.slots)
        response = intent_obj.create_response()
        loaded = entries(intent_obj.hass)
        allowed = [entry for entry in loaded if entry.options.get(CONF_LLM_SCAN, False)]
        if loaded and not allowed:
            response.async_set_speech(SCAN_OFF)
            return response
        data: dict[str, Any] = {}
        if allowed:
            data[ATTR_CONFIG_ENTRY_ID] = allowed[0].entry_id
        if "library" in slots:
            data[ATTR_LIBRARY] = str(slots["library"]["value"])
        try:
            await intent_obj.hass.services.async_call(
                DOMAIN, SERVICE_SCAN, data, blocking=True, context=intent_obj.context
            )
        except ServiceValidationError as err:  # "scan the music library": there is none
            response.async_set_speech(str(err))
            return response
        what = f"the {data[ATTR_LIBRARY]} library" if ATTR_LIBRARY in data else "every library"
        response.async_set_speech(f"Plex is scanning {what}.")
        return response
