"""The Stash provider against the Stash emulator: each endpoint, images, posters, its bounds."""

from __future__ import annotations

import asyncio
import io
import threading
from typing import TYPE_CHECKING, Any

from PIL import Image
import pytest

from custom_components.videodrome.engine.provider import stash_service
from custom_components.videodrome.engine.provider.budget import MAX_STASH_REQUESTS, StashLimits
from custom_components.videodrome.engine.provider.documents import Page
from custom_components.videodrome.engine.provider.errors import (
    ProviderBusyError,
    ProviderNotFoundError,
)
from custom_components.videodrome.engine.provider.rate_limits import BookingLimiter
from custom_components.videodrome.engine.provider.requests import MatchRequest
from custom_components.videodrome.engine.provider.stash_documents import (
    STASH_IDENTIFIER,
    ImageRoute,
)
from custom_components.videodrome.engine.provider.stash_metadata import scene_metadata
from custom_components.videodrome.engine.provider.stash_service import (
    MAX_RENDER_QUEUE,
    MAX_RENDERING,
    StashProvider,
)
from custom_components.videodrome.engine.stash.client import StashClient
from custom_components.videodrome.engine.stash.errors import StashConnectionError
from tests.emulators.stash import StashEmulator, draw_image
from tests.emulators.stash_library import EmulatedScene, StashLibrary
from tests.engine.stash.conftest import STASH_KEY
from tests.engine.stash.test_provider_documents import demo_scene

if TYPE_CHECKING:
    from collections.abc import Callable

    import aiohttp

BASE = "http://ha.local:8123/api/videodrome/provider/s3cr3t/stash"
HARBOUR = "Coastal.Journeys.E01.Harbour.at.Dawn.1080p.mp4"


def _provider(
    session: aiohttp.ClientSession, emulator: StashEmulator, *, cache_ttl: float = 300, **kw: Any
) -> StashProvider:
    return StashProvider(StashClient(session, emulator.url, STASH_KEY, cache_ttl=cache_ttl), **kw)


def _size(image: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(image)) as opened:
        return opened.size


def _request(filename: str | None, kind: int = 1, **fields: Any) -> MatchRequest:
    return MatchRequest.from_json({"type": kind, "filename": filename, **fields})


class Counted:
    """A `run_blocking` that counts the jobs it runs (in the default executor)."""

    def __init__(self) -> None:
        self.jobs = 0

    async def __call__(self, job: Callable[[], Any]) -> Any:
        self.jobs += 1
        return await asyncio.get_running_loop().run_in_executor(None, job)


NOWHERE = "http://127.0.0.1:9"  # never asked: these tests need no Stash


def test_the_root_is_a_movie_provider(session: aiohttp.ClientSession) -> None:
    provider = StashProvider(StashClient(session, NOWHERE), version="0.1.0")
    root = provider.root().json()["MediaProvider"]
    assert root["identifier"] == STASH_IDENTIFIER
    assert root["version"] == "0.1.0"
    assert [t["type"] for t in root["Types"]] == [1]


async def test_a_match_is_the_scene_of_the_file_name(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    provider = _provider(session, stash_emulator)
    answer = (await provider.match(_request(f"Stash/{HARBOUR}"), BASE)).json()
    (found,) = answer["MediaContainer"]["Metadata"]
    assert found == scene_metadata(demo_scene(1), BASE) | {"score": 100}
    assert found["thumb"] == f"{BASE}/stash/scene/1/poster"
    nothing = (await provider.match(_request("Stash/unknown.mp4"), BASE)).json()
    assert nothing["MediaContainer"] | {"Metadata": None} == {
        "offset": 0, "totalSize": 0, "identifier": STASH_IDENTIFIER, "size": 0, "Metadata": None,
    }  # fmt: skip
    assert nothing["MediaContainer"]["Metadata"] == []
    episode = (await provider.match(_request(f"Stash/{HARBOUR}", kind=4), BASE)).json()
    assert episode["MediaContainer"]["Metadata"] == []
    assert stash_emulator.operations() == ["VideodromeScenesByPath"] * 2


async def test_metadata_of_a_scene(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    served: list[str] = []
    provider = _provider(session, stash_emulator, letterbox=False, on_scene=served.append)
    answer = (await provider.metadata("stash-2", BASE)).json()["MediaContainer"]
    assert (answer["size"], answer["totalSize"], answer["identifier"]) == (1, 1, STASH_IDENTIFIER)
    (scene,) = answer["Metadata"]
    assert scene == scene_metadata(demo_scene(2), BASE, letterbox=False)
    assert scene["thumb"] == f"{BASE}/stash/scene/2/screenshot"
    assert served == ["2"]


@pytest.mark.parametrize("key", ["stash-999", "stash-02", "tmdb-movie-603", "stash-", "x" * 300])
async def test_what_stash_does_not_have_is_not_found(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator, key: str
) -> None:
    served: list[str] = []
    provider = _provider(session, stash_emulator, on_scene=served.append)
    for call in (
        provider.metadata(key, BASE),
        provider.images(key, BASE),
        provider.children(key, Page()),
        provider.extras(key),
    ):
        with pytest.raises(ProviderNotFoundError):
            await call
    assert served == []
    # Only a well-formed key is asked about, once (the answer "none" is not an error).
    assert len(stash_emulator.queries) == (1 if key == "stash-999" else 0)


async def test_a_movie_has_no_children_on_any_page(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    provider = _provider(session, stash_emulator)
    answer = await provider.children("stash-1", Page(40, 5))
    assert answer.json()["MediaContainer"] == {
        "offset": 40, "totalSize": 0, "identifier": STASH_IDENTIFIER, "size": 0, "Metadata": [],
    }  # fmt: skip
    assert dict(answer.headers) == {
        "X-Plex-Container-Start": "40",
        "X-Plex-Container-Total-Size": "0",
    }
    extras = (await provider.extras("stash-1")).json()["MediaContainer"]
    assert (extras["size"], extras["Metadata"]) == (0, [])


async def test_images_of_a_scene(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    provider = _provider(session, stash_emulator)
    answer = (await provider.images("stash-1", BASE)).json()["MediaContainer"]
    assert answer["Image"] == [
        {"type": "coverPoster", "url": f"{BASE}/stash/scene/1/poster"},
        {"type": "background", "url": f"{BASE}/stash/scene/1/screenshot"},
    ]
    # Stash sends a screenshot's URL whether or not it made one: the image itself is a 404.
    listed = (await provider.images("stash-4", BASE)).json()["MediaContainer"]
    assert listed["size"] == 2
    with pytest.raises(ProviderNotFoundError):
        await provider.image(ImageRoute.POSTER, "4")


async def test_each_image_comes_from_stash_with_the_key(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    provider = _provider(session, stash_emulator)
    shot = await provider.image(ImageRoute.SCREENSHOT, "1")
    assert (shot.content_type, shot.body) == ("image/jpeg", draw_image("scene 1", 1920, 1080))
    performer = await provider.image(ImageRoute.PERFORMER, "2")
    assert performer.body == draw_image("performer 2", 400, 600)
    group = await provider.image(ImageRoute.GROUP_FRONT, "1")
    assert group.body == draw_image("group 1", 400, 600)
    assert all(r.with_key for r in stash_emulator.requests)
    for route, object_id in ((ImageRoute.SCREENSHOT, "4"), (ImageRoute.PERFORMER, "99")):
        with pytest.raises(ProviderNotFoundError):
            await provider.image(route, object_id)


async def test_the_poster_is_letterboxed_once_per_screenshot(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    counted = Counted()
    provider = _provider(session, stash_emulator, cache_ttl=0, run_blocking=counted)
    posters = [await provider.image(ImageRoute.POSTER, "1") for _ in range(3)]
    assert {p.content_type for p in posters} == {"image/jpeg"}
    assert len({p.body for p in posters}) == 1
    assert _size(posters[0].body) == (1000, 1500)
    # Stash asked each time (its cache is off), the poster made once (the screenshot is the same).
    assert len(stash_emulator.requests) == 3
    assert counted.jobs == 1
    other = await provider.image(ImageRoute.POSTER, "2")
    assert _size(other.body) == (1000, 1500)
    assert other.body != posters[0].body
    assert counted.jobs == 2


async def test_without_letterboxing_the_poster_is_the_screenshot(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    counted = Counted()
    provider = _provider(session, stash_emulator, letterbox=False, run_blocking=counted)
    poster = await provider.image(ImageRoute.POSTER, "3")
    assert poster.body == draw_image("scene 3", 640, 480)
    assert counted.jobs == 0


async def test_a_screenshot_that_is_no_image_has_no_poster(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    provider = _provider(session, stash_emulator)
    with pytest.raises(ProviderNotFoundError):
        await provider.poster(b"\xff\xd8\xff but not a JPEG")
    assert len(provider.posters) == 0


async def test_posters_made_at_once_are_bounded(session: aiohttp.ClientSession) -> None:
    release = asyncio.Event()
    started = 0

    async def slow(job: Callable[[], Any]) -> Any:
        nonlocal started
        started += 1
        await release.wait()
        return job()

    provider = StashProvider(StashClient(session, NOWHERE), run_blocking=slow)
    shots = [draw_image(f"shot {n}", 64, 36) for n in range(MAX_RENDERING + MAX_RENDER_QUEUE + 1)]
    tasks = [asyncio.create_task(provider.poster(shot)) for shot in shots[:-1]]
    await asyncio.sleep(0)
    assert started == MAX_RENDERING
    with pytest.raises(ProviderBusyError) as refused:
        await provider.poster(shots[-1])
    assert refused.value.retry_after > 0
    release.set()
    made = await asyncio.gather(*tasks)
    assert all(_size(poster) == (64, 96) for poster in made)
    assert len(provider.posters) == len(tasks)


async def test_one_request_costs_stash_a_bounded_number_of_requests(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    library = StashLibrary()
    for n in range(100):
        library.add_scene(EmulatedScene(n + 1, [f"/data/many/x{n:03d}-Clip.mp4"]))
    library.add_scene(EmulatedScene(10_000, ["/data/zz/Clip.mp4"]))
    async with StashEmulator(library) as emulator:
        limits = StashLimits.create()
        limits.max_requests = 2
        client = StashClient(session, emulator.url)
        provider = StashProvider(client, limits=limits)
        with pytest.raises(ProviderBusyError, match="more Stash requests"):
            await provider.match(_request("Clip.mp4"), BASE)
        assert len(emulator.queries) == 2
        # What it read is cached: asked again, it goes on from there.
        (found,) = (await provider.match(_request("Clip.mp4"), BASE)).json()["MediaContainer"][
            "Metadata"
        ]
        assert found["ratingKey"] == "stash-10000"
        assert len(emulator.queries) == 3
    assert MAX_STASH_REQUESTS >= 3  # a crowded name of 101 paths is read in one request


async def test_the_providers_rate_of_stash_requests_is_bounded(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    now = [0.0]
    limits = StashLimits(BookingLimiter(1.0, 3, max_wait=0, clock=lambda: now[0]))
    provider = _provider(session, stash_emulator, cache_ttl=0, limits=limits)
    for _ in range(3):
        await provider.metadata("stash-1", BASE)
    with pytest.raises(ProviderBusyError, match="share of Stash") as refused:
        await provider.metadata("stash-1", BASE)
    assert refused.value.retry_after > 0
    now[0] += 10.0
    await provider.metadata("stash-1", BASE)


async def test_stash_away_is_an_error_of_stash(
    session: aiohttp.ClientSession, stash_emulator: StashEmulator
) -> None:
    provider = _provider(session, stash_emulator)
    stash_emulator.faults.fail_next = 3
    with pytest.raises(StashConnectionError):
        await provider.metadata("stash-1", BASE)
    with pytest.raises(StashConnectionError):
        await provider.match(_request(HARBOUR), BASE)
    with pytest.raises(StashConnectionError):
        await provider.image(ImageRoute.POSTER, "1")


async def test_a_poster_asked_for_while_it_is_made_is_made_once(
    session: aiohttp.ClientSession,
) -> None:
    release = asyncio.Event()
    jobs = 0

    async def held(job: Callable[[], Any]) -> Any:
        nonlocal jobs
        jobs += 1
        await release.wait()  # every request is in before the first poster is made
        return job()

    provider = StashProvider(StashClient(session, NOWHERE), run_blocking=held)
    shot = draw_image("one shot", 64, 36)
    tasks = [asyncio.create_task(provider.poster(shot)) for _ in range(MAX_RENDERING + 2)]
    await asyncio.sleep(0)
    release.set()
    made = await asyncio.gather(*tasks)
    assert len(set(made)) == 1
    assert jobs == MAX_RENDERING  # those that waited found it made


async def test_a_large_screenshot_is_hashed_off_the_event_loop(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to 1 MB on the loop (about a millisecond); a larger one (up to 20 MB, 18 ms) in the
    executor, and the same poster made either way."""
    hashed_in: list[int] = []
    digest_of = stash_service._digest_of

    def recorded(data: bytes) -> bytes:
        hashed_in.append(threading.get_ident())
        return digest_of(data)

    monkeypatch.setattr(stash_service, "_digest_of", recorded)
    provider = StashProvider(StashClient(session, NOWHERE))
    small = draw_image("a small shot", 64, 36)
    assert len(small) < stash_service.HASH_INLINE_BYTES
    poster = await provider.poster(small)
    assert hashed_in == []
    # The same screenshot with padding past the bound: JPEG readers stop at its end marker.
    large = small + b"\0" * stash_service.HASH_INLINE_BYTES
    assert await provider.poster(large) == poster
    assert len(hashed_in) == 1
    assert hashed_in[0] != threading.get_ident()
    assert len(provider.posters) == 2  # another screenshot's digest: made again, not mixed up
