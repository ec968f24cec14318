"""Assist decides the review queue: "approve the next review item", "reject it", then "yes".

Approving or rejecting by voice takes two turns of one conversation. The first says what
would happen (which file, filed as what and where, or left where it is) and asks; only a
"yes" in the same conversation, within `PENDING_SECONDS`, does it, through the services
`videodrome.approve` / `videodrome.reject` (services/review.py) with the speaker's rights.
"no" drops it. Every intent here but "no" is admin-only: a non-admin hears that only an
administrator may, and nothing is asked or done.

The conversation is Home Assistant's chat session (`helpers/chat_session.py`), the one a
voice satellite, the Assist dialog or `conversation.process` with a `conversation_id` keep
across turns. "it" is the file the conversation last spoke about (the next one when none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import chat_session, intent
from homeassistant.helpers.event import async_call_later
from homeassistant.util.hass_dict import HassKey

from .const import ATTR_CONFIG_ENTRY_ID, ATTR_ITEM_ID, DOMAIN, SERVICE_APPROVE, SERVICE_REJECT
from .engine.ingest.match_review import REASON_PLEX_MISMATCH
from .spoken import VideodromeIntentHandler, entries, title_year

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant

    from .engine.store.items import Item

INTENT_APPROVE_NEXT: Final = "VideodromeApproveNext"
INTENT_REJECT_NEXT: Final = "VideodromeRejectNext"
INTENT_CONFIRM: Final = "VideodromeConfirm"
INTENT_CANCEL: Final = "VideodromeCancel"
PENDING_SECONDS: Final = 120  # how long a question waits for its "yes"
LIBRARY_NAMES: Final = {"movies": "movies", "tv": "TV shows"}
NOTHING_QUEUED: Final = "No files are waiting for review."
NO_INGEST: Final = "Ingest is not set up in Videodrome."
NO_CONVERSATION: Final = "Deciding a review by voice needs a conversation with Assist."
DONE_STATUSES: Final = frozenset({"ingested", "organised"})
DATA_CONFIRMATIONS: HassKey[Confirmations] = HassKey(f"{DOMAIN}_confirmations")


@dataclass(frozen=True, slots=True)
class Subject:
    """A queued file a conversation spoke about, and what it was asked to do with it."""

    entry_id: str
    item_id: int
    file: str
    action: str | None = None  # SERVICE_APPROVE / SERVICE_REJECT while a "yes" is awaited


class Confirmations:
    """Per conversation: the file it spoke about last, and the decision awaiting a "yes".

    `listen` is told whether any decision awaits a "yes" whenever that changes (sentences.py
    listens for "yes" and "no" only then).
    """

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing spoken about yet."""
        self.hass = hass
        self._subjects: dict[str, Subject] = {}
        self._expiry: dict[str, CALLBACK_TYPE] = {}
        self._listeners: list[Callable[[bool], None]] = []
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._stop)

    @callback
    def _stop(self, _event: Event) -> None:
        """Home Assistant stops: no question waits any longer."""
        for cancel in self._expiry.values():
            cancel()
        self._expiry.clear()

    @property
    def waiting(self) -> bool:
        """Whether a decision awaits a "yes" in any conversation."""
        return any(subject.action for subject in self._subjects.values())

    def listen(self, listener: Callable[[bool], None]) -> None:
        """Call `listener(waiting)` whenever `waiting` changes."""
        self._listeners.append(listener)

    def subject(self, conversation_id: str) -> Subject | None:
        """The file `conversation_id` spoke about last."""
        return self._subjects.get(conversation_id)

    @callback
    def remember(self, session: chat_session.ChatSession, subject: Subject) -> None:
        """`subject` is what `session` speaks about now; with an action, for a while."""
        before = self.waiting
        conversation_id = session.conversation_id
        if conversation_id not in self._subjects:
            session.async_on_cleanup(lambda: self.forget(conversation_id))
        self._subjects[conversation_id] = subject
        if (cancel := self._expiry.pop(conversation_id, None)) is not None:
            cancel()
        if subject.action is not None:

            @callback
            def expire(_now: datetime) -> None:
                self._expiry.pop(conversation_id, None)
                if (held := self._subjects.get(conversation_id)) is not None:
                    self._set(conversation_id, Subject(held.entry_id, held.item_id, held.file))

            self._expiry[conversation_id] = async_call_later(self.hass, PENDING_SECONDS, expire)
        self._changed(before)

    @callback
    def take(self, conversation_id: str) -> Subject | None:
        """The decision awaiting a "yes" in `conversation_id`, no longer awaiting it."""
        held = self._subjects.get(conversation_id)
        if held is None or held.action is None:
            return None
        if (cancel := self._expiry.pop(conversation_id, None)) is not None:
            cancel()
        self._set(conversation_id, Subject(held.entry_id, held.item_id, held.file))
        return held

    @callback
    def forget(self, conversation_id: str) -> None:
        """The conversation is over (its session expired)."""
        before = self.waiting
        self._subjects.pop(conversation_id, None)
        if (cancel := self._expiry.pop(conversation_id, None)) is not None:
            cancel()
        self._changed(before)

    def _set(self, conversation_id: str, subject: Subject) -> None:
        before = self.waiting
        self._subjects[conversation_id] = subject
        self._changed(before)

    def _changed(self, before: bool) -> None:
        if (now := self.waiting) != before:
            for listener in self._listeners:
                listener(now)


def confirmations(hass: HomeAssistant) -> Confirmations:
    """The conversations' confirmations (one per Home Assistant)."""
    if (found := hass.data.get(DATA_CONFIRMATIONS)) is None:
        found = hass.data[DATA_CONFIRMATIONS] = Confirmations(hass)
    return found


def async_register_review_intents(hass: HomeAssistant) -> None:
    """Register the review intents (from intent.py's `async_setup_intents`)."""
    for handler in (ApproveNextIntent(), RejectNextIntent(), ConfirmIntent(), CancelIntent()):
        intent.async_register(hass, handler)


def _session() -> chat_session.ChatSession:
    """The conversation being answered; the intents here need one."""
    if (session := chat_session.current_session.get()) is None:
        raise intent.IntentHandleError(NO_CONVERSATION)
    return session


async def _queued(hass: HomeAssistant, subject: Subject | None) -> tuple[str, Item] | None:
    """The file `subject` names while it is queued; otherwise the oldest queued file."""
    oldest: tuple[str, Item] | None = None
    for entry in entries(hass):
        if (ingest := entry.runtime_data.ingest) is None:
            continue
        store = ingest.store
        if subject is not None and subject.entry_id == entry.entry_id:
            item = await hass.async_add_executor_job(store.get_item, subject.item_id)
            if item is not None and item.status == "review":
                return entry.entry_id, item
        queue = await hass.async_add_executor_job(store.review_queue, 1)
        if queue and (oldest is None or queue[0].created_at < oldest[1].created_at):
            oldest = (entry.entry_id, queue[0])
    return oldest


def file_name(item: Item) -> str:
    """The queued file's name, as said aloud."""
    return item.source.rsplit("/", 1)[-1]


def _what_approving_does(item: Item) -> str:
    """What approving `item` does: filed as what, where."""
    name = title_year(item.title, item.year)
    if REASON_PLEX_MISMATCH in item.reasons:
        return f"It is already in Plex; approving it makes Plex show it as {name}."
    library = LIBRARY_NAMES.get(item.library or "", "Plex")
    where = f", at {item.target}" if item.target else ""
    return f"Approving files it as {name} in the {library} library{where}."


class _DecideNextIntent(VideodromeIntentHandler):
    """Ask whether to approve or reject the file under discussion (or the next one)."""

    admin_only = True
    action: str

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        hass, session = intent_obj.hass, _session()
        asked = confirmations(hass)
        response = intent_obj.create_response()
        found = await _queued(hass, asked.subject(session.conversation_id))
        if found is None:
            ingest = any(entry.runtime_data.ingest for entry in entries(hass))
            response.async_set_speech(NOTHING_QUEUED if ingest else NO_INGEST)
            return response
        entry_id, item = found
        name = file_name(item)
        if self.action == SERVICE_REJECT:
            what = (
                "Rejecting it takes it out of the review queue; the file stays where it is, "
                "untouched. Shall I reject it?"
            )
        elif item.tmdb_id is None or not item.title:
            # Nothing to approve it as: the card (or videodrome.approve) can give a title.
            asked.remember(session, Subject(entry_id, item.id, name))
            response.async_set_speech(
                f"The file is {name}. It has no title to be filed as: approve it in the "
                "review card with a title."
            )
            return response
        else:
            what = f"{_what_approving_does(item)} Shall I approve it?"
        asked.remember(session, Subject(entry_id, item.id, name, self.action))
        response.async_set_speech(f"The file is {name}. {what}")
        return response


class ApproveNextIntent(_DecideNextIntent):
    """Asks before it approves: "approve the next review item", "approve it"."""

    intent_type = INTENT_APPROVE_NEXT
    description = "Asks to approve the next file waiting for review (a yes files it)"
    action = SERVICE_APPROVE


class RejectNextIntent(_DecideNextIntent):
    """Asks before it rejects: "reject it", "reject the next review item"."""

    intent_type = INTENT_REJECT_NEXT
    description = "Asks to reject the next file waiting for review (a yes rejects it)"
    action = SERVICE_REJECT


class ConfirmIntent(VideodromeIntentHandler):
    """A yes: do what this conversation was asked to confirm."""

    intent_type = INTENT_CONFIRM
    description = "Confirms the approval or rejection Videodrome asked about"
    admin_only = True

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        hass = intent_obj.hass
        response = intent_obj.create_response()
        held = confirmations(hass).take(_session().conversation_id)
        if held is None:
            response.async_set_speech("Nothing is waiting for a yes from you.")
            return response
        data = {ATTR_CONFIG_ENTRY_ID: held.entry_id, ATTR_ITEM_ID: held.item_id}
        try:
            answer: Any = await hass.services.async_call(
                DOMAIN, str(held.action), data, blocking=True, return_response=True,
                context=intent_obj.context,
            )  # fmt: skip
        except HomeAssistantError as err:  # no longer queued, TMDb refused, ...
            response.async_set_speech(f"{held.file} was not changed: {err}")
            return response
        response.async_set_speech(_done(held, answer or {}))
        return response


def _done(held: Subject, answer: dict[str, Any]) -> str:
    """What a confirmed decision came to, in a sentence."""
    if held.action == SERVICE_REJECT:
        return f"Rejected {held.file}; it stays where it is."
    status = str(answer.get("status"))
    if status not in DONE_STATUSES:
        error = answer.get("error")
        return f"{held.file} was not filed ({status}{f': {error}' if error else ''})."
    name = title_year(answer.get("title"), answer.get("year")) if answer.get("title") else held.file
    library = LIBRARY_NAMES.get(str(answer.get("library")), "Plex")
    return f"Done: {name} is filed in the {library} library."


class CancelIntent(VideodromeIntentHandler):
    """A no: drop what this conversation was asked to confirm."""

    intent_type = INTENT_CANCEL
    description = "Cancels the approval or rejection Videodrome asked about"

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        response = intent_obj.create_response()
        held = confirmations(intent_obj.hass).take(_session().conversation_id)
        response.async_set_speech(
            f"OK, {held.file} stays in the review queue."
            if held
            else "There was nothing to cancel."
        )
        return response
