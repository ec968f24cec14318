"""The TMDb client against the TMDb emulator: API, caching, sharing, rate limits, failures."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import TYPE_CHECKING

from aiohttp import web
import pytest

from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.tmdb import client as tmdb_module
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from custom_components.videodrome.engine.tmdb.errors import (
    TMDbAuthError,
    TMDbConnectionError,
    TMDbNotFoundError,
    TMDbProtocolError,
    TMDbRateLimitError,
)
from custom_components.videodrome.engine.tmdb.models import Candidate, Season, ShowDetails
from custom_components.videodrome.engine.tmdb.pacing import (
    MAX_RETRY_AFTER,
    RateLimiter,
    retry_after_seconds,
)
from tests.engine.conftest import TMDB_BEARER, TMDB_KEY

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import aiohttp

    from tests.emulators.tmdb import TMDbEmulator


def client(session: aiohttp.ClientSession, emulator: TMDbEmulator, **kwargs: object) -> TMDbClient:
    """A client of the emulator, with short back-off so failure tests stay quick."""
    kwargs.setdefault("api_key", TMDB_KEY)
    kwargs.setdefault("backoff", 0.01)
    return TMDbClient(session, base_url=emulator.url, **kwargs)  # type: ignore[arg-type]


async def test_search_movie_with_year(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """search/movie with primary_release_year, read into candidates."""
    tmdb = client(session, tmdb_emulator)
    found = await tmdb.search_movie("Dune", 2021)
    assert [c.tmdb_id for c in found] == [438631]
    dune = found[0]
    assert (dune.media_type, dune.title, dune.year) == ("movie", "Dune", 2021)
    assert dune.vote_count > 0
    assert dune.poster_path is not None
    request = tmdb_emulator.requests[-1]
    assert request.path == "/3/search/movie"
    assert request.query["primary_release_year"] == "2021"
    assert request.query["query"] == "Dune"
    both = await tmdb.search_movie("Dune")
    assert {841, 438631} <= {c.tmdb_id for c in both}


async def test_search_tv(session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator) -> None:
    """search/tv with first_air_date_year."""
    tmdb = client(session, tmdb_emulator)
    found = await tmdb.search_tv("The Office")
    assert {2316, 2996} <= {c.tmdb_id for c in found}
    assert all(c.media_type == "tv" for c in found)
    dated = await tmdb.search_tv("The Office", 2005)
    assert [c.tmdb_id for c in dated] == [2316]
    assert tmdb_emulator.requests[-1].query["first_air_date_year"] == "2005"


async def test_details_seasons_and_find(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """movie/{id}, tv/{id}, tv/{id}/season/{n} and find/{id}."""
    tmdb = client(session, tmdb_emulator)
    matrix = await tmdb.movie(603)
    assert matrix.imdb_id == "tt0133093"
    assert "Matrix" in matrix.alternative_titles
    assert tmdb_emulator.requests[-1].query["append_to_response"] == (
        "alternative_titles,external_ids"
    )
    breaking = await tmdb.tv(1396)
    assert isinstance(breaking, ShowDetails)
    assert breaking.candidate.tvdb_id == 81189
    assert breaking.candidate.imdb_id == "tt0903747"
    assert [s.season_number for s in breaking.seasons if s.season_number] == [1, 2, 3, 4, 5]
    season = await tmdb.season(1396, 1)
    assert isinstance(season, Season)
    pilot = season.episode(1)
    assert pilot is not None
    assert pilot.name == "Pilot"
    assert season.episode(99) is None
    assert pilot.air_date is not None
    assert season.on_date(pilot.air_date) == pilot
    assert season.on_date("1900-01-01") is None
    by_imdb = await tmdb.find("tt0133093", "imdb_id")
    assert [(c.media_type, c.tmdb_id) for c in by_imdb] == [("movie", 603)]
    by_tvdb = await tmdb.find("81189", "tvdb_id")
    assert [(c.media_type, c.tmdb_id) for c in by_tvdb] == [("tv", 1396)]
    assert await tmdb.find("../../", "imdb_id") == ()


async def test_unknown_ids_are_not_found(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """TMDb's 404 becomes TMDbNotFoundError, without retries."""
    tmdb = client(session, tmdb_emulator)
    with pytest.raises(TMDbNotFoundError, match="movie/999999999"):
        await tmdb.movie(999999999)
    with pytest.raises(TMDbNotFoundError):
        await tmdb.season(1396, 77)
    assert tmdb.stats.retries == 0


async def test_bearer_token(session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator) -> None:
    """A v4 read access token travels as a bearer header, not in the URL."""
    tmdb = client(session, tmdb_emulator, api_key=None, bearer_token=TMDB_BEARER)
    assert (await tmdb.movie(603)).title == "The Matrix"
    assert "api_key" not in tmdb_emulator.requests[-1].query


async def test_rejected_key(
    session: aiohttp.ClientSession,
    tmdb_emulator: TMDbEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """401 is TMDbAuthError at once; the key appears in no message and no log line."""
    caplog.set_level(logging.DEBUG)
    secret = "wrong-key-that-must-not-leak"
    tmdb = client(session, tmdb_emulator, api_key=secret)
    with pytest.raises(TMDbAuthError) as raised:
        await tmdb.search_movie("Dune")
    assert secret not in str(raised.value)
    assert raised.value.__cause__ is None
    assert secret not in caplog.text
    assert secret not in repr(tmdb)
    assert tmdb.stats.requests == 1
    bad_bearer = client(session, tmdb_emulator, api_key=None, bearer_token="eyJnope")
    with pytest.raises(TMDbAuthError):
        await bad_bearer.validate()


async def test_validate(session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator) -> None:
    """validate() succeeds for a good key and is never cached."""
    tmdb = client(session, tmdb_emulator)
    await tmdb.validate()
    await tmdb.validate()
    assert tmdb.stats.requests == 2


async def test_close_cancels_running_requests(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """Unloading cancels requests that nobody waits for any more."""
    tmdb = client(session, tmdb_emulator)
    tmdb_emulator.faults.latency = 0.5
    waiting = asyncio.create_task(tmdb.movie(603))
    await asyncio.sleep(0.05)
    waiting.cancel()
    assert tmdb._inflight
    await tmdb.close()
    assert not tmdb._inflight


def test_a_key_or_token_is_required(session: aiohttp.ClientSession) -> None:
    """No credentials: a clear error before any request."""
    with pytest.raises(ValueError, match="API key"):
        TMDbClient(session)


async def test_memory_cache_and_sharing(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """Twenty callers asking the same thing at once cost one request; later ones none."""
    tmdb = client(session, tmdb_emulator)
    tmdb_emulator.faults.latency = 0.05
    results = await asyncio.gather(*(tmdb.search_movie("The Matrix", 1999) for _ in range(20)))
    assert all(r == results[0] for r in results)
    assert tmdb_emulator.counts["search/movie"] == 1
    assert tmdb.stats.shared == 19
    await tmdb.search_movie("The Matrix", 1999)
    assert tmdb.stats.memory_hits == 1
    assert tmdb_emulator.counts["search/movie"] == 1


async def test_a_caller_giving_up_does_not_cancel_the_others(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """The shared request runs on when the first caller is cancelled."""
    tmdb = client(session, tmdb_emulator)
    tmdb_emulator.faults.latency = 0.1
    first = asyncio.create_task(tmdb.movie(603))
    await asyncio.sleep(0.02)
    second = asyncio.create_task(tmdb.movie(603))
    await asyncio.sleep(0.02)
    first.cancel()
    assert (await second).tmdb_id == 603
    assert first.cancelled()


async def test_memory_keeps_bytes_and_hands_out_copies(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """Memory holds TMDb's bytes (nothing for the garbage collector to scan); a caller
    changing its answer changes no one else's."""
    tmdb = client(session, tmdb_emulator)
    first = await tmdb.details_json("movie", 603)
    assert all(isinstance(body, bytes) for body in tmdb._memory.values())
    assert not any(gc.is_tracked(body) for body in tmdb._memory.values())
    first["title"] = "Changed"
    again = await tmdb.details_json("movie", 603)
    assert again["title"] == "The Matrix"
    assert again is not first
    assert (tmdb.stats.memory_hits, tmdb_emulator.counts["movie"]) == (1, 1)


async def test_memory_cache_is_bounded(
    session: aiohttp.ClientSession,
    tmdb_emulator: TMDbEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The oldest answers leave memory first."""
    monkeypatch.setattr(tmdb_module, "MEMORY_ENTRIES", 2)
    tmdb = client(session, tmdb_emulator)
    for tmdb_id in (603, 604, 550, 603):
        await tmdb.movie(tmdb_id)
    assert len(tmdb._memory) == 2
    assert tmdb.stats.requests == 4


async def test_store_cache_across_clients(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """A second client (a restart) answers from SQLite, not from TMDb."""
    with Store(":memory:") as store:
        await client(session, tmdb_emulator, store=store).movie(603)
        assert store.tmdb_cache.size() == 1
        again = client(session, tmdb_emulator, store=store)
        assert (await again.movie(603)).title == "The Matrix"
        assert again.stats.store_hits == 1
        assert again.stats.requests == 0
        assert tmdb_emulator.counts["movie"] == 1
        keys = store._db.execute("SELECT key FROM tmdb_cache").fetchall()
        assert all(TMDB_KEY not in key for (key,) in keys)


async def test_empty_searches_expire_sooner(
    session: aiohttp.ClientSession,
    tmdb_emulator: TMDbEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An empty search result is asked again after a day; a hit is kept for 30 days."""
    now = [1_000_000.0]
    with Store(":memory:", clock=lambda: now[0]) as store:
        await client(session, tmdb_emulator, store=store).search_movie("No Such Film Anywhere")
        await client(session, tmdb_emulator, store=store).search_movie("The Matrix")
        now[0] += 2 * 24 * 3600
        later = client(session, tmdb_emulator, store=store)
        await later.search_movie("No Such Film Anywhere")
        await later.search_movie("The Matrix")
        assert later.stats.requests == 1
        assert later.stats.store_hits == 1


async def test_rate_limit_is_honoured(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """429 with Retry-After pauses every request, then they all succeed."""
    tmdb_emulator.rate_limit = 5
    tmdb = client(session, tmdb_emulator, rate=1000)
    started = time.monotonic()
    ids = (603, 604, 550, 78, 62, 1091, 948)
    results = await asyncio.gather(*(tmdb.movie(i) for i in ids))
    assert [r.tmdb_id for r in results] == list(ids)
    assert tmdb.stats.rate_limited >= 1
    assert time.monotonic() - started >= 0.9  # Retry-After: 1


async def test_spacing_keeps_under_the_limit(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """At the client's rate the emulator's limit is never hit."""
    tmdb_emulator.rate_limit = 20
    tmdb = client(session, tmdb_emulator, rate=19)
    titles = ["The Matrix", "Dune", "Heat", "Alien", "Aliens", "Blade Runner", "Halloween"]
    await asyncio.gather(*(tmdb.search_movie(t, y) for t in titles for y in (None, 1999, 2000)))
    assert tmdb.stats.rate_limited == 0
    assert tmdb.stats.requests == 21


async def test_rate_limit_storm_gives_up(
    session: aiohttp.ClientSession,
    tmdb_emulator: TMDbEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Endless 429s end in TMDbRateLimitError after a bounded number of tries."""
    monkeypatch.setattr(tmdb_module, "retry_after_seconds", lambda _value: 0.0)
    tmdb_emulator.faults.fail_next = 100
    tmdb_emulator.faults.fail_status = 429
    tmdb = client(session, tmdb_emulator)
    with pytest.raises(TMDbRateLimitError):
        await tmdb.movie(603)
    assert tmdb.stats.requests == tmdb_module.MAX_RATE_LIMITED + 1


async def test_server_errors_are_retried(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """A 503 and a dropped connection, then success."""
    tmdb_emulator.faults.fail_next = 1
    tmdb_emulator.faults.fail_status = 503
    tmdb = client(session, tmdb_emulator)
    assert (await tmdb.movie(603)).tmdb_id == 603
    assert tmdb.stats.retries == 1
    # aiohttp itself retries once on a reused connection that was closed: drop three.
    tmdb_emulator.faults.drop_next = 3
    assert (await tmdb.movie(604)).tmdb_id == 604
    assert tmdb.stats.retries >= 2


async def test_retries_are_bounded(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """Persistent 500s end in TMDbConnectionError after max_retries."""
    tmdb_emulator.faults.fail_next = 100
    tmdb = client(session, tmdb_emulator, max_retries=2)
    with pytest.raises(TMDbConnectionError, match="500"):
        await tmdb.movie(603)
    assert tmdb.stats.requests == 3


async def test_timeouts_are_retried_then_reported(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """A slow TMDb is a timeout, retried, then a TMDbConnectionError."""
    tmdb_emulator.faults.latency = 0.5
    tmdb = client(session, tmdb_emulator, request_timeout=0.1, max_retries=1)
    with pytest.raises(TMDbConnectionError, match="in time"):
        await tmdb.movie(603)
    assert tmdb.stats.requests == 2


async def test_unreachable(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    """Nothing listening: TMDbConnectionError."""
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url="http://127.0.0.1:9/3", max_retries=0)
    with pytest.raises(TMDbConnectionError, match="cannot reach"):
        await tmdb.movie(603)


async def test_malformed_and_unexpected_answers(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """Broken JSON and odd statuses are protocol errors."""
    tmdb_emulator.faults.malformed_next = 1
    tmdb = client(session, tmdb_emulator)
    with pytest.raises(TMDbProtocolError, match="not JSON"):
        await tmdb.movie(603)
    tmdb_emulator.faults.fail_next = 1
    tmdb_emulator.faults.fail_status = 400
    with pytest.raises(TMDbProtocolError, match="400"):
        await tmdb.movie(604)


async def _serve(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_get("/3/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/3"


async def test_shapes_tmdb_does_not_promise(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """A list where an object belongs, and objects without ids, are protocol errors."""
    answers = {
        "movie/1": b"[]",
        "movie/2": b"{}",
        "tv/3": b'{"name": "x"}',
        "search/movie": b'{"results": {"not": "a list"}}',
    }

    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            body=answers[request.match_info["tail"]], content_type="application/json"
        )

    runner, url = await _serve(handler)
    try:
        tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=url)
        with pytest.raises(TMDbProtocolError, match="unexpected shape"):
            await tmdb.movie(1)
        with pytest.raises(TMDbProtocolError, match="without an id"):
            await tmdb.movie(2)
        with pytest.raises(TMDbProtocolError, match="without an id"):
            await tmdb.tv(3)
        assert await tmdb.search_movie("x") == ()
    finally:
        await runner.cleanup()


async def test_rate_limiter_spaces_requests() -> None:
    """Slots are 1/rate apart; pause() moves the next one."""
    limiter = RateLimiter(50)
    started = time.monotonic()
    for _ in range(6):
        await limiter.acquire()
    assert time.monotonic() - started >= 0.09
    limiter.pause(0.1)
    before = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - before >= 0.09


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, 1.0),
        ("", 1.0),
        ("3", 3.0),
        ("0.5", 0.5),
        ("-4", 0.0),
        ("100000", MAX_RETRY_AFTER),
        ("soon", 1.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after(header: str | None, seconds: float) -> None:
    """Seconds or an HTTP date, bounded; nonsense means one second."""
    assert retry_after_seconds(header) == seconds


def test_candidate_reading_is_lenient() -> None:
    """Missing, null and odd fields are tolerated."""
    assert Candidate.from_json({"title": "x"}, "movie") is None
    odd = Candidate.from_json(
        {"id": 5, "title": None, "original_title": "Orig", "release_date": "", "vote_count": True,
         "popularity": "high", "origin_country": "US", "alternative_titles": [],
         "external_ids": None},
        "movie",
    )  # fmt: skip
    assert odd is not None
    assert (odd.title, odd.year, odd.vote_count, odd.popularity) == ("Orig", None, 0, 0.0)
    assert odd.origin_country == ()
    assert odd.titles == ("Orig",)
    assert ShowDetails.from_json({"name": "no id"}) is None
    season = Season.from_json({"episodes": [{"name": "no number"}, "junk"]}, 3)
    assert season == Season(3, ())


async def test_raw_details_share_the_models_requests(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    """The metadata provider's raw answers are the same requests, so the same cache."""
    tmdb = client(session, tmdb_emulator)
    await tmdb.movie(603)
    await tmdb.tv(1396)
    await tmdb.season(1396, 1)
    asked = tmdb.stats.requests
    movie = await tmdb.details_json("movie", 603)
    show = await tmdb.details_json("tv", 1396)
    season = await tmdb.season_json(1396, 1)
    assert tmdb.stats.requests == asked
    assert (movie["id"], show["id"], season["season_number"]) == (603, 1396, 1)
    assert movie["external_ids"]["imdb_id"] == "tt0133093"
    await tmdb.details_json("movie", 603, language="fr-FR")
    assert tmdb.stats.requests == asked + 1
    assert tmdb_emulator.requests[-1].query["language"] == "fr-FR"
