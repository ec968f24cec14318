"""Videodrome's English sentences, taught to Assist's built-in agent: no YAML to write.

Home Assistant 2026.10 gives an integration no way to add sentences to the built-in agent's
own intents: those come from the home-assistant-intents package, `<config>/custom_sentences`
(files of the user's) and `conversation: intents:` in configuration.yaml (replaced on every
`conversation.reload`). What it does offer is the sentence trigger, the mechanism behind an
automation's "sentence" trigger (`conversation/trigger.py`): the agent manager's
`register_trigger(sentences, callback)`. The built-in agent matches trigger sentences before
its own intents, gives the callback the speaker's context and conversation, and says what the
callback returns. That is in memory, lives as long as Home Assistant, and needs nothing
written into the user's configuration, so it is what Videodrome uses.

`sentence_templates/en.yaml` holds the sentences, by intent. When the conversation
integration is set up, each intent's sentences become one trigger whose callback runs that
intent (intent.py, voice_review.py) with the speaker's rights; its speech is the answer, and
an intent's error message is said as it is. "yes" and "no" (VideodromeConfirm,
VideodromeCancel) are registered only while some conversation was asked to confirm a
decision, so that they do not take a "yes" from anything else the rest of the time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import intent
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_when_setup
import yaml

from .const import DOMAIN
from .voice_review import INTENT_CANCEL, INTENT_CONFIRM, confirmations

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from homeassistant.components.conversation import ConversationInput

    class RecognizeResult(Protocol):
        """What Videodrome reads of hassil's match: the slots said."""

        entities: Mapping[str, Any]

    type TriggerCallback = Callable[[ConversationInput, RecognizeResult], Awaitable[str | None]]
    type Register = Callable[[list[str], TriggerCallback], CALLBACK_TYPE]

SENTENCES_DIR: Final = Path(__file__).parent / "sentence_templates"
LANGUAGE: Final = "en"
ANSWERS: Final = frozenset({INTENT_CONFIRM, INTENT_CANCEL})  # only while a "yes" is awaited
FAILED: Final = "Sorry, Videodrome could not do that."


def load_sentences(language: str = LANGUAGE) -> dict[str, list[str]]:
    """The sentences of `language`, by intent (blocking: reads the file)."""
    text = (SENTENCES_DIR / f"{language}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return {str(name): [str(s) for s in sentences] for name, sentences in data["intents"].items()}


@callback
def async_setup_sentences(hass: HomeAssistant) -> None:
    """Teach Assist's built-in agent the sentences once the conversation integration is up."""
    async_when_setup(hass, "conversation", _async_conversation_ready)


async def _async_conversation_ready(hass: HomeAssistant, component: str) -> None:
    # The conversation integration's module through Home Assistant's loader, not an import:
    # Videodrome loads without it (and without hassil, its requirement) when it is not used.
    conversation = await async_get_integration(hass, component)
    agent_manager = await conversation.async_get_platform("agent_manager")
    sentences = await hass.async_add_executor_job(load_sentences)
    register: Register = agent_manager.get_agent_manager(hass).register_trigger
    Sentences(hass, register, sentences).async_start()


class Sentences:
    """The sentences registered as the built-in agent's triggers, each running its intent."""

    def __init__(
        self, hass: HomeAssistant, register: Register, sentences: dict[str, list[str]]
    ) -> None:
        """Register through `register` (the agent manager's `register_trigger`)."""
        self.hass = hass
        self._register = register
        self._sentences = sentences
        self._answers: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self) -> None:
        """Register every intent's sentences but the answers; those while one is awaited."""
        for intent_type, sentences in self._sentences.items():
            if intent_type not in ANSWERS:
                self._register(sentences, self._runner(intent_type))
        asked = confirmations(self.hass)
        asked.listen(self._awaiting)
        self._awaiting(asked.waiting)

    @callback
    def _awaiting(self, waiting: bool) -> None:
        """Listen for "yes" and "no" while (and only while) a conversation was asked."""
        if waiting and not self._answers:
            self._answers = [
                self._register(self._sentences[name], self._runner(name))
                for name in sorted(ANSWERS)
                if name in self._sentences
            ]
        elif not waiting:
            for unregister in self._answers:
                unregister()
            self._answers = []

    def _runner(self, intent_type: str) -> TriggerCallback:
        async def run(user_input: ConversationInput, result: RecognizeResult) -> str:
            return await self._answer(intent_type, user_input, result)

        return run

    async def _answer(
        self, intent_type: str, user_input: ConversationInput, result: RecognizeResult
    ) -> str:
        """Run `intent_type` with the slots said, as the speaker; what it says."""
        slots = {
            name: {
                "value": entity.value.strip() if isinstance(entity.value, str) else entity.value,
                "text": entity.text.strip(),
            }
            for name, entity in result.entities.items()
        }
        try:
            response = await intent.async_handle(
                self.hass, DOMAIN, intent_type, slots,
                text_input=user_input.text, context=user_input.context,
                language=user_input.language, assistant="conversation",
                device_id=user_input.device_id, satellite_id=user_input.satellite_id,
                conversation_agent_id=user_input.agent_id,
            )  # fmt: skip
        except intent.IntentHandleError as err:  # refused, with a sentence meant to be said
            return str(err)
        except intent.IntentError:  # Home Assistant has logged what went wrong
            return FAILED
        speech: str = response.speech.get("plain", {}).get("speech", "")
        return speech
