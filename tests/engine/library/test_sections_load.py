"""Sections load on their own: one Plex cannot list leaves the others answering, and says so."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.library.building import build
from custom_components.videodrome.engine.library.errors import (
    LibraryIncompleteError,
    LibraryNotLoadedError,
)
from custom_components.videodrome.engine.library.index import LibraryIndex
from custom_components.videodrome.engine.library.loading import Backoff, LoadState, SectionLoad
from custom_components.videodrome.engine.library.reading import PAGES_PER_WAVE
from custom_components.videodrome.engine.plex.client import PlexClient
from custom_components.videodrome.engine.plex.errors import PlexError, PlexProtocolError
from custom_components.videodrome.engine.plex.notifications import Notification
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from tests.conftest import PLEX_TOKEN
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    import aiohttp

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import Item as PlexItem
    from tests.emulators.tmdb import TMDbEmulator

MOVIES, TV = 1, 2


@pytest.fixture
def client(plex_emulator: PlexEmulator, session: aiohttp.ClientSession) -> PlexClient:
    return PlexClient(plex_emulator.url, PLEX_TOKEN, session)


@pytest.fixture
def identifier(session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator) -> Identifier:
    return Identifier(TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url))


def _emulated(plex: PlexEmulator, kind: str) -> list[PlexItem]:
    return [item for item in plex.library.items.values() if item.type == kind]


def _tmdb(item: PlexItem) -> int:
    return int(next(g for g in item.guids if g.startswith("tmdb://")).removeprefix("tmdb://"))


def _status(index: LibraryIndex) -> str:
    return index.status  # read afresh: mypy would keep what an earlier assert narrowed


def _failure(index: LibraryIndex) -> str | None:
    return index.failure


def _state(index: LibraryIndex) -> dict[int, LoadState]:
    return {load.key: load.state for load in index.sections}


async def test_a_failing_section_leaves_the_others_answering(
    plex_emulator: PlexEmulator, client: PlexClient, identifier: Identifier
) -> None:
    plex_emulator.faults.failing_sections = {TV}
    index = LibraryIndex(client, page_size=4)
    await index.refresh()

    assert index.loaded
    assert index.status == "incomplete"
    assert _state(index) == {MOVIES: LoadState.COMPLETE, TV: LoadState.FAILED}
    (missing,) = index.missing()
    assert (missing.key, missing.kind, missing.title) == (TV, "show", "TV Shows")
    assert missing.error == "Plex answered 500 to /library/sections/2/all"
    assert missing.as_json() == {
        "id": TV,
        "type": "show",
        "title": "TV Shows",
        "state": "failed",
        "items": 0,
        "episodes": 0,
        "error": "Plex answered 500 to /library/sections/2/all",
    }
    assert index.missing("movie") == ()
    movies = _emulated(plex_emulator, "movie")
    assert index.sections[0].items == len(movies)

    # The movies answer as before, and say they are complete; shows say they may not be.
    matrix = next(m for m in movies if m.title == "The Matrix")
    found = index.by_id(tmdb=_tmdb(matrix), kind="movie")
    assert (found.found, found.loading, found.incomplete) == (True, False, False)
    assert index.by_title("The Matrix", kind="movie").incomplete is False
    show = _emulated(plex_emulator, "show")[0]
    nothing = index.by_id(tmdb=_tmdb(show), kind="show")
    assert (nothing.found, nothing.loading, nothing.incomplete) == (False, False, True)
    assert index.by_title(show.title).incomplete  # any kind: shows included
    assert index.snapshot.counts() == {MOVIES: len(movies)}

    # The pipeline's question: a movie is answered; an episode is not ("not there" would be a
    # guess that files a duplicate).
    assert await index.find(await identifier.identify("The.Matrix.1999.mkv")) is not None
    assert await index.find(await identifier.identify("Oppenheimer.2023.mkv")) is None
    with pytest.raises(LibraryIncompleteError, match=r"TV Shows \(failed\)") as raised:
        await index.find(await identifier.identify("Breaking.Bad.S02E03.720p.mkv"))
    assert raised.value.sections == (missing,)

    # The section answers again: the next load is complete.
    plex_emulator.faults.failing_sections = set()
    await index.refresh()
    assert index.status == "loaded"
    assert _state(index) == {MOVIES: LoadState.COMPLETE, TV: LoadState.COMPLETE}
    assert index.by_id(tmdb=_tmdb(show), kind="show").found
    assert await index.find(await identifier.identify("Breaking.Bad.S02E03.720p.mkv"))


async def test_a_section_that_fails_again_keeps_what_it_held(
    plex_emulator: PlexEmulator, client: PlexClient
) -> None:
    """Read once completely, then failing: its items stay (stale, not missing)."""
    index = LibraryIndex(client, page_size=4)
    await index.refresh()
    before = index.snapshot
    plex_emulator.faults.failing_sections = {MOVIES}
    await index.refresh()

    assert _state(index) == {MOVIES: LoadState.STALE, TV: LoadState.COMPLETE}
    assert index.status == "loaded"  # stale is not missing
    stale = index.sections[0]
    assert stale.error == "Plex answered 500 to /library/sections/1/all"
    assert stale.items == len(_emulated(plex_emulator, "movie"))  # the last complete read
    assert index.snapshot.counts() == before.counts()
    matrix = next(m for m in _emulated(plex_emulator, "movie") if m.title == "The Matrix")
    assert index.snapshot.items[matrix.rating_key] is before.items[matrix.rating_key]
    assert not index.by_id(tmdb=_tmdb(matrix)).incomplete

    # A section gone from Plex while another fails is dropped all the same.
    plex_emulator.library.sections.pop(TV)
    await index.refresh()
    assert _state(index) == {MOVIES: LoadState.STALE}
    assert dict(index.snapshot.sections) == {MOVIES: "movie"}
    assert not any(item.section == TV for item in index.snapshot.items.values())


async def test_a_server_that_ignores_the_offset_gives_a_partial_section(
    plex_emulator: PlexEmulator, client: PlexClient
) -> None:
    plex_emulator.faults.ignore_container_start = True
    movies = _emulated(plex_emulator, "movie")
    assert len(movies) > 1 + PAGES_PER_WAVE
    index = LibraryIndex(client, page_size=1)
    await index.refresh()
    listings = [r for r in plex_emulator.requests if r.path == "/library/sections/1/all"]

    assert _state(index)[MOVIES] is LoadState.PARTIAL
    assert index.status == "incomplete"
    assert index.sections[0].items == 1
    assert index.sections[0].error is not None
    assert "only part of the library" in index.sections[0].error
    assert index.snapshot.counts()[MOVIES] == 1
    # The first page, then one wave of pages that repeat it: not the first page until the total.
    assert len(listings) == 1 + PAGES_PER_WAVE

    # Read in full before: a partial read keeps the full one (stale).
    plex_emulator.faults.ignore_container_start = False
    await index.refresh()
    assert index.snapshot.counts()[MOVIES] == len(movies)
    plex_emulator.faults.ignore_container_start = True
    await index.refresh()
    assert _state(index)[MOVIES] is LoadState.STALE
    assert index.snapshot.counts()[MOVIES] == len(movies)


async def test_nothing_read_until_plex_lists_its_sections(
    plex_emulator: PlexEmulator, client: PlexClient, identifier: Identifier
) -> None:
    movie = await identifier.identify("The.Matrix.1999.mkv")
    plex_emulator.faults.fail_next = 1
    plex_emulator.faults.fail_prefix = "/library/sections"
    index = LibraryIndex(client)
    with pytest.raises(LibraryNotLoadedError):
        await index.find(movie)  # the first question tries once
    assert _status(index) == "unavailable"
    assert _failure(index) == "Plex answered 500 to /library/sections"
    assert index.by_id(tmdb=603).loading
    # Tried and failed: the next question does not try again (its owner retries).
    requests = len(plex_emulator.requests)
    with pytest.raises(LibraryNotLoadedError):
        await index.find(movie)
    assert len(plex_emulator.requests) == requests
    await index.refresh()
    assert _status(index) == "loaded"
    assert _failure(index) is None
    assert await index.find(movie) is not None


async def test_a_question_during_a_load_waits_for_it(
    plex_emulator: PlexEmulator, client: PlexClient, identifier: Identifier
) -> None:
    movie = await identifier.identify("The.Matrix.1999.mkv")
    index = LibraryIndex(client)
    plex_emulator.faults.latency = 0.05
    loading = asyncio.create_task(index.refresh())
    await asyncio.sleep(0.01)
    assert await index.find(movie) is not None
    await loading
    listings = [r for r in plex_emulator.requests if r.path == "/library/sections"]
    assert len(listings) == 1  # one load, not two
    assert index.loads_finished == 1


async def test_a_scanned_section_read_again_alone(
    plex_emulator: PlexEmulator, client: PlexClient
) -> None:
    """After a scan: a failing section keeps what it held; once it answers it is complete."""
    plex_emulator.faults.failing_sections = {TV}
    index = LibraryIndex(client, page_size=4)
    await index.refresh()
    scan_ended = Notification(
        "activity",
        (
            {
                "event": "ended",
                "Activity": {
                    "type": "library.update.section",
                    "Context": {"librarySectionID": "2"},
                },
            },
        ),
    )
    assert await index.apply(scan_ended)
    assert _state(index) == {MOVIES: LoadState.COMPLETE, TV: LoadState.FAILED}
    plex_emulator.faults.failing_sections = set()
    assert await index.apply(scan_ended)
    assert _state(index) == {MOVIES: LoadState.COMPLETE, TV: LoadState.COMPLETE}
    assert index.snapshot.counts()[TV] == len(_emulated(plex_emulator, "show"))
    plex_emulator.faults.failing_sections = {TV}
    assert await index.rebuild_sections({TV, 99})  # 99: no such section
    assert _state(index) == {MOVIES: LoadState.COMPLETE, TV: LoadState.STALE}
    assert index.snapshot.counts()[TV] == len(_emulated(plex_emulator, "show"))


async def test_build_is_all_or_nothing(plex_emulator: PlexEmulator, client: PlexClient) -> None:
    plex_emulator.faults.failing_sections = {TV}
    with pytest.raises(PlexProtocolError, match="sections/2/all"):
        await build(client)
    plex_emulator.faults.failing_sections = set()
    assert (await build(client)).counts()[TV] == len(_emulated(plex_emulator, "show"))


async def test_a_refused_token_is_not_one_sections_problem(
    plex_emulator: PlexEmulator, client: PlexClient
) -> None:
    index = LibraryIndex(client)
    await index.refresh()
    plex_emulator.faults.fail_next, plex_emulator.faults.fail_status = 1, 401
    plex_emulator.faults.fail_prefix = "/library/sections/2/all"
    with pytest.raises(PlexError, match="refused the token"):
        await index.refresh()
    assert index.failure == "Plex refused the token (401 Unauthorized)"
    assert index.status == "loaded"  # the old snapshot still answers
    assert _state(index) == {MOVIES: LoadState.COMPLETE, TV: LoadState.COMPLETE}
    assert index.snapshot.counts()[TV] == len(_emulated(plex_emulator, "show"))


def test_the_retries_double_up_to_ten_minutes_then_stop() -> None:
    backoff = Backoff()
    delays = [backoff.next_delay() for _ in range(8)]
    assert delays == [30, 60, 120, 240, 480, 600, None, None]
    backoff.reset()
    assert backoff.next_delay() == 30
    quick = Backoff(first=0.5, cap=1.5)
    assert [quick.next_delay() for _ in range(4)] == [0.5, 1.0, 1.5, None]


def test_a_section_load_as_json() -> None:
    load = SectionLoad(3, "movie", "Films", LoadState.PARTIAL, 50, 0, "stopped")
    assert load.as_json()["state"] == "partial"
    assert LoadState.PARTIAL.incomplete
    assert LoadState.FAILED.incomplete
    assert not LoadState.STALE.incomplete
    assert not LoadState.COMPLETE.incomplete
