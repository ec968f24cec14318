"""What one provider request may cost TMDb, the provider's share of TMDb, the parse queue.

Requests are counted where they arrive: at the TMDb emulator. Each case starts from a TMDb
client of its own, so that nothing is cached.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.provider.budget import (
    MAX_TMDB_REQUESTS,
    TMDB_SHARE,
    ParseQueue,
    ProviderLimits,
)
from custom_components.videodrome.engine.provider.documents import Page
from custom_components.videodrome.engine.provider.errors import ProviderBusyError
from custom_components.videodrome.engine.provider.languages import normalise_language
from custom_components.videodrome.engine.provider.rate_limits import BookingLimiter
from custom_components.videodrome.engine.provider.requests import MatchRequest
from custom_components.videodrome.engine.provider.service import MetadataProvider
from custom_components.videodrome.engine.tmdb import client as tmdb_module
from custom_components.videodrome.engine.tmdb.client import DEFAULT_RATE, TMDbClient
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    import aiohttp

    from custom_components.videodrome.engine.provider.service import Answer
    from tests.emulators.tmdb import TMDbEmulator

type Call = Callable[[MetadataProvider, MetadataProvider], Awaitable[Answer]]


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Cold:
    """Providers over a TMDb client of their own, and the requests the emulator counted."""

    def __init__(
        self, session: aiohttp.ClientSession, emulator: TMDbEmulator, **kwargs: Any
    ) -> None:
        self.emulator = emulator
        self.tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=emulator.url, backoff=0.01)
        identifier = Identifier(self.tmdb, quiet=True)
        limits = kwargs.pop("limits", None) or ProviderLimits.create()
        self.movie = MetadataProvider(
            "movie", self.tmdb, identifier=identifier, limits=limits, **kwargs
        )
        self.tv = MetadataProvider("tv", self.tmdb, identifier=identifier, limits=limits, **kwargs)

    async def costs(self, call: Call, tries: int = 12) -> tuple[list[int], Answer]:
        """The TMDb requests of each try, asking again after each 503, and the answer."""
        costs: list[int] = []
        for _ in range(tries):
            before = len(self.emulator.requests)
            try:
                answer = await call(self.movie, self.tv)
            except ProviderBusyError:
                costs.append(len(self.emulator.requests) - before)
                continue
            costs.append(len(self.emulator.requests) - before)
            return costs, answer
        pytest.fail(f"not answered in {tries} tries: {costs}")


@pytest.fixture
async def cold(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> AsyncIterator[Callable[..., Cold]]:
    """Makes providers with cold caches (closed after the test)."""
    made: list[Cold] = []

    def make(**kwargs: Any) -> Cold:
        made.append(Cold(session, tmdb_emulator, **kwargs))
        return made[-1]

    yield make
    for providers in made:
        await providers.tmdb.close()


def _match(body: dict[str, Any], kind: str = "tv", language: str | None = None) -> Call:
    request = MatchRequest.from_json(body)

    def call(movie: MetadataProvider, tv: MetadataProvider) -> Awaitable[Answer]:
        return (movie if kind == "movie" else tv).match(request, language=language)

    return call


def _episodes_in(language: str) -> Call:
    def call(_movie: MetadataProvider, tv: MetadataProvider) -> Awaitable[Answer]:
        return tv.grandchildren("tmdb-show-1396", Page(0, 20), language=language)

    return call


WORST_CASES: dict[str, Call] = {
    "an episode by a date no show has, for a one-letter title": _match(
        {"type": 4, "title": "o", "date": "1900-01-01"}
    ),
    "the same, manual": _match({"type": 4, "title": "o", "date": "1900-01-01", "manual": 1}),
    "a daily show's episode by its air date": _match(
        {"type": 4, "grandparentTitle": "Breaking Bad", "date": "2008-02-03"}, language="fr-FR"
    ),
    "five films for Fix Match": _match({"type": 1, "title": "Halloween", "manual": 1}, "movie"),
    "a film by its file name": _match(
        {"type": 1, "filename": "Movies/Blade Runner (1982)/Blade.Runner.1982.mkv"}, "movie"
    ),
    "an episode by its file name, in French": _match(
        {"type": 4, "filename": "TV/The.Wire.S02E03.720p.mkv"}, language="fr-FR"
    ),
    "a season with its episodes": _match(
        {"type": 3, "parentTitle": "The Simpsons", "index": 3, "includeChildren": 1}
    ),
    "an IMDb id": _match({"type": 1, "guid": "imdb://tt0114369"}, "movie"),
    "an unknown title, with a year": _match({"type": 1, "title": "Qwxzzy", "year": 2001}, "movie"),
    "an episode, in German": lambda _m, tv: tv.metadata("tmdb-episode-1396-2-3", language="de"),
    "a season with its children": lambda _m, tv: tv.metadata(
        "tmdb-season-1396-2", include_children=True
    ),
    "a show's seasons": lambda _m, tv: tv.children("tmdb-show-1396", Page()),
    "a season's episodes": lambda _m, tv: tv.children("tmdb-season-121-1", Page(20, 20)),
    "a page of a show's episodes": lambda _m, tv: tv.grandchildren("tmdb-show-1396", Page(10, 20)),
    "every episode of a show": lambda _m, tv: tv.grandchildren("tmdb-show-1396", Page(0, 1000)),
    "an episode's images": lambda _m, tv: tv.images("tmdb-episode-1396-1-1", language="it"),
    "a film's extras": lambda movie, _tv: movie.extras("tmdb-movie-603"),
}


@pytest.mark.parametrize("case", WORST_CASES)
async def test_one_request_makes_at_most_three_tmdb_requests(
    cold: Callable[..., Cold], case: str
) -> None:
    """Each try stays within the bound; asking again finishes what needs more."""
    costs, answer = await cold().costs(WORST_CASES[case])
    assert max(costs) <= MAX_TMDB_REQUESTS == 3, costs
    assert answer.json()


async def test_the_bound_holds_for_the_worst_cases_found_in_testing(
    cold: Callable[..., Cold], tmdb_emulator: TMDbEmulator
) -> None:
    """30, 220 and 900 TMDb requests before: the date match, new languages, unknown titles."""
    providers = cold()
    costs, answer = await providers.costs(WORST_CASES["the same, manual"])
    assert max(costs) <= 3
    assert answer.json()["MediaContainer"]["Metadata"] == []
    # Twenty grandchildren requests, each in another spelling of a language.
    spellings = ["fr", "FR", "fr-fr", "fr_FR", "fr-BE", "de", "de-AT", "xx", "en", "EN-us"] * 2
    costs = []
    for spelling in spellings:
        more, _ = await providers.costs(_episodes_in(spelling))
        costs += more
    assert max(costs) <= 3
    languages = {normalise_language(s) for s in spellings}
    assert languages == {"fr-FR", "de-DE", "de-AT", "en-US"}
    assert sum(costs) <= 3 * len(languages)  # the rest came from the caches
    # Two hundred unknown titles.
    before = len(tmdb_emulator.requests)
    for number in range(200):
        body = {"type": 1, "title": f"Qwxzzy {number}", "year": 2001}
        await providers.movie.match(MatchRequest.from_json(body))
    assert len(tmdb_emulator.requests) - before <= 200 * 3


async def test_the_provider_keeps_to_its_share_of_tmdb(
    cold: Callable[..., Cold], tmdb_emulator: TMDbEmulator
) -> None:
    """Past its burst and rate the provider is busy (with when to come back), ingest is not."""
    assert TMDB_SHARE * DEFAULT_RATE == 10  # a quarter of TMDb's 40 a second
    clock = Clock()
    share = BookingLimiter(10, 3, max_wait=0, clock=clock)  # no waiting: refused at once
    providers = cold(limits=ProviderLimits(share))
    refused: list[float] = []
    for number in range(10):
        body = {"type": 1, "title": f"Qwxzzy {number}"}  # one search each
        try:
            await providers.movie.match(MatchRequest.from_json(body))
        except ProviderBusyError as err:
            refused.append(err.retry_after)
    assert len(tmdb_emulator.requests) == 3
    assert len(refused) == 7
    assert all(0 < seconds <= 0.1 for seconds in refused)
    # Ingest asks the same client meanwhile, without a gate: it is not held back.
    assert await providers.tmdb.search_movie("Heat", 1995)
    assert len(tmdb_emulator.requests) == 4
    clock.now += 1.0  # a second later, ten more
    for number in range(20):
        body = {"type": 1, "title": f"Later {number}"}
        try:
            await providers.movie.match(MatchRequest.from_json(body))
        except ProviderBusyError:
            continue
    assert len(tmdb_emulator.requests) == 4 + 3  # the bucket holds a burst of 3 at most


async def test_a_refusal_never_fails_ingest_asking_the_same(
    cold: Callable[..., Cold], tmdb_emulator: TMDbEmulator
) -> None:
    """Requests made under the provider's gate are not shared with callers without one."""
    tmdb_emulator.faults.latency = 0.05
    share = BookingLimiter(10, 1, max_wait=0, clock=Clock())
    providers = cold(limits=ProviderLimits(share))
    await providers.movie.metadata("tmdb-movie-603")  # the only token
    key = "tmdb-movie-680"

    provider = asyncio.create_task(providers.movie.metadata(key))
    await asyncio.sleep(0)  # the provider's request is in flight first
    ingested = await providers.tmdb.details_json("movie", 680)
    assert ingested["id"] == 680
    with pytest.raises(ProviderBusyError):
        await provider
    assert tmdb_module.request_gate.get() is None  # the provider's gate stayed in its requests


async def test_a_share_slot_a_little_ahead_is_waited_for(cold: Callable[..., Cold]) -> None:
    share = BookingLimiter(20, 1, max_wait=1, clock=Clock())  # time stands still: 0.05 s each
    providers = cold(limits=ProviderLimits(share))
    started = asyncio.get_running_loop().time()
    for key in ("tmdb-movie-603", "tmdb-movie-680", "tmdb-movie-78"):
        await providers.movie.metadata(key)
    assert asyncio.get_running_loop().time() - started >= 0.05 + 0.1


async def test_file_names_wait_in_a_bounded_queue(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """Past `size` names waiting to be read, the provider is busy at once (503)."""
    release = asyncio.Event()

    async def slow_executor(job: Callable[[], Any]) -> Any:
        await release.wait()
        return await asyncio.get_running_loop().run_in_executor(None, job)

    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url)
    identifier = Identifier(tmdb, run_blocking=slow_executor)
    limits = ProviderLimits(BookingLimiter(1000, 100, max_wait=0), ParseQueue(2))
    provider = MetadataProvider("movie", tmdb, identifier=identifier, limits=limits)

    async def ask(name: str) -> Answer:
        return await provider.match(MatchRequest.from_json({"type": 1, "filename": name}))

    waiting = [asyncio.create_task(ask(f"Heat.1995.{n}.mkv")) for n in range(2)]
    await asyncio.sleep(0.01)
    assert limits.parses.queued == 2
    with pytest.raises(ProviderBusyError, match="wait to be read") as refused:
        await ask("Heat.1995.mkv")
    assert refused.value.retry_after == 2.0
    release.set()
    for answer in await asyncio.gather(*waiting):
        assert answer.json()["MediaContainer"]["Metadata"][0]["ratingKey"] == "tmdb-movie-949"
    assert limits.parses.queued == 0
    await tmdb.close()


@pytest.mark.parametrize(
    "guid",
    ["imdb://tt1", "imdb://" + "a" * 300, "tvdb://" + "9" * 300, "tmdb://" + "9" * 300],
)
async def test_ids_that_cannot_be_are_not_looked_up(
    cold: Callable[..., Cold], tmdb_emulator: TMDbEmulator, guid: str
) -> None:
    providers = cold()
    answer = await providers.movie.match(MatchRequest.from_json({"type": 1, "guid": guid}))
    assert answer.json()["MediaContainer"]["Metadata"] == []
    assert tmdb_emulator.requests == []


async def test_identifications_for_the_provider_log_at_debug_only(
    cold: Callable[..., Cold], caplog: pytest.LogCaptureFixture, tmdb_emulator: TMDbEmulator
) -> None:
    """A remote client chooses the names: what identifying them logs stays at debug."""
    caplog.set_level(logging.DEBUG)
    providers = cold()
    body = {"type": 4, "filename": "TV/Chernobyl.S01E01E03.mkv"}  # no Plex name: "unnameable"
    await providers.costs(_match(body))
    tmdb_emulator.faults.fail_next = 100  # TMDb fails, once: identification reports it
    providers.tmdb._max_retries = 0
    body = {"type": 1, "filename": "Movies/Alien.1979.mkv"}
    answer = await providers.movie.match(MatchRequest.from_json(body))
    assert answer.json()["MediaContainer"]["Metadata"] == []
    assert "TMDb failed while identifying" in caplog.text
    assert [r.levelname for r in caplog.records if r.levelno > logging.DEBUG] == []
    assert "No Plex name" in caplog.text


async def test_a_date_between_seasons_and_tmdb_failing_on_a_date(
    cold: Callable[..., Cold], tmdb_emulator: TMDbEmulator
) -> None:
    """Between two seasons: the two likeliest are read, nothing found. TMDb failing: not kept."""
    providers = cold()
    body = {"type": 4, "grandparentTitle": "Breaking Bad", "date": "2008-12-25"}
    costs, answer = await providers.costs(_match(body))
    assert answer.json()["MediaContainer"]["Metadata"] == []
    assert sum(costs) <= 1 + 1 + 2  # the search, the show, two seasons
    once = cold()
    once.tmdb._max_retries = 0
    await once.tmdb.search_tv("Breaking Bad")  # found; the show's details will fail
    tmdb_emulator.faults.fail_next = 1
    empty = await once.tv.match(MatchRequest.from_json(body | {"date": "2008-02-03"}))
    assert empty.json()["MediaContainer"]["Metadata"] == []
    (episode,) = (
        await once.tv.match(MatchRequest.from_json(body | {"date": "2008-02-03"}))
    ).json()["MediaContainer"]["Metadata"]  # not remembered: answered once TMDb is back
    assert episode["ratingKey"] == "tmdb-episode-1396-1-3"


async def test_a_shows_seasons_are_cached(
    cold: Callable[..., Cold], tmdb_emulator: TMDbEmulator
) -> None:
    providers = cold()
    first = await providers.tv.children("tmdb-show-1396", Page())
    made = len(tmdb_emulator.requests)
    again = await providers.tv.children("tmdb-show-1396", Page(1, 2))
    assert len(tmdb_emulator.requests) == made == 1
    assert (
        again.json()["MediaContainer"]["Metadata"]
        == first.json()["MediaContainer"]["Metadata"][1:3]
    )
