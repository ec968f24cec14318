"""The Stash client against the Stash emulator: validation, scenes, images, failures, cache."""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
import pytest

from custom_components.videodrome.engine.availability import Availability, is_outage
from custom_components.videodrome.engine.errors import ServiceAnswerError
from custom_components.videodrome.engine.stash import client as client_module
from custom_components.videodrome.engine.stash.client import StashClient, error_key
from custom_components.videodrome.engine.stash.errors import (
    NotStashError,
    StashAuthError,
    StashConnectionError,
    StashError,
    StashGraphQLError,
    StashNotFoundError,
    StashProtocolError,
    StashTimeoutError,
)
from custom_components.videodrome.engine.stash.images import ImageKind
from tests.engine.stash.conftest import STASH_KEY

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from tests.emulators.stash import StashEmulator

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback
HARBOUR = "Coastal.Journeys.E01.Harbour.at.Dawn.1080p.mp4"


def stash(
    session: aiohttp.ClientSession, emulator: StashEmulator, key: str = STASH_KEY, **kwargs: object
) -> StashClient:
    return StashClient(session, emulator.url, key, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def other_graphql(socket_enabled: None) -> AsyncIterator[str]:
    """A GraphQL server that is not Stash: it knows no `version` (and says so as 422)."""

    async def graphql(_request: web.Request) -> web.Response:
        body = {"errors": [{"message": 'Cannot query field "version" on type "Query".'}]}
        return web.json_response(body, status=422)

    app = web.Application()
    app.router.add_post("/graphql", graphql)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


# ---- validation (the options flow's check) ------------------------------------------------


async def test_validate_with_the_key(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    info = await stash(session, stash_emulator).validate()
    assert (info.version, info.hash, info.status, info.ready) == (
        "v0.30.1",
        "cf3489efd",
        "OK",
        True,
    )
    assert stash_emulator.operations() == ["VideodromeVersion"]
    assert stash_emulator.requests[-1].with_key


async def test_a_wrong_key_is_invalid_auth(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    with pytest.raises(StashAuthError) as caught:
        await stash(session, stash_emulator, "not-the-key").validate()
    assert error_key(caught.value) == "invalid_auth"
    assert isinstance(caught.value, ServiceAnswerError)
    assert not is_outage(caught.value)


async def test_no_key_where_one_is_needed_is_invalid_auth(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    with pytest.raises(StashAuthError) as caught:
        await stash(session, stash_emulator, "").validate()
    assert "401" in str(caught.value)
    assert not stash_emulator.requests[-1].with_key


async def test_stash_without_authentication_needs_no_key(
    session: aiohttp.ClientSession, open_stash: StashEmulator
) -> None:
    client = stash(session, open_stash, "  ")  # blank: no key
    assert (await client.validate()).ready
    assert [s.id for s in await client.scenes_by_file_name(HARBOUR)] == ["1"]
    assert not any(r.with_key for r in open_stash.requests)


async def test_a_key_stash_does_not_have_is_invalid_auth(
    session: aiohttp.ClientSession, open_stash: StashEmulator
) -> None:
    """As Stash does: a key sent to a Stash without authentication is refused."""
    with pytest.raises(StashAuthError):
        await stash(session, open_stash, "a-key").validate()


async def test_stash_not_set_up_is_not_ready(
    session: aiohttp.ClientSession, open_stash: StashEmulator
) -> None:
    open_stash.status = "NEEDS_MIGRATION"
    info = await stash(session, open_stash, "").validate()
    assert (info.status, info.ready) == ("NEEDS_MIGRATION", False)


async def test_an_unreachable_address_is_cannot_connect(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    client = StashClient(session, NOWHERE, STASH_KEY)
    with pytest.raises(StashConnectionError) as caught:
        await client.validate()
    assert error_key(caught.value) == "cannot_connect"
    assert is_outage(caught.value)
    assert caught.value.__cause__ is None  # aiohttp's error (and its request) left behind


async def test_another_web_server_is_not_stash(
    session: aiohttp.ClientSession, router_page: str
) -> None:
    with pytest.raises(NotStashError) as caught:
        await StashClient(session, router_page).validate()
    assert error_key(caught.value) == "not_stash"
    assert "not JSON" in str(caught.value)


async def test_a_wrong_path_is_not_stash(
    session: aiohttp.ClientSession, open_stash: StashEmulator
) -> None:
    """Stash itself, under a path where it is not: nothing answers GraphQL there."""
    with pytest.raises(NotStashError, match="404"):
        await StashClient(session, f"{open_stash.url}/stash").validate()
    assert open_stash.requests[-1].path == "/stash/graphql"


async def test_another_graphql_server_is_not_stash(
    session: aiohttp.ClientSession, other_graphql: str
) -> None:
    with pytest.raises(NotStashError) as caught:
        await StashClient(session, other_graphql).validate()
    assert isinstance(caught.value.__cause__, StashGraphQLError)
    assert error_key(caught.value) == "not_stash"


def test_error_keys_for_every_failure() -> None:
    assert error_key(StashAuthError("x")) == "invalid_auth"
    assert error_key(NotStashError("x")) == "not_stash"
    assert error_key(StashProtocolError("x")) == "not_stash"
    assert error_key(StashGraphQLError("x")) == "not_stash"
    assert error_key(StashTimeoutError("x")) == "cannot_connect"
    assert error_key(StashConnectionError("x")) == "cannot_connect"


def test_the_url_is_checked_and_a_pasted_endpoint_is_fine(
    session: aiohttp.ClientSession,
) -> None:
    with pytest.raises(ValueError, match="http://host:9999"):
        StashClient(session, "stash.local:9999")
    with pytest.raises(ValueError, match="http://host:9999"):
        StashClient(session, "ftp://stash.local")
    client = StashClient(session, " http://stash.local:9999/graphql?x=1#top ", "k")
    assert client.url == "http://stash.local:9999/"
    proxied = StashClient(session, "https://proxy.example/stash/")
    assert proxied.url == "https://proxy.example/stash"
    with pytest.raises(ValueError, match="cache lifetime"):
        StashClient(session, "http://stash.local:9999", cache_ttl=-1)


# ---- scenes -------------------------------------------------------------------------------


async def test_a_scene_by_its_file_name(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    (scene,) = await stash(session, stash_emulator).scenes_by_file_name(HARBOUR)
    assert (scene.id, scene.title, scene.date, scene.rating100) == (
        "1", "Harbour at Dawn", "2024-05-17", 84,
    )  # fmt: skip
    assert scene.details == "Fishing boats leave the harbour as the sun comes up."
    assert scene.studio is not None
    assert scene.studio.name == "Northlight Films"
    assert [(p.name, p.has_image) for p in scene.performers] == [
        ("Ada Marsh", True), ("Tomas Reyes", True),
    ]  # fmt: skip
    assert [t.name for t in scene.tags] == ["Outdoors", "Documentary"]
    assert [(g.name, g.has_front_image, g.scene_index) for g in scene.groups] == [
        ("Coastal Journeys", True, 1)
    ]
    assert scene.file_name == HARBOUR
    assert scene.files[0].duration == 1732.5
    assert scene.has_screenshot
    query = stash_emulator.queries[-1]
    assert query.operation == "VideodromeScenesByPath"
    assert query.variables == {"path": f'"{HARBOUR}"', "page": 1, "perPage": 40}


async def test_the_folder_of_a_name_is_ignored(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = stash(session, stash_emulator)
    found = await client.scenes_by_file_name(f"Movies\\Elsewhere/{HARBOUR}")
    assert [s.id for s in found] == ["1"]
    assert await client.scenes_by_file_name("") == ()
    assert await client.scenes_by_file_name("folder/") == ()
    assert await client.scenes_by_file_name("x" * 256) == ()
    assert len(stash_emulator.queries) == 1


async def test_a_name_with_spaces_is_one_phrase(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    """Unquoted, Stash would match any of the words ("old", "tape", "1987.avi")."""
    found = await stash(session, stash_emulator).scenes_by_file_name("old tape 1987.avi")
    assert [s.id for s in found] == ["4"]
    assert stash_emulator.queries[-1].variables["path"] == '"old tape 1987.avi"'


async def test_a_scene_without_a_title(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    scene = await stash(session, stash_emulator).scene("3")
    assert (scene.title, scene.details, scene.date, scene.rating100) == (None, None, None, None)
    assert scene.file_name == "city_lights_night_walk.mkv"
    assert [(p.name, p.has_image) for p in scene.performers] == [("June Okafor", False)]
    assert [(g.name, g.has_front_image, g.scene_index) for g in scene.groups] == [
        ("City Lights", False, None)
    ]


async def test_a_scene_that_does_not_exist(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = stash(session, stash_emulator)
    with pytest.raises(StashNotFoundError, match="999"):
        await client.scene("999")
    with pytest.raises(StashNotFoundError):
        await client.scene("../1")
    assert stash_emulator.operations() == ["VideodromeScene"]  # the odd id was not asked


# ---- images -------------------------------------------------------------------------------


async def test_images_are_fetched_with_the_key(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = stash(session, stash_emulator)
    for kind, object_id, path in (
        (ImageKind.SCREENSHOT, "1", "/scene/1/screenshot"),
        (ImageKind.PERFORMER, "2", "/performer/2/image"),
        (ImageKind.GROUP_FRONT, "1", "/group/1/frontimage"),
        (ImageKind.STUDIO, "1", "/studio/1/image"),
    ):
        image = await client.image(kind, object_id)
        assert image.content_type == "image/jpeg"
        assert image.body[:3] == b"\xff\xd8\xff"
        assert (stash_emulator.requests[-1].path, stash_emulator.requests[-1].with_key) == (
            path, True,
        )  # fmt: skip


async def test_image_failures(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator, router_page: str
) -> None:
    client = stash(session, stash_emulator)
    with pytest.raises(StashNotFoundError):
        await client.image(ImageKind.SCREENSHOT, "4")  # no screenshot generated
    with pytest.raises(StashNotFoundError):
        await client.image(ImageKind.PERFORMER, "x1")
    with pytest.raises(StashAuthError, match="login page"):
        await stash(session, stash_emulator, "").image(ImageKind.SCREENSHOT, "1")
    with pytest.raises(StashProtocolError, match="not an image"):
        await StashClient(session, router_page).image(ImageKind.SCREENSHOT, "1")


async def test_an_image_too_large_is_refused(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_IMAGE_BYTES", 1000)
    with pytest.raises(StashProtocolError, match="too large"):
        await stash(session, stash_emulator).image(ImageKind.SCREENSHOT, "1")


async def test_an_answer_too_large_is_refused(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 50)
    with pytest.raises(StashProtocolError, match="too large"):
        await stash(session, stash_emulator).validate()


@pytest.fixture
async def odd_graphql(socket_enabled: None) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server answering /graphql with the next of its bodies, 200, chunked (no length)."""
    bodies: list[bytes] = []

    async def graphql(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(bodies.pop(0))
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/graphql", graphql)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", bodies
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("body", "call", "error", "message"),
    [
        (b'{"data": {"version": {"version": "1"}}}', "validate", NotStashError, "version"),
        (b'{"data": null}', "validate", NotStashError, "no data"),
        (b"[1, 2]", "validate", NotStashError, "not GraphQL"),
        (b'{"errors": "odd"}', "scene", StashGraphQLError, "no message"),
        (b'{"data": {"findScenes": null}}', "scenes", StashProtocolError, "without scenes"),
        (b'{"data": {"findScene": "text"}}', "scene", StashProtocolError, "not a scene"),
        (b'{"data": {"findScene": {"id": "1"}}, "x": "' + b"y" * 9000 + b'"}', "scene",
         StashProtocolError, "too large"),
    ],
)  # fmt: skip
async def test_answers_that_are_not_stashs(
    session: aiohttp.ClientSession,
    odd_graphql: tuple[str, list[bytes]],
    monkeypatch: pytest.MonkeyPatch,
    body: bytes,
    call: str,
    error: type[StashError],
    message: str,
) -> None:
    monkeypatch.setattr(client_module, "MAX_ANSWER_BYTES", 8000)  # read as it comes in
    url, bodies = odd_graphql
    bodies.append(body)
    client = StashClient(session, url)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "validate": client.validate,
        "scene": lambda: client.scene("1"),
        "scenes": lambda: client.scenes_by_file_name("x.mp4"),
    }
    with pytest.raises(error, match=message):
        await calls[call]()


async def test_a_redirect_elsewhere_is_not_stash(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    async def moved(_request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("https://stash.example/graphql")

    app = web.Application()
    app.router.add_post("/graphql", moved)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        with pytest.raises(NotStashError, match="http/https"):
            await StashClient(session, f"http://{host}:{port}").validate()
    finally:
        await runner.cleanup()


# ---- faults -------------------------------------------------------------------------------


async def test_faults_become_typed_errors(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = stash(session, stash_emulator, cache_ttl=0, request_timeout=0.2)
    faults = stash_emulator.faults
    faults.fail_next = 1
    with pytest.raises(StashConnectionError, match="500"):
        await client.scenes_by_file_name(HARBOUR)
    faults.fail_next, faults.fail_status = 1, 502
    with pytest.raises(StashConnectionError, match="502"):
        await client.image(ImageKind.SCREENSHOT, "1")
    faults.graphql_errors_next = 1
    with pytest.raises(StashGraphQLError, match="database is locked") as graphql_error:
        await client.scene("1")
    assert not is_outage(graphql_error.value)
    faults.drop_next = 1
    with pytest.raises(StashConnectionError, match="cannot reach Stash"):
        await client.scene("1")
    faults.malformed_next = 1
    with pytest.raises(NotStashError, match="not JSON"):
        await client.scene("1")
    faults.latency = 1.0
    with pytest.raises(StashTimeoutError, match="in time"):
        await client.scene("1")
    faults.latency = 0.0
    assert (await client.scene("1")).title == "Harbour at Dawn"


async def test_availability_hears_of_outages_and_returns(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    availability = Availability("Stash")
    client = stash(session, stash_emulator, cache_ttl=0, availability=availability)
    stash_emulator.faults.fail_next = 1
    states = []
    with pytest.raises(StashConnectionError):
        await client.scene("1")
    states.append(availability.available)
    await client.scene("1")
    states.append(availability.available)
    with pytest.raises(StashNotFoundError):
        await client.scene("999")  # an answer: Stash is there
    states.append(availability.available)
    assert states == [False, True, True]
    assert "Stash is unavailable: Stash answered 500" in caplog.text


# ---- the cache ----------------------------------------------------------------------------


async def test_answers_are_cached_for_their_lifetime(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    now = [0.0]
    client = stash(session, stash_emulator, cache_ttl=300, clock=lambda: now[0])
    for _ in range(3):
        await client.scenes_by_file_name(HARBOUR)
        await client.scene("2")
        await client.image(ImageKind.SCREENSHOT, "2")
    assert len(stash_emulator.requests) == 3
    cached = await client.image(ImageKind.SCREENSHOT, "2")
    assert (cached.content_type, cached.body[:3]) == ("image/jpeg", b"\xff\xd8\xff")
    now[0] = 299.0
    await client.scene("2")
    assert len(stash_emulator.requests) == 3
    now[0] = 300.0
    await client.scene("2")
    assert len(stash_emulator.requests) == 4
    client.clear_cache()
    await client.scenes_by_file_name(HARBOUR)
    assert len(stash_emulator.requests) == 5


async def test_a_lifetime_of_0_turns_the_cache_off(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = stash(session, stash_emulator, cache_ttl=0)
    for _ in range(3):
        await client.scene("2")
        await client.image(ImageKind.PERFORMER, "1")
    assert len(stash_emulator.requests) == 6
    assert len(client.cache) == 0


async def test_validation_is_never_cached(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = stash(session, stash_emulator)
    await client.validate()
    stash_emulator.api_key = "rotated"
    with pytest.raises(StashAuthError):
        await client.validate()


async def test_failures_are_not_cached(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = stash(session, stash_emulator)
    stash_emulator.faults.graphql_errors_next = 1
    with pytest.raises(StashGraphQLError):
        await client.scene("1")
    assert (await client.scene("1")).id == "1"


# ---- the key stays secret -----------------------------------------------------------------


async def test_the_key_is_never_in_a_log_line_an_error_or_a_repr(
    session: aiohttp.ClientSession,
    stash_emulator: StashEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    availability = Availability("Stash")
    client = stash(session, stash_emulator, cache_ttl=0)
    # A short timeout only where one is wanted: a loaded machine may stall the loop that long.
    impatient = stash(session, stash_emulator, cache_ttl=0, request_timeout=0.2)
    client_of_nothing = StashClient(session, NOWHERE, STASH_KEY)
    with_availability = stash(session, stash_emulator, availability=availability, cache_ttl=0)
    faults = stash_emulator.faults
    errors: list[StashError] = []

    async def fails(work: object) -> None:
        try:
            await work  # type: ignore[misc]
        except StashError as err:
            errors.append(err)

    await client.validate()
    await client.scenes_by_file_name(HARBOUR)
    await client.image(ImageKind.SCREENSHOT, "1")
    for knob in ("fail_next", "graphql_errors_next", "drop_next", "malformed_next"):
        setattr(faults, knob, 1)
        await fails(client.scene("1"))
        setattr(faults, knob, 1)
        await fails(with_availability.scene("1"))
    faults.latency = 1.0
    await fails(impatient.scene("1"))
    faults.latency = 0.0
    await fails(client.scene("999"))
    await fails(client_of_nothing.validate())
    await fails(client_of_nothing.image(ImageKind.SCREENSHOT, "1"))
    stash_emulator.api_key = "rotated"
    await fails(client.validate())
    await fails(client.image(ImageKind.SCREENSHOT, "1"))
    assert len(errors) == 14
    texts = [repr(client), repr(impatient), repr(client_of_nothing), str(availability.reason)]
    texts.append(caplog.text)
    texts += [r.getMessage() for r in caplog.records]
    for err in errors:
        texts += [str(err), repr(err), "".join(traceback.format_exception(err))]
    assert any("Stash" in t for t in texts)
    assert not [t for t in texts if STASH_KEY in t or "stash-test-api-key" in t]


# ---- hooks: who hears of each request, who may refuse one ---------------------------------


async def test_on_result_hears_how_every_request_ended(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    heard: list[type[StashError] | None] = []
    client = stash(
        session, stash_emulator, cache_ttl=0, on_result=lambda e: heard.append(e and type(e))
    )
    await client.scene("1")
    stash_emulator.api_key = "rotated"
    with pytest.raises(StashAuthError):
        await client.scene("1")
    stash_emulator.faults.fail_next = 1
    with pytest.raises(StashConnectionError):
        await client.validate()
    assert heard == [None, StashAuthError, StashConnectionError]


async def test_the_callers_gate_sees_each_request_that_goes_out(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    asked: list[str] = []

    async def gate(what: str) -> None:
        asked.append(what)
        if len(asked) > 2:
            raise LookupError("refused by the caller")

    client = stash(session, stash_emulator)
    token = client_module.request_gate.set(gate)
    try:
        await client.scene("1")
        await client.scene("1")  # from the cache: not a request
        await client.image(ImageKind.SCREENSHOT, "1")
        with pytest.raises(LookupError):
            await client.scene("2")
    finally:
        client_module.request_gate.reset(token)
    assert asked == ["VideodromeScene", "/scene/1/screenshot", "VideodromeScene"]
    assert len(stash_emulator.requests) == 2
    await client.scene("2")  # without the gate
    assert len(stash_emulator.requests) == 3
