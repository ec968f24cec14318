"""Images streamed from Stash (the Stash emulator on loopback): chunks as they come, bounded,
the connection always given back, Stash's ETag and 304 passed through."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest

from custom_components.videodrome.engine.availability import Availability
from custom_components.videodrome.engine.provider.stash_documents import ImageRoute
from custom_components.videodrome.engine.provider.stash_service import StashProvider
from custom_components.videodrome.engine.stash.client import StashClient
from custom_components.videodrome.engine.stash.errors import (
    StashConnectionError,
    StashNotFoundError,
    StashProtocolError,
    StashTimeoutError,
)
from custom_components.videodrome.engine.stash.images import ImageKind, ImageStream
from tests.emulators.stash import draw_image
from tests.engine.stash.conftest import STASH_KEY
from tests.polling import until

if TYPE_CHECKING:
    from tests.emulators.stash import StashEmulator

SHOT = draw_image("scene 1", 1920, 1080)


def _client(
    session: aiohttp.ClientSession, emulator: StashEmulator, **kwargs: float
) -> StashClient:
    return StashClient(session, emulator.url, STASH_KEY, **kwargs)  # type: ignore[arg-type]


def _acquired(session: aiohttp.ClientSession) -> int:
    """How many of the session's connections are in use (none once every answer is done)."""
    connector = session.connector
    assert isinstance(connector, aiohttp.TCPConnector)
    return len(connector._acquired)


async def _read(stream: ImageStream) -> bytes:
    return b"".join([chunk async for chunk in stream])


async def test_an_image_comes_in_chunks_with_stashs_headers(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = _client(session, stash_emulator)
    async with client.image_stream(ImageKind.SCREENSHOT, "1") as stream:
        assert (stream.status, stream.content_type) == (200, "image/jpeg")
        assert stream.content_length == len(SHOT)
        assert stream.validators["ETag"].startswith('"')
        assert await _read(stream) == SHOT
    assert _acquired(session) == 0
    assert len(client.cache) == 0  # a streamed image is never kept
    assert stash_emulator.requests[-1].with_key


async def test_stashs_etag_makes_a_304(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    client = _client(session, stash_emulator)
    async with client.image_stream(ImageKind.PERFORMER, "2") as stream:
        etag = stream.validators["ETag"]
        await _read(stream)
    async with client.image_stream(ImageKind.PERFORMER, "2", {"If-None-Match": etag}) as same:
        assert same.not_modified
        assert same.validators == {"ETag": etag}
        assert await _read(same) == b""
    stale = {"If-None-Match": '"0123"', "Accept": "text/html"}  # only conditions are passed on
    async with client.image_stream(ImageKind.PERFORMER, "2", stale) as changed:
        assert not changed.not_modified
        assert await _read(changed) == draw_image("performer 2", 400, 600)
    assert _acquired(session) == 0


async def test_the_first_chunk_comes_before_stash_has_sent_the_rest(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    stash_emulator.faults.image_pause = pause = asyncio.Event()
    async with _client(session, stash_emulator).image_stream(ImageKind.SCREENSHOT, "1") as stream:
        first = await anext(stream)
        assert not pause.is_set()
        assert SHOT.startswith(first)
        pause.set()
        assert first + await _read(stream) == SHOT


@pytest.mark.parametrize("chunked", [False, True])
async def test_an_image_over_the_bound_is_cut_off(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator, *, chunked: bool
) -> None:
    stash_emulator.faults.image_chunked = chunked
    client = _client(session, stash_emulator, max_image_bytes=len(SHOT) // 3)
    with pytest.raises(StashProtocolError, match="too large"):  # noqa: PT012
        async with client.image_stream(ImageKind.SCREENSHOT, "1") as stream:
            assert chunked  # with a Content-Length, refused before any byte is read
            await _read(stream)
    assert _acquired(session) == 0


async def test_leaving_early_gives_the_connection_back(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    stash_emulator.faults.image_pause = asyncio.Event()  # Stash never sends the second half
    async with _client(session, stash_emulator).image_stream(ImageKind.SCREENSHOT, "1") as stream:
        await anext(stream)
    assert _acquired(session) == 0


async def test_a_connection_dropped_mid_image_ends_the_stream(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    availability = Availability("Stash")
    client = StashClient(session, stash_emulator.url, STASH_KEY, availability=availability)
    stash_emulator.faults.image_drop_next = 1
    async with asyncio.timeout(5):
        with pytest.raises(StashConnectionError, match=r"broke off /scene/1/screenshot"):
            async with client.image_stream(ImageKind.SCREENSHOT, "1") as stream:
                await _read(stream)
    assert not availability.available
    assert _acquired(session) == 0


async def test_a_stalled_image_times_out(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    stash_emulator.faults.image_pause = asyncio.Event()
    client = _client(session, stash_emulator, request_timeout=0.2)
    with pytest.raises(StashTimeoutError, match="stalled"):
        async with client.image_stream(ImageKind.SCREENSHOT, "1") as stream:
            await _read(stream)
    assert _acquired(session) == 0


async def test_what_is_no_image_is_refused_on_entry(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator, router_page: str
) -> None:
    with pytest.raises(StashNotFoundError):
        async with _client(session, stash_emulator).image_stream(ImageKind.SCREENSHOT, "4"):
            pytest.fail("Stash has no screenshot of scene 4")
    with pytest.raises(StashNotFoundError):
        async with _client(session, stash_emulator).image_stream(ImageKind.SCREENSHOT, "x1"):
            pytest.fail("not an id as Stash writes them")
    with pytest.raises(StashProtocolError, match="not an image"):
        async with StashClient(session, router_page).image_stream(ImageKind.SCREENSHOT, "1"):
            pytest.fail("a router's page is no image")
    assert _acquired(session) == 0


async def test_the_provider_streams_stashs_images_and_makes_the_poster_whole(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    provider = StashProvider(_client(session, stash_emulator))
    stash_emulator.faults.image_pause = pause = asyncio.Event()
    async with provider.open_image(ImageRoute.SCREENSHOT, "1") as stream:
        assert SHOT.startswith(await anext(stream))
        pause.set()
    async with provider.open_image(ImageRoute.POSTER, "1") as poster:
        body = await _read(poster)
        etag = poster.validators["ETag"]
    assert body == (await provider.image(ImageRoute.POSTER, "1")).body
    async with provider.open_image(ImageRoute.POSTER, "1", {"If-None-Match": etag}) as same:
        assert same.not_modified
    with pytest.raises(Exception, match="performer 999"):
        async with provider.open_image(ImageRoute.PERFORMER, "999"):
            pytest.fail("Stash has no performer 999")
    await until(lambda: _acquired(session) == 0)


async def test_an_image_read_whole_fails_as_a_stream_does(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    """The poster's screenshot is read whole: Stash breaking off or stalling is an error too."""
    stash_emulator.faults.image_drop_next = 1
    with pytest.raises(StashConnectionError):
        await _client(session, stash_emulator).image(ImageKind.SCREENSHOT, "1")
    stash_emulator.faults.image_pause = asyncio.Event()
    with pytest.raises(StashTimeoutError):
        await _client(session, stash_emulator, request_timeout=0.2).image(ImageKind.SCREENSHOT, "2")
    assert _acquired(session) == 0
