"""The TMDb emulator's own behaviour: search, find, auth, errors, rate limit, faults, CLI."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from tests.emulators.catalogue import (
    Catalogue,
    CatalogueMovie,
    CatalogueSeason,
    CatalogueShow,
)
from tests.emulators.tmdb import TMDbEmulator, image_path
from tests.emulators.tmdb_search import words

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.emulators.server import Emulators

API_KEY = "test-tmdb-key"
BEARER = "test-tmdb-read-access-token"


@pytest.fixture
async def tmdb(emulators: Emulators) -> TMDbEmulator:
    return await emulators.start(TMDbEmulator(api_key=API_KEY, bearer_token=BEARER))


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _get(
    http: aiohttp.ClientSession,
    url: str,
    params: dict[str, str] | None = None,
    *,
    key: str | None = API_KEY,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    sent = dict(params or {})
    if key is not None:
        sent["api_key"] = key
    async with http.get(url, params=sent, headers=headers) as response:
        return response.status, await response.json()


async def _search(
    http: aiohttp.ClientSession, tmdb: TMDbEmulator, kind: str, query: str, **params: str
) -> list[int]:
    status, body = await _get(http, f"{tmdb.url}/search/{kind}", {"query": query, **params})
    assert status == 200
    return [r["id"] for r in body["results"]]


def _movie(tmdb_id: int, title: str, popularity: float = 1.0, **fields: Any) -> CatalogueMovie:
    return CatalogueMovie(
        tmdb_id=tmdb_id,
        imdb_id=None,
        title=title,
        original_title=fields.pop("original_title", title),
        original_language="en",
        release_date=fields.pop("release_date", "2000-01-01"),
        popularity=popularity,
        **fields,
    )


# ---- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("The Matrix", [603, 604]),  # title; both contain the words, most popular first
        ("matrix reloaded", [604]),
        ("WW84", [464052]),  # an alternative title
        ("Gisaengchung", [496243]),  # an alternative (romanised) title
        ("千と千尋の神隠し", [129]),  # the original title
        ("Le Fabuleux Destin", [194]),  # the original title, in French
        ("AMELIE", [194]),  # case and accents do not matter
        ("leon professional", [101]),
        ("oceans eleven", [161, 299]),  # nor does the apostrophe
        ("Ocean's 11", [299]),
        ("2001: a space odyssey!", [62]),  # nor punctuation
        ("blade run", [335984, 78]),  # words match as prefixes
        ("runner blade", [335984, 78]),  # in any order
        ("lade runner", []),  # but only at the start of a word
        ("batman knight", [155]),  # all words within one title ("Batman: The Dark Knight")
        ("batman reloaded", []),  # not spread over several titles of different works
        ("matrix final", []),  # nor over titles of one work ("Matrix", "… The Final Cut")
        ("", []),
        ("  ?! ", []),
    ],
)
async def test_search_movie_matches_words_of_any_title(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession, query: str, expected: list[int]
) -> None:
    assert await _search(http, tmdb, "movie", query) == expected


async def test_remakes_are_told_apart_by_year_most_popular_first(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    assert await _search(http, tmdb, "movie", "dune") == [693134, 438631, 841]
    assert await _search(http, tmdb, "movie", "halloween") == [948, 424139, 2082]
    assert await _search(http, tmdb, "movie", "halloween", year="2007") == [2082]
    assert await _search(http, tmdb, "movie", "halloween", primary_release_year="1978") == [948]
    assert await _search(http, tmdb, "movie", "the thing", primary_release_year="2011") == [60935]
    assert await _search(http, tmdb, "movie", "the thing", year="1999") == []
    assert await _search(http, tmdb, "movie", "the thing", year="soon") == [1091, 60935]


async def test_search_tv_with_first_air_date_year(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    assert await _search(http, tmdb, "tv", "the office") == [2316, 2996]
    assert await _search(http, tmdb, "tv", "The Office", first_air_date_year="2001") == [2996]
    assert await _search(http, tmdb, "tv", "the office", year="2005") == [2316]
    assert await _search(http, tmdb, "tv", "office uk") == [2996]  # "The Office (UK)"
    assert await _search(http, tmdb, "tv", "kauboi bibappu") == [30991]
    status, body = await _get(http, f"{tmdb.url}/search/tv", {"query": "breaking bad"})
    result = body["results"][0]
    assert (status, result["name"], result["first_air_date"]) == (200, "Breaking Bad", "2008-01-20")
    assert (result["origin_country"], result["genre_ids"]) == (["US"], [18, 80])


async def test_search_pages_by_twenty(tmdb: TMDbEmulator, http: aiohttp.ClientSession) -> None:
    for n in range(45):
        tmdb.add_movie(_movie(9_000_000 + n, f"Paging Test {n}", popularity=100.0 - n))
    url = f"{tmdb.url}/search/movie"
    pages = []
    for page in (1, 2, 3, 4):
        status, body = await _get(http, url, {"query": "paging test", "page": str(page)})
        assert status == 200
        assert (body["page"], body["total_pages"], body["total_results"]) == (page, 3, 45)
        pages.append([r["id"] - 9_000_000 for r in body["results"]])
    assert pages == [list(range(20)), list(range(20, 40)), list(range(40, 45)), []]
    assert (await _get(http, url, {"query": "nothing like it"}))[1] == {
        "page": 1,
        "results": [],
        "total_pages": 1,
        "total_results": 0,
    }
    assert (await _get(http, url))[1]["results"] == [], "no query at all: nothing"
    for bad in ("0", "501", "two"):
        status, body = await _get(http, url, {"query": "paging", "page": bad})
        assert (status, body["status_code"]) == (400, 22), bad
        status, body = await _get(http, f"{tmdb.url}/search/tv", {"query": "x", "page": bad})
        assert (status, body["status_code"]) == (400, 22), bad


def test_words_fold_case_accents_and_punctuation() -> None:
    assert words("Léon: The Professional") == ("leon", "the", "professional")
    assert words("Ocean\u2019s Eleven") == ("oceans", "eleven")
    assert words("snake_case-and-dashes") == ("snake", "case", "and", "dashes")


# ---- details, seasons, find ---------------------------------------------------------------------


async def test_movie_details_with_appended_parts(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    url = f"{tmdb.url}/movie/194"
    status, amelie = await _get(
        http, url, {"append_to_response": "alternative_titles,external_ids"}
    )
    assert status == 200
    assert (amelie["title"], amelie["original_title"], amelie["release_date"]) == (
        "Amélie",
        "Le Fabuleux Destin d'Amélie Poulain",
        "2001-04-25",
    )
    assert (amelie["imdb_id"], amelie["runtime"], amelie["origin_country"]) == (
        "tt0211915",
        122,
        ["FR"],
    )
    assert amelie["genres"] == [{"id": 35, "name": "Comedy"}, {"id": 10749, "name": "Romance"}]
    assert [t["title"] for t in amelie["alternative_titles"]["titles"]] == [
        "Amelie",
        "The Fabulous Destiny of Amélie Poulain",
    ]
    assert amelie["external_ids"]["imdb_id"] == "tt0211915"
    _, plain = await _get(http, url)
    assert "alternative_titles" not in plain
    assert "external_ids" not in plain
    assert plain["poster_path"] == amelie["poster_path"]
    assert plain["poster_path"].endswith(".jpg")
    assert len(plain["poster_path"]) == len("/") + 27 + len(".jpg")


async def test_show_details_seasons_and_episodes(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    append = {"append_to_response": "external_ids , alternative_titles"}
    status, office = await _get(http, f"{tmdb.url}/tv/2996", append)
    assert status == 200
    assert [(s["season_number"], s["name"], s["episode_count"]) for s in office["seasons"]] == [
        (0, "Specials", 2),
        (1, "Season 1", 6),
        (2, "Season 2", 6),
    ]
    assert (office["number_of_seasons"], office["number_of_episodes"]) == (2, 12)
    assert office["external_ids"]["tvdb_id"] == 78107
    assert office["external_ids"]["imdb_id"] == "tt0290978"
    assert [t["title"] for t in office["alternative_titles"]["results"]] == [
        "The Office (UK)",
        "The Office UK",
    ]
    last = office["last_episode_to_air"]
    assert (last["season_number"], last["episode_number"], last["episode_type"]) == (2, 6, "finale")
    assert office["last_air_date"] == last["air_date"]

    status, season = await _get(http, f"{tmdb.url}/tv/1396/season/1")
    assert status == 200
    assert (season["name"], season["season_number"], season["air_date"]) == (
        "Season 1",
        1,
        "2008-01-20",
    )
    episodes = season["episodes"]
    assert [e["episode_number"] for e in episodes] == list(range(1, 8))
    assert episodes[0]["name"] == "Pilot"
    assert episodes[1]["air_date"] == "2008-01-27"
    assert {e["show_id"] for e in episodes} == {1396}
    assert len({e["id"] for e in episodes}) == 7
    _, season2 = await _get(http, f"{tmdb.url}/tv/1396/season/2")
    assert season2["episodes"][0]["name"] == "Episode 1", "unknown titles: TMDb's placeholder"
    assert season2["air_date"] == "2009-01-20"
    _, specials = await _get(http, f"{tmdb.url}/tv/2996/season/0")
    assert specials["name"] == "Specials"


@pytest.mark.parametrize(
    ("external_id", "source", "movies", "shows"),
    [
        ("tt0133093", "imdb_id", [603], []),
        ("tt0903747", "imdb_id", [], [1396]),
        ("73244", "tvdb_id", [], [2316]),
        ("78107", "tvdb_id", [], [2996]),
        ("tt9999999", "imdb_id", [], []),
        ("tt0133093", "tvdb_id", [], []),
        ("73244", "imdb_id", [], []),
        ("tt0133093", "freebase_id", [], []),
    ],
)
async def test_find_by_external_id(
    tmdb: TMDbEmulator,
    http: aiohttp.ClientSession,
    *,
    external_id: str,
    source: str,
    movies: list[int],
    shows: list[int],
) -> None:
    status, body = await _get(http, f"{tmdb.url}/find/{external_id}", {"external_source": source})
    assert status == 200
    assert [m["id"] for m in body["movie_results"]] == movies
    assert [s["id"] for s in body["tv_results"]] == shows
    assert {m["media_type"] for m in body["movie_results"]} <= {"movie"}
    assert {s["media_type"] for s in body["tv_results"]} <= {"tv"}
    assert body["person_results"] == body["tv_episode_results"] == body["tv_season_results"] == []


async def test_unknown_ids_are_404(tmdb: TMDbEmulator, http: aiohttp.ClientSession) -> None:
    for path in ("/movie/1", "/tv/1", "/tv/1396/season/6", "/movie/abc", "/tv/1/alternative_titles",
                 "/movie/1/external_ids", "/search/person"):  # fmt: skip
        status, body = await _get(http, f"{tmdb.url}{path}")
        assert (status, body["status_code"], body["success"]) == (404, 34, False), path


# ---- the catalogue, at run time -----------------------------------------------------------------


async def test_movies_and_shows_added_at_run_time(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    assert await _search(http, tmdb, "movie", "videodrome") == []
    tmdb.add_movie(
        _movie(
            837,
            "Videodrome",
            release_date="1983-02-04",
            genres=("Horror", "Not A TMDb Genre"),
            extra={"overview": "Long live the new flesh.", "not_a_tmdb_field": 1},
        )
    )
    assert await _search(http, tmdb, "movie", "videodrome", year="1983") == [837]
    _, movie = await _get(http, f"{tmdb.url}/movie/837")
    assert (movie["overview"], movie["runtime"], movie["genres"]) == (
        "Long live the new flesh.",
        0,
        [{"id": 27, "name": "Horror"}],
    )
    assert "not_a_tmdb_field" not in movie
    tmdb.add_movie(_movie(837, "Videodrome (Director's Cut)"))  # replaces, and re-indexes
    assert await _search(http, tmdb, "movie", "director") == [837]
    assert await _search(http, tmdb, "movie", "videodrome", year="1983") == []

    tmdb.add_show(
        CatalogueShow(
            tmdb_id=999001,
            tvdb_id=None,
            imdb_id=None,
            name="Unaired Pilot",
            original_name="Unaired Pilot",
            original_language="xx",
            first_air_date="",
            seasons=(CatalogueSeason(1, 2),),
        )
    )
    assert await _search(http, tmdb, "tv", "unaired") == [999001]
    _, show = await _get(http, f"{tmdb.url}/tv/999001")
    assert show["seasons"][0]["air_date"] is None
    assert show["last_air_date"] is None
    assert show["origin_country"] == ["US"]
    _, season = await _get(http, f"{tmdb.url}/tv/999001/season/1")
    assert [(e["air_date"], e["episode_type"]) for e in season["episodes"]] == [
        (None, "standard"),
        (None, "finale"),
    ]


async def test_an_explicit_catalogue_replaces_the_demo(socket_enabled: None) -> None:
    one = {"tmdb_id": 1, "imdb_id": None, "title": "One", "original_title": "One",
           "original_language": "en", "release_date": "2001-01-01"}  # fmt: skip
    catalogue = Catalogue.from_dict({"movies": [one]})
    emulator = TMDbEmulator(catalogue)
    assert list(emulator.movies) == [1]
    assert emulator.shows == {}
    await emulator.stop()  # never started: nothing to do


# ---- auth ---------------------------------------------------------------------------------------


async def test_api_key_or_bearer_token_and_401_otherwise(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    url = f"{tmdb.url}/movie/603"
    bearer = {"Authorization": f"Bearer {BEARER}"}
    assert (await _get(http, url))[0] == 200
    assert (await _get(http, url, key=None, headers=bearer))[0] == 200
    for key, headers in [
        (None, None),
        ("wrong", None),
        ("wrong", bearer),  # a key given is the one checked
        (None, {"Authorization": "Bearer wrong"}),
        (None, {"Authorization": f"Basic {BEARER}"}),
        (None, {"Authorization": API_KEY}),
    ]:
        status, body = await _get(http, url, key=key, headers=headers)
        assert (status, body["status_code"]) == (401, 7), (key, headers)
    assert (await _get(http, f"{tmdb.url}/nothing/here", key="wrong"))[0] == 401


async def test_without_a_bearer_token_only_the_key_works(
    socket_enabled: None, http: aiohttp.ClientSession
) -> None:
    async with TMDbEmulator(api_key=API_KEY) as tmdb:
        headers = {"Authorization": "Bearer "}
        assert (await _get(http, f"{tmdb.url}/movie/603", key=None, headers=headers))[0] == 401
        assert (await _get(http, f"{tmdb.url}/movie/603"))[0] == 200


async def test_rotating_the_key_refuses_the_old_one(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    url = f"{tmdb.url}/movie/603"
    tmdb.rotate_key("new-key")
    assert (await _get(http, url))[0] == 401
    assert (await _get(http, url, key="new-key"))[0] == 200
    assert (await _get(http, url, key=None, headers={"Authorization": f"Bearer {BEARER}"}))[
        0
    ] == 200, "the bearer token stays unless rotated too"
    tmdb.rotate_key("newer-key", bearer_token="new-token")
    assert (await _get(http, url, key=None, headers={"Authorization": f"Bearer {BEARER}"}))[
        0
    ] == 401
    assert (await _get(http, url, key=None, headers={"Authorization": "Bearer new-token"}))[
        0
    ] == 200


# ---- what it records, rate limit, faults --------------------------------------------------------


async def test_requests_are_recorded_without_the_key_and_counted(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    await _search(http, tmdb, "movie", "dune", year="2021")
    await _get(http, f"{tmdb.url}/movie/438631")
    await _get(http, f"{tmdb.url}/tv/1396/season/1")
    await _get(http, f"{tmdb.url}/nowhere")
    assert [(r.method, r.path, r.query) for r in tmdb.requests] == [
        ("GET", "/3/search/movie", {"query": "dune", "year": "2021"}),
        ("GET", "/3/movie/438631", {}),
        ("GET", "/3/tv/1396/season/1", {}),
        ("GET", "/3/nowhere", {}),
    ]
    assert API_KEY not in repr(tmdb.requests)
    assert dict(tmdb.counts) == {"search/movie": 1, "movie": 1, "tv/season": 1, "unknown": 1}


async def test_over_the_rate_limit_answers_429_with_retry_after(
    socket_enabled: None, http: aiohttp.ClientSession
) -> None:
    now = [1000.0]
    async with TMDbEmulator(api_key=API_KEY, rate_limit=5) as tmdb:
        tmdb._clock = lambda: now[0]
        url = f"{tmdb.url}/movie/603"
        statuses = []
        for _ in range(7):
            async with http.get(url, params={"api_key": API_KEY}) as response:
                statuses.append(response.status)
                if response.status == 429:
                    retry_after = response.headers["Retry-After"]
                    body = await response.json()
        assert statuses == [200] * 5 + [429] * 2, "a second's worth of requests, then 429"
        assert retry_after == "1"
        assert body == {
            "success": False,
            "status_code": 25,
            "status_message": "Your request count (#) is over the allowed limit of (40).",
        }
        now[0] += 0.5  # 5 per second: two and a half more by now
        assert [(await _get(http, url))[0] for _ in range(3)] == [200, 200, 429]
        now[0] += 60  # the bucket holds one second's worth, no more
        assert [(await _get(http, url))[0] for _ in range(6)] == [200] * 5 + [429]
        tmdb.rate_limit = None
        assert [(await _get(http, url))[0] for _ in range(10)] == [200] * 10
        assert tmdb.counts["movie"] == 26, "refused requests are seen and counted too"


async def test_a_slow_rate_limit_still_allows_one_request(
    socket_enabled: None, http: aiohttp.ClientSession
) -> None:
    async with TMDbEmulator(api_key=API_KEY, rate_limit=0.1) as tmdb:
        url = f"{tmdb.url}/movie/603"
        assert [(await _get(http, url))[0] for _ in range(2)] == [200, 429]


async def test_faults_latency_failures_drops_and_malformed_answers(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    url = f"{tmdb.url}/movie/603"
    tmdb.faults.latency = 0.2
    started = time.monotonic()
    assert (await _get(http, url))[0] == 200
    assert time.monotonic() - started >= 0.2
    tmdb.faults.latency = 0.0

    tmdb.faults.fail_next = 2
    tmdb.faults.fail_status = 503
    assert [await _get(http, url) for _ in range(2)] == [
        (503, {"success": False, "status_code": 9, "status_message":
               "Service offline: This service is temporarily offline, try again later."}),
    ] * 2  # fmt: skip
    assert (await _get(http, url))[0] == 200
    tmdb.faults.fail_next = 1
    tmdb.faults.fail_status = 418  # no TMDb body of its own: the internal error's
    assert await _get(http, url) == (
        418,
        {"success": False, "status_code": 11,
         "status_message": "Internal error: Something went wrong, contact TMDB."},
    )  # fmt: skip

    tmdb.faults.drop_next = 1  # aiohttp retries a GET on a reused connection, once: unseen
    assert (await _get(http, url))[0] == 200
    assert tmdb.faults.drop_next == 0
    tmdb.faults.drop_next = 2
    with pytest.raises(aiohttp.ClientError):
        await _get(http, url)
    assert (await _get(http, url))[0] == 200

    tmdb.faults.malformed_next = 1
    async with http.get(url, params={"api_key": API_KEY}) as response:
        text = await response.text()
    assert response.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert (await _get(http, url))[0] == 200


# ---- command line -------------------------------------------------------------------------------


async def test_the_command_line_serves_a_catalogue(tmp_path: Path, socket_enabled: None) -> None:
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(
        json.dumps(
            {
                "movies": [
                    {
                        "tmdb_id": 837,
                        "imdb_id": "tt0086541",
                        "title": "Videodrome",
                        "original_title": "Videodrome",
                        "original_language": "en",
                        "release_date": "1983-02-04",
                    }
                ]
            }
        )
    )
    repository = Path(__file__).parents[2]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.emulators.tmdb", "--port", "0", "--api-key", "cli-key",
        "--catalog", str(catalogue), "--bearer-token", "cli-token", "--rate-limit", "100",
        stdout=asyncio.subprocess.PIPE, cwd=repository,
        env={**os.environ, "PYTHONPATH": str(repository)},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            line = (await process.stdout.readline()).decode()
        assert line.startswith("TMDb emulator listening on http://127.0.0.1:")
        url = line.split()[-1]
        assert url.endswith("/3")
        async with aiohttp.ClientSession() as http:
            status, body = await _get(
                http, f"{url}/search/movie", {"query": "videodrome"}, key="cli-key"
            )
            assert (status, [r["id"] for r in body["results"]]) == (200, [837])
            bearer = {"Authorization": "Bearer cli-token"}
            assert (await _get(http, f"{url}/movie/837", key=None, headers=bearer))[0] == 200
            assert (await _get(http, f"{url}/movie/603", key="cli-key"))[0] == 404
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await process.wait() == 0


async def test_the_image_server_draws_posters_without_a_key(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    """Posters at TMDb's image paths, as image.tmdb.org serves them (no key, JPEG)."""
    emulator, session = tmdb, http
    movie = next(iter(emulator.movies.values()))
    url = f"{emulator.image_url}/w92{image_path('poster/movie', movie.tmdb_id)}"
    async with session.get(url) as response:
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        body = await response.read()
    assert body[:3] == b"\xff\xd8\xff"
    async with session.get(f"{emulator.image_url}/w92/nosuchposter.jpg") as response:
        assert response.status == 404
    assert emulator.counts["image"] == 2
