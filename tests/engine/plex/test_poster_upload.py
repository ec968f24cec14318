"""A poster uploaded to the Plex item a provider described, only once Plex has stored the item."""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.videodrome.engine.errors import VideodromeError
from custom_components.videodrome.engine.plex import poster_upload
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.poster_upload import PosterUploads, StoredUploads
from custom_components.videodrome.engine.plex.scan import RECENT_PAGE
from custom_components.videodrome.engine.store.database import Store
from tests.conftest import PLEX_TOKEN
from tests.emulators.plex import PlexEmulator
from tests.emulators.plex_library import PlexLibrary
from tests.emulators.stash import draw_image

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from tests.emulators.plex_library import Item
    from tests.emulators.server import Emulators

GUID = "tv.plex.agents.custom.videodrome.stash://movie/stash-42"
POSTER = draw_image("poster", 200, 300)
QUICK = (0.02, 0.02, 0.02, 0.02, 0.02)
SERVER = "a1b2c3d4e5f6"


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
    # Plex refreshes the item later: the provider is asked again, nothing is uploaded again
    # (the poster is the same: its digest says so before Plex is asked anything).
    asked = len(plex_emulator.requests)
    assert uploads.want(GUID, _image)
    await _settled(uploads)
    assert len(_uploads(plex_emulator)) == 1
    assert len(plex_emulator.requests) == asked


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


async def test_a_changed_poster_goes_up_again(
    client: PlexClient, plex_emulator: PlexEmulator
) -> None:
    item = _store(plex_emulator)
    uploads = PosterUploads(client, delays=QUICK)
    uploads.want(GUID, _image)
    await _settled(uploads)
    new = draw_image("a new screenshot", 200, 300)

    async def changed() -> bytes:
        return new

    uploads.want(GUID, changed)
    await _settled(uploads)
    assert len(_uploads(plex_emulator)) == 2
    assert plex_emulator.library.poster_images[item.rating_key] == new


async def test_a_restart_uploads_nothing_again_but_a_changed_poster(
    client: PlexClient, plex_emulator: PlexEmulator, tmp_path: Path
) -> None:
    item = _store(plex_emulator)
    path = tmp_path / "videodrome.db"
    with Store(path) as store:
        uploads = PosterUploads(client, delays=QUICK, log=_log(store))
        uploads.want(GUID, _image)
        await _settled(uploads)
    assert len(_uploads(plex_emulator)) == 1
    with Store(path) as store:  # Home Assistant restarted: a new store on the same file
        uploads = PosterUploads(client, delays=QUICK, log=_log(store))
        asked = len(plex_emulator.requests)
        uploads.want(GUID, _image)  # Plex refreshes the item: its metadata is asked again
        await _settled(uploads)
        assert len(plex_emulator.requests) == asked  # not even a look
        new = draw_image("a new screenshot", 200, 300)

        async def changed() -> bytes:
            return new

        uploads.want(GUID, changed)
        await _settled(uploads)
        assert store.poster_uploads.digest(SERVER, GUID) == hashlib.sha256(new).hexdigest()
    assert len(_uploads(plex_emulator)) == 2
    assert plex_emulator.library.poster_images[item.rating_key] == new
    with Store(path) as store:  # and a store that fails is taken as knowing nothing
        log = _log(store)
        store.close()
        assert await log.digest(GUID) is None
        await log.remember(GUID, "d", 1)


@pytest.mark.parametrize("filter_works", [True, False])
async def test_the_item_is_found_whether_or_not_plex_filters_a_custom_guid(
    emulators: Emulators, media_root: Path, *, filter_works: bool
) -> None:
    """Plex's guid filter is documented for plex:// guids only: the newest items are read too."""

    @web.middleware
    async def no_custom_guid_filter(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        guid = request.query.get("guid")
        if filter_works or guid is None or guid.startswith("plex://"):
            return await handler(request)
        return web.json_response({"MediaContainer": {"size": 0, "totalSize": 0, "offset": 0}})

    plex = PlexEmulator(PlexLibrary.demo(media_root), token=PLEX_TOKEN)
    plex.app.middlewares.append(no_custom_guid_filter)
    await emulators.start(plex)
    old = _store(plex, guid=GUID + "0")
    old.added_at = 1  # stored long ago: not among the newest
    for n in range(RECENT_PAGE):
        _store(plex, guid=f"plex://movie/{n}")
    new = _store(plex)
    async with aiohttp.ClientSession() as session:
        uploads = PosterUploads(PlexClient(plex.url, PLEX_TOKEN, session), delays=QUICK)
        uploads.want(GUID, _image)
        uploads.want(GUID + "0", _image)
        await _settled(uploads)
    assert uploads.uploaded_to(GUID) == new.rating_key  # the newest: found either way
    assert uploads.uploaded_to(GUID + "0") == (old.rating_key if filter_works else None)


def _log(store: Store) -> StoredUploads:
    async def run_blocking(job: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, job)

    return StoredUploads(store.poster_uploads, SERVER, run_blocking)
