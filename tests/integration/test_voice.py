"""Voice out of the box (issue 23, item 4): Assist's built-in agent, Videodrome's sentences.

Home Assistant's own `conversation` and `intent` integrations are set up and every sentence
goes through the real agent (`conversation.async_converse`), as a voice satellite's or the
Assist dialog's would: its text, the speaker's context, and the conversation id the agent
hands back for the next turn. What is checked is what Assist says and what happened on disk
and in the review queue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from hassil import Intents, recognize_all
from hassil.intents import WildcardSlotList
from homeassistant.components import conversation
from homeassistant.components.conversation.agent_manager import get_agent_manager
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.videodrome.const import CONF_LLM_SCAN, DOMAIN
from custom_components.videodrome.permissions import ADMIN_ONLY_MESSAGE
from custom_components.videodrome.sentences import Sentences, load_sentences
from custom_components.videodrome.voice_review import (
    NO_CONVERSATION,
    PENDING_SECONDS,
    confirmations,
)
from tests.entities import settle
from tests.permissions import context_of, plain_user, store_rows, tree
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.auth.models import User
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

    from tests.emulators.plex import PlexEmulator

TARGET = "Total Recall (1990) {tmdb-861}/Total Recall (1990).mkv"


@pytest.fixture
async def voice(hass: HomeAssistant) -> None:
    """Home Assistant's Assist: the conversation integration (and intent, its dependency)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})


async def _entry(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    **options: Any,
) -> MockConfigEntry:
    """Ingest on, with Total.Recall.mkv (no year: 1990 or 2012?) waiting for review."""
    entry = make_ingest_entry(**options)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await async_setup_component(hass, DOMAIN, {})
    download = tmp_path / "ingest" / "Total.Recall.mkv"
    download.write_bytes(b"a download")
    await hass.services.async_call(DOMAIN, "ingest", {"path": str(download)}, blocking=True)
    await settle(hass)
    index = entry.runtime_data.library.index
    await until(lambda: index.by_id(tmdb=603).found)  # the library has been read
    return entry


class Speaker:
    """One person talking to Assist: each `say` continues their conversation."""

    def __init__(self, hass: HomeAssistant, user: User | None) -> None:
        self.hass = hass
        self.user = user
        self.conversation_id: str | None = None

    async def say(self, text: str) -> str:
        result = await conversation.async_converse(
            self.hass, text, self.conversation_id, context_of(self.user), language="en"
        )
        self.conversation_id = result.conversation_id
        speech: str = result.response.speech["plain"]["speech"]
        return speech


async def test_questions_about_the_library(
    hass: HomeAssistant,
    voice: None,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    hass_admin_user: MockUser,
) -> None:
    """ "Do I have Dune?", "Which seasons of Breaking Bad do I have?", "What's waiting?"."""
    await _entry(hass, make_ingest_entry, tmp_path)
    for user in (hass_admin_user, await plain_user(hass)):
        speaker = Speaker(hass, user)
        assert await speaker.say("Do I have Dune?") == "Yes, Dune (2021) is in the Plex library."
        assert await speaker.say("Is Solaris in the library?") == (
            "No, Solaris is not in the Plex library."
        )
        assert await speaker.say("Which seasons of Breaking Bad do I have?") == (
            "Of Breaking Bad (2008): seasons 1\N{EN DASH}3 present, seasons 4\N{EN DASH}5 "
            "missing; season 3 is missing episodes 6\N{EN DASH}13; season 1 watched."
        )
        assert await speaker.say("Which seasons of Solaris do I have?") == (
            "No, Solaris is not in the Plex library."
        )
        assert await speaker.say("Which seasons of The Matrix do I have?") == (
            "The Matrix (1999) is in the Plex library, as a film: no seasons."
        )
        assert await speaker.say("What's waiting for review?") == (
            "1 file is waiting for review. It is Total.Recall.mkv, probably Total Recall (1990)."
        )


async def test_approve_the_next_review_item_asks_first(
    hass: HomeAssistant,
    voice: None,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    media_root: Path,
    hass_admin_user: MockUser,
) -> None:
    """What will be filed where; nothing before the yes; the file filed after it."""
    entry = await _entry(hass, make_ingest_entry, tmp_path)
    store = entry.runtime_data.ingest.store
    before = await hass.async_add_executor_job(store_rows, store)
    files = await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root)
    admin = Speaker(hass, hass_admin_user)
    question = await admin.say("Approve the next review item")
    assert question == (
        "The file is Total.Recall.mkv. Approving files it as Total Recall (1990) in the "
        f"movies library, at {TARGET}. Shall I approve it?"
    )
    # Nothing happens until the yes; a yes in another conversation confirms nothing.
    assert await Speaker(hass, hass_admin_user).say("yes") == (
        "Nothing is waiting for a yes from you."
    )
    assert await hass.async_add_executor_job(store_rows, store) == before
    assert await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root) == files

    assert await admin.say("Yes") == "Done: Total Recall (1990) is filed in the movies library."
    assert (media_root / "Movies" / TARGET).read_bytes() == b"a download"
    assert (tmp_path / "ingest" / "Total.Recall.mkv").exists()  # linked, never moved
    assert store.review_queue() == []
    assert not confirmations(hass).waiting
    assert await admin.say("What's waiting for review?") == "No files are waiting for review."
    assert await admin.say("Approve it") == "No files are waiting for review."


async def test_reject_it_and_no(
    hass: HomeAssistant,
    voice: None,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    media_root: Path,
    hass_admin_user: MockUser,
) -> None:
    """ "Reject it" after hearing the queue; "no" keeps the file queued; a yes rejects it."""
    entry = await _entry(hass, make_ingest_entry, tmp_path)
    store = entry.runtime_data.ingest.store
    files = await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root)
    admin = Speaker(hass, hass_admin_user)
    await admin.say("What's waiting for review?")
    question = (
        "The file is Total.Recall.mkv. Rejecting it takes it out of the review queue; the "
        "file stays where it is, untouched. Shall I reject it?"
    )
    assert await admin.say("Reject it") == question
    assert await admin.say("No") == "OK, Total.Recall.mkv stays in the review queue."
    assert len(store.review_queue()) == 1
    assert (await admin.say("Approve it")).endswith("Shall I approve it?")
    assert await admin.say("Reject it") == question  # the question replaced: it asks again
    assert await admin.say("yes please") == "Rejected Total.Recall.mkv; it stays where it is."
    assert store.review_queue() == []
    assert (store.history(status="rejected"))[0].source.endswith("Total.Recall.mkv")
    assert await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root) == files


async def test_a_question_waits_for_its_answer_a_while(
    hass: HomeAssistant,
    voice: None,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    hass_admin_user: MockUser,
) -> None:
    """After PENDING_SECONDS the yes is no longer listened for; "yes" is not Videodrome's."""
    entry = await _entry(hass, make_ingest_entry, tmp_path)
    store = entry.runtime_data.ingest.store
    admin = Speaker(hass, hass_admin_user)
    assert (await admin.say("approve the next file")).endswith("Shall I approve it?")
    assert confirmations(hass).waiting
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=PENDING_SECONDS + 1))
    await hass.async_block_till_done()
    assert not confirmations(hass).waiting
    assert await admin.say("yes") == "Sorry, I couldn't understand that"
    assert len(store.review_queue()) == 1


async def test_only_administrators_decide_by_voice(
    hass: HomeAssistant,
    voice: None,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    media_root: Path,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """A non-admin is refused aloud and asked nothing; nor can they say the admin's yes."""
    entry = await _entry(hass, make_ingest_entry, tmp_path)
    store = entry.runtime_data.ingest.store
    rows = await hass.async_add_executor_job(store_rows, store)
    files = await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root)
    for user in (hass_read_only_user, await plain_user(hass)):
        speaker = Speaker(hass, user)
        for sentence in ("Approve the next review item", "Reject it"):
            assert await speaker.say(sentence) == ADMIN_ONLY_MESSAGE
        assert not confirmations(hass).waiting
    # The admin asks; someone else continuing that conversation cannot confirm it.
    admin = Speaker(hass, hass_admin_user)
    await admin.say("Approve the next review item")
    intruder = Speaker(hass, hass_read_only_user)
    intruder.conversation_id = admin.conversation_id
    assert await intruder.say("yes") == ADMIN_ONLY_MESSAGE
    assert await admin.say("no") == "OK, Total.Recall.mkv stays in the review queue."
    assert await hass.async_add_executor_job(store_rows, store) == rows
    assert await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root) == files


async def test_scan_by_voice_follows_the_llm_scan_opt_in(
    hass: HomeAssistant,
    voice: None,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    plex_emulator: PlexEmulator,
    hass_admin_user: MockUser,
) -> None:
    """Off (the default): Assist says how to turn it on, and Plex is not asked to scan."""
    entry = await _entry(hass, make_ingest_entry, tmp_path)
    admin = Speaker(hass, hass_admin_user)

    def refreshes() -> list[Any]:
        return [r for r in plex_emulator.requests if r.path.endswith("/refresh")]

    assert await admin.say("Scan the movies library") == (
        "Scanning by voice is off. An administrator can turn on 'Let voice assistants and AI "
        "agents ask Plex to scan' in Videodrome's options."
    )
    assert refreshes() == []
    hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_LLM_SCAN: True})
    await hass.async_block_till_done()
    await until(lambda: hass.config_entries.async_loaded_entries(DOMAIN) != [])
    assert await admin.say("Scan the movies library") == "Plex is scanning the movies library."
    assert [r.path for r in refreshes()] == ["/library/sections/1/refresh"]
    assert (await admin.say("Scan the music library")).startswith('There is no library "music"')
    assert await admin.say("Scan every library") == "Plex is scanning every library."
    assert len(refreshes()) == 3  # Movies, then Movies and TV Shows


def test_every_sentence_names_one_intent_and_the_examples_match_one() -> None:
    """The shipped sentences: each example of the docs matches exactly one intent."""
    sentences = load_sentences()
    intents = Intents.from_dict(
        {
            "language": "en",
            "intents": {name: {"data": [{"sentences": s}]} for name, s in sentences.items()},
        }
    )
    for name in ("title", "library"):
        intents.slot_lists[name] = WildcardSlotList(name)
    examples = {
        "Do I have Dune?": "VideodromeCheckLibrary",
        "Which seasons of Breaking Bad do I have?": "VideodromeSeasons",
        "What's waiting for review?": "VideodromeReviewQueue",
        "Approve the next review item": "VideodromeApproveNext",
        "Reject it": "VideodromeRejectNext",
        "Yes": "VideodromeConfirm",
        "No": "VideodromeCancel",
        "Scan the movies library": "VideodromeScanLibrary",
        "Scan every library": "VideodromeScanLibrary",
    }
    for text, expected in examples.items():
        assert {r.intent.name for r in recognize_all(text, intents)} == {expected}, text
    # The first fit is the one taken (as the agent takes a trigger's first).
    first = next(iter(recognize_all("Scan every library", intents)))
    assert first.entities == {}


async def test_what_approving_says_for_harder_files(
    hass: HomeAssistant,
    voice: None,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    media_root: Path,
    hass_admin_user: MockUser,
) -> None:
    """Already in Plex, no title, decided elsewhere meanwhile, a file at the destination."""
    entry = await _entry(hass, make_ingest_entry, tmp_path)
    store = entry.runtime_data.ingest.store
    (item,) = store.review_queue()
    admin = Speaker(hass, hass_admin_user)

    store.update_item(item.id, reasons=(*item.reasons, "plex_mismatch"))
    assert await admin.say("Approve it") == (
        "The file is Total.Recall.mkv. It is already in Plex; approving it makes Plex show it "
        "as Total Recall (1990). Shall I approve it?"
    )
    assert await admin.say("No") == "OK, Total.Recall.mkv stays in the review queue."
    assert await admin.say("No") == "Sorry, I couldn't understand that"  # no longer asked

    store.update_item(item.id, reasons=item.reasons, tmdb_id=None)
    assert await admin.say("Approve it") == (
        "The file is Total.Recall.mkv. It has no title to be filed as: approve it in the "
        "review card with a title."
    )
    assert not confirmations(hass).waiting

    # Someone else decides in the card between the question and the yes.
    store.update_item(item.id, tmdb_id=item.tmdb_id)
    assert (await admin.say("Approve it")).endswith("Shall I approve it?")
    await hass.services.async_call(DOMAIN, "reject", {"item_id": item.id}, blocking=True)
    said = await admin.say("Yes")
    assert said.startswith("Total.Recall.mkv was not changed: ")
    assert "not waiting for review" in said


async def test_a_file_at_the_destination_is_never_replaced(
    hass: HomeAssistant,
    voice: None,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    media_root: Path,
    hass_admin_user: MockUser,
) -> None:
    """Between the question and the yes a file appeared where it would go: it stays."""
    entry = await _entry(hass, make_ingest_entry, tmp_path)
    admin = Speaker(hass, hass_admin_user)
    assert (await admin.say("Approve the next review item")).endswith("Shall I approve it?")
    there = media_root / "Movies" / TARGET
    there.parent.mkdir(parents=True)
    there.write_bytes(b"someone's own file")
    said = await admin.say("yes")
    assert said.startswith("Total.Recall.mkv was not filed (failed: ")
    assert "already exists" in said
    assert there.read_bytes() == b"someone's own file"
    assert entry.runtime_data.ingest is not None


async def test_without_ingest_or_a_conversation(
    hass: HomeAssistant, voice: None, loaded_entry: MockConfigEntry, hass_admin_user: MockUser
) -> None:
    """No ingest: said so. An intent outside a conversation (the intent API): said so."""
    admin = Speaker(hass, hass_admin_user)
    assert await admin.say("Approve the next review item") == "Ingest is not set up in Videodrome."
    with pytest.raises(intent.IntentHandleError, match=NO_CONVERSATION):
        await intent.async_handle(hass, "test", "VideodromeApproveNext", {})
    # An intent a sentence names that is not there: a sentence, not a failed conversation.
    register: Any = get_agent_manager(hass).register_trigger
    Sentences(hass, register, {"VideodromeNope": ["videodrome nope"]}).async_start()
    assert await admin.say("videodrome nope") == "Sorry, Videodrome could not do that."


async def test_questions_end_with_home_assistant(
    hass: HomeAssistant,
    voice: None,
    make_ingest_entry: Callable[..., MockConfigEntry],
    tmp_path: Path,
    hass_admin_user: MockUser,
) -> None:
    """A conversation that ends (or Home Assistant stopping) leaves no question behind."""
    await _entry(hass, make_ingest_entry, tmp_path)
    admin = Speaker(hass, hass_admin_user)
    await admin.say("Approve the next review item")
    assert admin.conversation_id is not None
    asked = confirmations(hass)
    asked.forget(admin.conversation_id)  # what the chat session's clean-up calls
    assert not confirmations(hass).waiting
    await admin.say("Approve the next review item")
    assert confirmations(hass).waiting
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    # Still asked, but its timer is gone: nothing fires after the stop.
    assert confirmations(hass).waiting


async def test_before_the_library_is_read(
    hass: HomeAssistant,
    voice: None,
    make_ingest_entry: Callable[..., MockConfigEntry],
    plex_emulator: PlexEmulator,
    hass_admin_user: MockUser,
) -> None:
    """Plex down since the start: the library is not read yet, so no "no" either."""
    await plex_emulator.stop()
    entry = make_ingest_entry()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await async_setup_component(hass, DOMAIN, {})
    speaker = Speaker(hass, hass_admin_user)
    for sentence in ("Do I have Dune?", "Which seasons of Breaking Bad do I have?"):
        assert await speaker.say(sentence) == (
            "The Plex library is still loading; ask again in a moment."
        )
