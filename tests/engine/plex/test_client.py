"""The async Plex client against the emulator: every call, paging, errors, and no token leaks."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp
import pytest

from custom_components.videodrome.engine.plex.client import ClientInfo, PlexClient
from custom_components.videodrome.engine.plex.errors import (
    PlexAuthError,
    PlexConnectionError,
    PlexNotFoundError,
    PlexProtocolError,
    PlexTimeoutError,
)
from custom_components.videodrome.engine.plex.models import TYPE_EPISODE, TYPE_SEASON
from tests.conftest import PLEX_TOKEN

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from tests.emulators.plex import PlexEmulator


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def client(plex_emulator: PlexEmulator, session: aiohttp.ClientSession) -> PlexClient:
    return PlexClient(
        url=plex_emulator.url,
        token=PLEX_TOKEN,
        session=session,
        client=ClientInfo(identifier="test-client", version="9.9"),
    )


async def test_identity_reads_the_server_root(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    identity = await client.identity()
    assert identity.machine_identifier == plex_emulator.machine_identifier
    assert identity.friendly_name == "Videodrome Demo"
    assert identity.version == plex_emulator.version
    assert identity.platform == "Linux"


async def test_every_request_carries_the_client_headers(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    headers = client.headers()
    assert headers["X-Plex-Client-Identifier"] == "test-client"
    assert headers["X-Plex-Product"] == "Videodrome"
    assert headers["X-Plex-Version"] == "9.9"
    assert headers["Accept"] == "application/json"
    assert "Accept" not in client.headers(json=False)
    await client.identity()
    assert all("X-Plex-Token" not in r.query for r in plex_emulator.requests)


async def test_sections_list_their_locations(client: PlexClient, media_root: Path) -> None:
    sections = await client.sections()
    assert [(s.key, s.title, s.type) for s in sections] == [
        (1, "Movies", "movie"),
        (2, "TV Shows", "show"),
    ]
    assert sections[0].locations == (str(media_root / "Movies"),)
    assert sections[0].scanned_at is not None
    assert not sections[0].refreshing
    assert sections[0].agent == "tv.plex.agents.movie"


async def test_pages_cover_every_item_exactly_once(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    expected = [str(i.rating_key) for i in plex_emulator.library.section_items(1, None)]
    items = [item async for item in client.iter_section_items(1, page_size=5)]
    assert [item["ratingKey"] for item in items] == expected
    pages = [r for r in plex_emulator.requests if r.path == "/library/sections/1/all"]
    assert len(pages) == -(-len(expected) // 5)
    assert all(r.query["includeGuids"] == "1" for r in pages)


async def test_a_page_carries_guids_and_the_total(client: PlexClient) -> None:
    page = await client.section_items(1, start=2, size=3)
    assert len(page.items) == 3
    assert page.offset == 2
    assert page.total_size == 24
    assert all(item["Guid"][0]["id"].startswith("tmdb://") for item in page.items)


async def test_section_size_fetches_no_items(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    library = plex_emulator.library
    assert await client.section_size(2) == len(library.section_items(2, None))
    assert await client.section_size(2, TYPE_EPISODE) == len(library.section_items(2, 4))
    assert await client.section_size(2, TYPE_SEASON) == len(library.section_items(2, 3))
    last = plex_emulator.requests[-1]
    assert last.query["X-Plex-Container-Size"] == "0"
    assert "includeGuids" not in last.query


async def test_an_empty_section_iterates_to_nothing(
    client: PlexClient, plex_emulator: PlexEmulator, tmp_path: Path
) -> None:
    section = plex_emulator.library.add_section("Empty", "movie", [str(tmp_path)])
    assert [item async for item in client.iter_section_items(section.key)] == []


async def test_metadata_children_and_leaves_of_a_show(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    show = next(i for i in plex_emulator.library.items.values() if i.title == "Breaking Bad")
    detail = await client.metadata(show.rating_key)
    assert detail["title"] == "Breaking Bad"
    assert detail["leafCount"] == 7 + 13 + 5
    assert detail["viewedLeafCount"] == 7
    seasons = await client.children(show.rating_key)
    assert [s["index"] for s in seasons] == [1, 2, 3]
    episodes = await client.all_leaves(show.rating_key)
    assert len(episodes) == 25
    assert episodes[0]["Media"][0]["Part"][0]["file"].endswith(".mkv")
    with pytest.raises(PlexNotFoundError):
        await client.metadata(999999)


async def test_a_partial_scan_runs_and_shows_in_activities(
    client: PlexClient, plex_emulator: PlexEmulator, media_root: Path
) -> None:
    plex_emulator.faults.scan_duration = 0.3
    folder = media_root / "Movies" / "Heat (1995)"
    await client.scan(1, str(folder))
    activities = await client.activities()
    assert len(activities) == 1
    assert activities[0].is_scan
    assert activities[0].section_key == 1
    sections = await client.sections()
    assert sections[0].refreshing
    await client.cancel_scan(1)
    await plex_emulator.wait_for_scans()
    assert await client.activities() == []
    refresh = [r for r in plex_emulator.requests if r.path == "/library/sections/1/refresh"]
    assert [(r.method, r.query.get("path")) for r in refresh] == [
        ("GET", str(folder)),
        ("DELETE", None),
    ]


async def test_sessions_name_users_and_players(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    assert await client.sessions() == []
    await plex_emulator.add_session("Pilot", grandparent_title="Breaking Bad", user="bob")
    [session] = await client.sessions()
    assert (session.title, session.user, session.state) == (
        "Breaking Bad - Pilot",
        "bob",
        "playing",
    )


async def test_a_wrong_token_is_an_auth_error(
    plex_emulator: PlexEmulator, session: aiohttp.ClientSession
) -> None:
    client = PlexClient(url=plex_emulator.url, token="wrong", session=session)
    with pytest.raises(PlexAuthError):
        await client.sections()


@pytest.mark.parametrize(
    ("knob", "error", "message"),
    [
        ("fail_next", PlexProtocolError, "answered 500"),
        ("malformed_next", PlexProtocolError, "malformed JSON"),
        ("drop_next", PlexConnectionError, "cannot reach Plex"),
    ],
)
async def test_server_faults_become_typed_errors(
    client: PlexClient, plex_emulator: PlexEmulator, knob: str, error: type, message: str
) -> None:
    # aiohttp retries once on a reused connection that drops; a burst beats that retry.
    setattr(plex_emulator.faults, knob, 5)
    with pytest.raises(error, match=message):
        await client.sections()
    setattr(plex_emulator.faults, knob, 0)
    assert await client.sections()  # fine again once the server is


async def test_a_slow_server_times_out(
    plex_emulator: PlexEmulator, session: aiohttp.ClientSession
) -> None:
    plex_emulator.faults.latency = 0.5
    client = PlexClient(
        url=plex_emulator.url, token=PLEX_TOKEN, session=session, request_timeout=0.1
    )
    with pytest.raises(PlexTimeoutError, match="in time"):
        await client.identity()
    plex_emulator.faults.latency = 0


async def test_a_closed_port_is_a_connection_error(session: aiohttp.ClientSession) -> None:
    client = PlexClient(url="http://127.0.0.1:9", token=PLEX_TOKEN, session=session)
    with pytest.raises(PlexConnectionError, match=r"127\.0\.0\.1:9"):
        await client.identity()


@pytest.mark.parametrize(
    ("path", "payload", "call"),
    [
        ("/", b"", "identity"),
        ("/", b"   ", "identity"),
        ("/", b'{"NotAContainer": {}}', "identity"),
        ("/library/metadata/7", b'{"MediaContainer": {"size": 0}}', "metadata"),
    ],
)
async def test_answers_that_are_not_plex_are_protocol_errors(
    session: aiohttp.ClientSession, path: str, payload: bytes, call: str
) -> None:
    async def handler(_request: aiohttp.web.Request) -> aiohttp.web.Response:
        return aiohttp.web.Response(body=payload, content_type="application/json")

    app = aiohttp.web.Application()
    app.router.add_get(path, handler)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        client = PlexClient(url=f"http://{host}:{port}", token=PLEX_TOKEN, session=session)
        with pytest.raises(PlexProtocolError):
            await (client.identity() if call == "identity" else client.metadata(7))
    finally:
        await runner.cleanup()


async def test_a_reverse_proxy_prefix_is_kept(
    plex_emulator: PlexEmulator, session: aiohttp.ClientSession
) -> None:
    client = PlexClient(url=f"{plex_emulator.url}/plex/", token=PLEX_TOKEN, session=session)
    assert str(client.endpoint("/library/sections")).endswith("/plex/library/sections")
    assert str(client.endpoint("/web")) == f"{plex_emulator.url}/plex/web"
    with pytest.raises(PlexNotFoundError):  # the emulator has no such prefix
        await client.identity()


@pytest.mark.parametrize("url", ["", "ftp://host", "host:32400", "http://"])
def test_urls_that_cannot_be_plex_are_refused_at_once(
    url: str, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ValueError, match="Plex URL"):
        PlexClient(url=url, token=PLEX_TOKEN, session=session)


async def test_the_token_never_reaches_logs_errors_or_repr(
    plex_emulator: PlexEmulator,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = PlexClient(url=plex_emulator.url, token=PLEX_TOKEN, session=session)
    texts = [repr(client)]
    for knob in ("fail_next", "malformed_next", "drop_next"):
        setattr(plex_emulator.faults, knob, 5)
        try:
            await client.scan(1, "/secret/path")
            await client.sections()
        except Exception as err:  # noqa: BLE001 (collecting every error text)
            texts.extend([str(err), repr(err), str(err.__cause__)])
        setattr(plex_emulator.faults, knob, 0)
    plex_emulator.faults.latency = 0.3
    client.request_timeout = 0.05
    with pytest.raises(PlexTimeoutError) as timeout:
        await client.identity()
    texts.append(str(timeout.value))
    plex_emulator.faults.latency = 0
    await asyncio.sleep(0.3)  # let the slow answer go out before the emulator stops
    texts.append(caplog.text)
    assert len(texts) > 5
    assert not [text for text in texts if PLEX_TOKEN in text]
    assert "/secret/path" not in caplog.text
