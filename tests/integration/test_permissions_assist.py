"""Who may do what beyond the services (issue 19): the review websocket, LLM tools, Assist.

The websocket command answers every user: administrators as before plus `can_decide: true`,
others without absolute paths and with `can_decide: false`. LLM tools and intents act with
the rights of the user they serve: an admin-only one, or one whose service call is
refused, says only an administrator may; a non-admin's answer carries no absolute paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from homeassistant.helpers import intent, llm
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import CLIENT_ID

from custom_components.videodrome.const import CONF_LLM_SCAN, DOMAIN
from custom_components.videodrome.llm_api import VideodromeTool
from custom_components.videodrome.permissions import ADMIN_ONLY_MESSAGE
from custom_components.videodrome.spoken import VideodromeIntentHandler
from tests.entities import settle
from tests.permissions import absolute_paths, context_of, plain_user, store_rows, tree
from tests.polling import until
from tests.services import drop_file

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.auth.models import User
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator


@pytest.fixture
async def busy_entry(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    media_root: Path,
    tmp_path: Path,
) -> MockConfigEntry:
    """Ingest on (and the LLM scan tool), one file filed with a subtitle, one queued."""
    entry = make_ingest_entry(**{CONF_LLM_SCAN: True})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for name in ("Titanic.1997.1080p.BluRay.x264-GRP.mkv", "Dune.mkv"):
        await hass.services.async_call(
            DOMAIN, "ingest", {"path": str(drop_file(tmp_path, name))}, blocking=True
        )
    await settle(hass)
    return entry


async def _token(hass: HomeAssistant, user: User) -> str:
    refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    return hass.auth.async_create_access_token(refresh)


async def _review(ws: Any) -> dict[str, Any]:
    await ws.send_json_auto_id({"type": f"{DOMAIN}/review", "recent": 10})
    response: dict[str, Any] = await ws.receive_json()
    assert response["success"], response
    result: dict[str, Any] = response["result"]
    return result


def _shape(answer: Any) -> Any:
    """The answer with every string made the same: what stays when only paths differ."""
    if isinstance(answer, dict):
        return {key: _shape(value) for key, value in answer.items()}
    if isinstance(answer, list):
        return [_shape(value) for value in answer]
    return "str" if isinstance(answer, str) else answer


async def _absolute_target(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Give the filed item an absolute target, as a path field may hold; return it.

    Today's targets are relative to the library root; the non-admin form must not depend
    on that.
    """
    runtime = entry.runtime_data.ingest
    assert runtime is not None
    (titanic,) = await hass.async_add_executor_job(lambda: runtime.store.history(status="ingested"))
    destination: str | None = titanic.destination
    assert destination is not None
    await hass.async_add_executor_job(
        lambda: runtime.store.update_item(titanic.id, target=destination)
    )
    return destination


async def test_review_websocket_for_administrators_and_others(
    hass: HomeAssistant,
    busy_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """Admins: as before, `can_decide` true. Others: no absolute path, `can_decide` false."""
    absolute = await _absolute_target(hass, busy_entry)
    admin = await _review(await hass_ws_client(hass))
    assert admin.pop("can_decide") is True
    assert set(admin) == {"config_entry_id", "title", "ingest", "count", "queue", "recent"}
    (titanic,) = admin["recent"]
    assert titanic["target"] == absolute  # as the store has it
    assert titanic["file"] == "Titanic.1997.1080p.BluRay.x264-GRP.mkv"

    plain = await _token(hass, await plain_user(hass))
    for token in (hass_read_only_access_token, plain):
        other = await _review(await hass_ws_client(hass, access_token=token))
        assert other.pop("can_decide") is False
        assert absolute_paths(other, [tmp_path, media_root]) == []
        assert _shape(other) == _shape(admin)  # only strings differ
        assert other["queue"] == admin["queue"]  # file names and TMDb posters: nothing to hide
        (relative,) = other["recent"]
        assert relative["target"] == "Titanic (1997) {tmdb-597}/Titanic (1997) - 1080p Blu-ray.mkv"
        assert {**relative, "target": absolute} == titanic


class _AdminOnlyTool(VideodromeTool):
    """A tool that would change something: marked admin-only."""

    name = "test_admin_only"
    description = "Test: admin-only."
    admin_only: ClassVar[bool] = True

    async def _async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        del hass, args, llm_context
        return llm.ToolResult({"done": True})


class _RejectTool(VideodromeTool):
    """A tool that calls an admin service with the user's context ("reject it")."""

    name = "test_reject"
    description = "Test: rejects an item."
    parameters = vol.Schema({vol.Required("item_id"): int})

    async def _async_run(
        self, hass: HomeAssistant, args: dict[str, Any], llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        response = await hass.services.async_call(
            DOMAIN, "reject", args, blocking=True, return_response=True,
            context=llm_context.context,
        )  # fmt: skip
        return llm.ToolResult(dict(response or {}))


async def _api(hass: HomeAssistant, entry: MockConfigEntry, user: User | None) -> llm.APIInstance:
    """Videodrome's API as a conversation agent gets it for `user`, with the test tools."""
    context = llm.LLMContext(
        platform="test", context=context_of(user), language="en", assistant="conversation",
        device_id=None,
    )  # fmt: skip
    api = await llm.async_get_api(hass, f"{DOMAIN}-{entry.entry_id}", context)
    api.tools += [_AdminOnlyTool(entry), _RejectTool(entry)]
    return api


async def _tool(api: llm.APIInstance, tool: str, **args: Any) -> llm.ToolResult:
    return await api.async_call_tool(llm.ToolInput(tool_name=tool, tool_args=args))


async def _answer(api: llm.APIInstance, tool: str, **args: Any) -> Any:
    """A tool's answer, which must not be an error."""
    result = await _tool(api, tool, **args)
    assert not result.error, (tool, result.data)
    return result.data


async def test_llm_tools_with_the_users_rights(
    hass: HomeAssistant,
    busy_entry: MockConfigEntry,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """A non-admin: admin-only tools refused, paths gone; admins and no user: as before."""
    absolute = await _absolute_target(hass, busy_entry)
    index = busy_entry.runtime_data.library.index
    await until(lambda: index.loaded, between=hass.async_block_till_done)
    runtime = busy_entry.runtime_data.ingest
    assert runtime is not None
    (queued,) = runtime.store.review_queue()
    rows = await hass.async_add_executor_job(store_rows, runtime.store)
    files = await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root)

    for user in (hass_read_only_user, await plain_user(hass)):
        api = await _api(hass, busy_entry, user)
        for name, args in (("test_admin_only", {}), ("test_reject", {"item_id": queued.id})):
            refused = await _tool(api, name, **args)
            assert refused.error
            assert refused.data == {"error": ADMIN_ONLY_MESSAGE}
        answers = {
            "check_library": await _answer(api, "check_library", title="The Matrix"),
            "recent_ingests": await _answer(api, "recent_ingests"),
            "review_queue": await _answer(api, "review_queue"),
            "identify": await _answer(api, "identify", name="Titanic.1997.mkv"),
            "scan": await _answer(api, "scan", library="Movies"),  # any user may scan
        }
        for name, answer in answers.items():
            assert absolute_paths(answer, [tmp_path, media_root]) == [], name
        (matrix,) = answers["check_library"]["items"]
        assert all(f.startswith("The Matrix (1999)/") for f in matrix["files"])
        recent = {item["title"]: item for item in answers["recent_ingests"]["items"]}
        assert recent["Titanic"]["target"] == (
            "Titanic (1997) {tmdb-597}/Titanic (1997) - 1080p Blu-ray.mkv"
        )
        assert answers["scan"]["scans"][0]["library"] == "Movies"
    assert await hass.async_add_executor_job(store_rows, runtime.store) == rows
    assert await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root) == files

    for user in (hass_admin_user, None):
        api = await _api(hass, busy_entry, user)
        assert await _answer(api, "test_admin_only") == {"done": True}
        matrix = (await _answer(api, "check_library", title="The Matrix"))["items"][0]
        assert all(f.startswith(str(media_root / "Movies")) for f in matrix["files"])
        recent = {i["title"]: i for i in (await _answer(api, "recent_ingests"))["items"]}
        assert recent["Titanic"]["target"] == absolute
    api = await _api(hass, busy_entry, hass_admin_user)
    assert (await _answer(api, "test_reject", item_id=queued.id))["status"] == "rejected"


class _AdminOnlyIntent(VideodromeIntentHandler):
    """An intent that would change something: marked admin-only."""

    intent_type = "TestVideodromeAdminOnly"
    admin_only: ClassVar[bool] = True

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        response = intent_obj.create_response()
        response.async_set_speech("Done.")
        return response


class _RejectByVoice(VideodromeIntentHandler):
    """ "Reject the queued file": an admin service called with the speaker's context."""

    intent_type = "TestVideodromeReject"
    slot_schema: ClassVar[dict[Any, Any]] = {vol.Required("item_id"): int}

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        slots = self.async_validate_slots(intent_obj.slots)
        await intent_obj.hass.services.async_call(
            DOMAIN, "reject", {"item_id": slots["item_id"]["value"]}, blocking=True,
            context=intent_obj.context,
        )  # fmt: skip
        response = intent_obj.create_response()
        response.async_set_speech("Rejected.")
        return response


class _WhereIsItIntent(VideodromeIntentHandler):
    """ "Where did Titanic go?": an answer that names a path."""

    intent_type = "TestVideodromeWhere"

    async def _async_answer(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        entry = intent_obj.hass.config_entries.async_loaded_entries(DOMAIN)[0]
        runtime = entry.runtime_data.ingest
        (titanic,) = await intent_obj.hass.async_add_executor_job(
            lambda: runtime.store.history(status="ingested")
        )
        response = intent_obj.create_response()
        response.async_set_speech(f"It went to {titanic.destination}.")
        response.async_set_speech_slots({"where": titanic.destination})
        return response


async def test_intents_with_the_users_rights(
    hass: HomeAssistant,
    assist: None,
    busy_entry: MockConfigEntry,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """Non-admins: admin-only intents refused with a sentence, paths gone from speech."""
    for handler in (_AdminOnlyIntent(), _RejectByVoice(), _WhereIsItIntent()):
        intent.async_register(hass, handler)
    runtime = busy_entry.runtime_data.ingest
    assert runtime is not None
    (queued,) = runtime.store.review_queue()
    rows = await hass.async_add_executor_job(store_rows, runtime.store)
    files = await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root)
    destination = str(
        media_root / "Movies" / "Titanic (1997) {tmdb-597}" / "Titanic (1997) - 1080p Blu-ray.mkv"
    )

    async def handle(user: User | None, intent_type: str, **slots: Any) -> intent.IntentResponse:
        return await intent.async_handle(
            hass, "test", intent_type, {k: {"value": v} for k, v in slots.items()},
            context=context_of(user),
        )  # fmt: skip

    for user in (hass_read_only_user, await plain_user(hass)):
        with pytest.raises(intent.IntentHandleError, match="Only a Home Assistant administrator"):
            await handle(user, "TestVideodromeAdminOnly")
        with pytest.raises(intent.IntentHandleError, match="Only a Home Assistant administrator"):
            await handle(user, "TestVideodromeReject", item_id=queued.id)
        where = await handle(user, "TestVideodromeWhere")
        assert where.speech["plain"]["speech"] == (
            "It went to Titanic (1997) {tmdb-597}/Titanic (1997) - 1080p Blu-ray.mkv."
        )
        assert where.speech_slots == {
            "where": "Titanic (1997) {tmdb-597}/Titanic (1997) - 1080p Blu-ray.mkv"
        }
        for intent_type, slots in (
            ("VideodromeReviewQueue", {}),
            ("VideodromeCheckLibrary", {"title": "The Matrix"}),
            ("VideodromeScanLibrary", {"library": "Movies"}),  # any user may scan
        ):
            said = (await handle(user, intent_type, **slots)).as_dict()
            assert said["response_type"] != "error", intent_type
            assert absolute_paths(said, [tmp_path, media_root]) == [], intent_type
    assert await hass.async_add_executor_job(store_rows, runtime.store) == rows
    assert await hass.async_add_executor_job(tree, tmp_path / "ingest", media_root) == files

    for user in (hass_admin_user, None):
        assert (await handle(user, "TestVideodromeAdminOnly")).speech["plain"]["speech"] == "Done."
        where = await handle(user, "TestVideodromeWhere")
        assert where.speech["plain"]["speech"] == f"It went to {destination}."
    rejected = await handle(hass_admin_user, "TestVideodromeReject", item_id=queued.id)
    assert rejected.speech["plain"]["speech"] == "Rejected."
    assert runtime.store.review_queue() == []
