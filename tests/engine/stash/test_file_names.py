"""Finding a scene by its file name: exact, in one request, among 50,000 scenes and near misses."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.stash.client import MAX_PAGES, PAGE_SIZE, StashClient
from tests.emulators.stash import StashEmulator
from tests.emulators.stash_library import EmulatedScene, StashLibrary

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import aiohttp

NAME = "Harbour.Lights.2023.Part_1.1080p.mp4"
# Paths whose LIKE '%name%' Stash matches (case, `_` as a wildcard, longer names, a folder),
# or nearly does (spaces for dots): none of them is a file called NAME.
NEAR_MISSES = (
    f"/data/y/{NAME}.part",
    f"/data/y/New.{NAME}",
    f"/data/y/{NAME.lower()}",
    f"/data/y/{NAME.replace('_', 'X')}",
    f"/data/{NAME}/trailer.mp4",
    "/data/y/Harbour Lights 2023 Part 1 1080p.mp4",
)


@pytest.fixture(scope="module")
def big_library(big_library: StashLibrary) -> StashLibrary:
    """The 50,000 scenes, with NAME in two folders and its near misses."""
    library = big_library
    library.add_scene(EmulatedScene(60_001, [f"/data/x/{NAME}"], title="Harbour Lights"))
    for offset, path in enumerate(NEAR_MISSES, start=2):
        library.add_scene(EmulatedScene(60_000 + offset, [path], title="Near miss"))
    library.add_scene(EmulatedScene(60_020, ["/data/other.mp4", f"/data/z/{NAME}"]))
    return library


@pytest.fixture
async def big_stash(
    big_library: StashLibrary, socket_enabled: None
) -> AsyncIterator[StashEmulator]:
    async with StashEmulator(big_library) as emulator:
        yield emulator


async def test_exact_name_among_50000_scenes_in_one_request(
    session: aiohttp.ClientSession, big_stash: StashEmulator
) -> None:
    client = StashClient(session, big_stash.url)
    assert len(big_stash.library.scenes) == 50_008
    found = await client.scenes_by_file_name(NAME)
    assert [s.id for s in found] == ["60020", "60001"]  # path order: /data/other.mp4 first
    assert big_stash.operations() == ["VideodromeScenesByPath"]
    # Stash found six paths containing the name; the client kept the two exact ones.
    answered = big_stash.library.find_by_path(f'"{NAME}"', "INCLUDES")
    assert answered == [60_001, 60_002, 60_003, 60_004, 60_005, 60_006, 60_020]


async def test_every_generated_name_is_found_quickly(
    session: aiohttp.ClientSession, big_stash: StashEmulator
) -> None:
    client = StashClient(session, big_stash.url, cache_ttl=0)
    generated = (s for s in big_stash.library.scenes.values() if s.id <= 50_000)
    names = sorted(s.files[0].rsplit("/", 1)[-1] for s in generated)[::5_000]
    started = time.perf_counter()
    for name in names:
        (scene,) = await client.scenes_by_file_name(name)
        assert scene.file_name == name
    # Ten lookups, one request each; generous bound for a shared machine (about 0.1 s each).
    assert len(big_stash.queries) == len(names) == 10
    assert time.perf_counter() - started < 20


async def test_near_misses_alone_find_nothing(
    session: aiohttp.ClientSession, big_stash: StashEmulator
) -> None:
    client = StashClient(session, big_stash.url)
    assert await client.scenes_by_file_name(NAME.lower()) == (
        await client.scenes_by_file_name(NAME.lower())
    )
    (lower,) = await client.scenes_by_file_name(NAME.lower())
    assert lower.id == "60004"  # only the file really called so
    assert await client.scenes_by_file_name("Harbour.Lights.2023.1080p.mp4") == ()
    assert await client.scenes_by_file_name("Part_1.1080p") == ()  # a part of names only


def _crowded(near: int, exact_path: str) -> StashLibrary:
    """`near` paths containing "Clip.mp4", and one file called so, sorted after them."""
    library = StashLibrary()
    for n in range(near):
        library.add_scene(EmulatedScene(n + 1, [f"/data/many/x{n:03d}-Clip.mp4"]))
    library.add_scene(EmulatedScene(10_000, [exact_path]))
    return library


async def test_a_crowded_name_is_read_page_by_page(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    async with StashEmulator(_crowded(100, "/data/zz/Clip.mp4")) as emulator:
        found = await StashClient(session, emulator.url).scenes_by_file_name("Clip.mp4")
        assert [s.id for s in found] == ["10000"]
        pages = [q.variables["page"] for q in emulator.queries]
        assert pages == [1, 2, 3]  # 101 paths, 40 a page


async def test_past_the_last_page_the_rest_is_not_read(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    crowd = MAX_PAGES * PAGE_SIZE
    async with StashEmulator(_crowded(crowd, "/data/zz/Clip.mp4")) as emulator:
        assert await StashClient(session, emulator.url).scenes_by_file_name("Clip.mp4") == ()
        assert len(emulator.queries) == MAX_PAGES
