"""A poster uploaded to the Plex item a provider described, only once Plex has stored the item."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest

from custom_components.videodrome.engine.errors import VideodromeError
from custom_components.videodrome.engine.plex import poster_upload
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.poster_upload import PosterUploads
from tests.conftest import PLEX_TOKEN
from tests.emulators.stash import draw_image

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import Item

GUID = "tv.plex.agents.custom.videodrome.stash://movie/stash-42"
POSTER = draw_image("poster", 200, 300)
QUICK = (0.02, 0.02, 0.02, 0.02, 0.02)


@pytest.fixture
async def client(plex_emulator: PlexEmulator) -> AsyncIterator[PlexClient]:
    async with aiohttp.ClientSession() as session:
        yield PlexClient(plex_emulator.url, PLEX_TOKEN, session)


def _store(plex: PlexEmulator, guid: str = GUID, section: int = 1) -> Item:
    """What Plex does once its provider described a new file: the item, with the provider's guid."""
    item = plex.library._new(type="movie", title="Harbour at Dawn", section_key=section, guid=guid)
    item.poster = "agent"
    return item


def _uploads(plex: PlexEmulator) -> list[str]:
    return [r.path for r in plex.requests if r.method == "POST" and r.path.endswith("/posters")]


async def _image() -> bytes:
    return POSTER


async def _settled(uploads: PosterUploads) -> None:
    while uploads.pending:
        await asyncio.sleep(0.01)


async def test_the_poster_goes_up_once_the_item_exists(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    uploads = PosterUploads(client, delays=QUICK)
    assert uploads.want(GUID, _image)
    await asyncio.sleep(0.05)  # a look or two, and Plex has no such item yet
    assert _uploads(plex_emulator) == []
    item = _store(plex_emulator)
    await _settled(uploads)
    assert _uploads(plex_emulator) == [f"/library/metadata/{item.rating_key}/posters"]
    assert plex_emulator.library.poster_images[item.rating_key] == POSTER
    assert uploads.uploaded_to(GUID) == item.rating_key
    assert uploads.stats.uploaded == 1
    # Plex refreshes the item later: the provider is asked again, nothing is uploaded again.
    assert not uploads.want(GUID, _image)
    await _settled(uploads)
    assert len(_uploads(plex_emulator)) == 1


async def test_only_an_item_with_that_guid_in_a_movie_library_gets_it(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    _store(plex_emulator, guid=GUID.replace("42", "43"))
    _store(plex_emulator, section=2)  # the TV library
    uploads = PosterUploads(client, delays=QUICK)
    uploads.want(GUID, _image)
    await _settled(uploads)
    assert _uploads(plex_emulator) == []
    assert uploads.stats.never_found == 1
    assert uploads.uploaded_to(GUID) is None


async def test_a_wish_is_made_once_and_bounded(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    uploads = PosterUploads(client, delays=(60.0,), max_pending=2)
    assert uploads.want(GUID, _image)
    assert not uploads.want(GUID, _image)  # waiting already
    assert uploads.want(GUID + "0", _image)
    assert not uploads.want(GUID + "1", _image)
    assert (uploads.pending, uploads.stats.dropped) == (2, 1)
    await uploads.close()
    assert uploads.pending == 0
    assert _uploads(plex_emulator) == []


async def test_failures_end_the_wish(client: PlexClient, plex_emulator: PlexEmulator) -> None:
    _store(plex_emulator)

    async def no_image() -> bytes:
        raise VideodromeError("Stash has no screenshot")

    uploads = PosterUploads(client, delays=QUICK)
    uploads.want(GUID, no_image)
    await _settled(uploads)
    plex_emulator.faults.fail_next = 10
    uploads.want(GUID, _image)  # not done: may be asked again
    await _settled(uploads)
    assert uploads.stats.failed == 2
    assert _uploads(plex_emulator) == []
    plex_emulator.faults.fail_next = 0
    uploads.want(GUID, _image)
    await _settled(uploads)
    assert uploads.stats.uploaded == 1


async def test_the_upload_is_what_python_plexapi_sends(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    """python-plexapi's `uploadPoster(filepath=…)` and the client's upload reach Plex alike."""
    from plexapi.server import PlexServer  # noqa: PLC0415  (a test requirement only)

    theirs, ours = _store(plex_emulator), _store(plex_emulator, guid=GUID + "0")

    def upload_with_plexapi() -> None:
        server = PlexServer(plex_emulator.url, PLEX_TOKEN)  # type: ignore[no-untyped-call]
        item = server.fetchItem(theirs.rating_key)  # type: ignore[no-untyped-call]
        item.uploadPoster(filepath=POSTER)

    await asyncio.get_running_loop().run_in_executor(None, upload_with_plexapi)
    await client.upload_poster_image(ours.rating_key, POSTER)
    sent = [(r.method, r.query) for r in plex_emulator.requests if r.path.endswith("/posters")]
    assert sent == [("POST", {}), ("POST", {})]
    images = plex_emulator.library.poster_images
    assert images[theirs.rating_key] == images[ours.rating_key] == POSTER
    assert theirs.poster == ours.poster == "upload://"


async def test_the_guids_done_are_bounded(
    client: PlexClient, plex_emulator: PlexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poster_upload, "MAX_DONE", 1)
    first, second = _store(plex_emulator), _store(plex_emulator, guid=GUID + "0")
    uploads = PosterUploads(client, delays=QUICK)
    uploads.want(first.guid, _image)
    await _settled(uploads)
    uploads.want(second.guid, _image)
    await _settled(uploads)
    assert (uploads.uploaded_to(first.guid), uploads.uploaded_to(second.guid)) == (
        None,
        second.rating_key,
    )
