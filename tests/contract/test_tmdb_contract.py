"""The TMDb emulator answers in the shapes TMDb does (recordings in tests/fixtures/tmdb).

For each endpoint, every object the emulator sends has exactly the keys of the same object in
the real recording, and every value has a JSON type the recording has there (or null, where
TMDb is known to send null). Error bodies are compared whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from tests.emulators import hard_cases
from tests.emulators.catalogue import Catalogue
from tests.emulators.tmdb import TMDbEmulator
from tests.emulators.tmdb_episode_groups import group_id

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.emulators.server import Emulators

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tmdb"
API_KEY = "contract-key"

# Leaves TMDb sends as null when it has no value, as other recordings in ../shared/corpora show
# (tmdblib-wiremock: movie/latest, tv/latest, tv/1400, person/62/external_ids,
# tv/1396/season/1/external_ids; swift-tmdb: tv-series-external-ids, credit-tv-blank-…).
NULLABLE = frozenset(
    {
        "belongs_to_collection",
        "imdb_id",
        "wikidata_id",
        "facebook_id",
        "instagram_id",
        "twitter_id",
        "freebase_mid",
        "freebase_id",
        "tvrage_id",
        "last_episode_to_air",
        "next_episode_to_air",
        "last_air_date",
        "air_date",
        # An episode group no network made (tmdblib-wiremock: tv/1400's episode_groups).
        "network",
    }
)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def shape(
    value: Any,
    path: str = "",
    kinds: dict[str, set[str]] | None = None,
    keys: dict[str, set[str]] | None = None,
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Every path of a JSON document (lists as `[]`): its kinds of value, and its object keys."""
    kinds = {} if kinds is None else kinds
    keys = {} if keys is None else keys
    kinds.setdefault(path, set()).add(_kind(value))
    if isinstance(value, dict):
        keys.setdefault(path, set()).update(value)
        for key, child in value.items():
            shape(child, f"{path}.{key}", kinds, keys)
    elif isinstance(value, list):
        for child in value:
            shape(child, f"{path}[]", kinds, keys)
    return kinds, keys


def recording(name: str) -> dict[str, Any]:
    """The WireMock mapping's recorded response: status, headers and JSON body."""
    mapping: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    response: dict[str, Any] = mapping["Response"]
    return response


def assert_same_shape(served: Any, recorded: Any) -> None:
    served_kinds, served_keys = shape(served)
    recorded_kinds, recorded_keys = shape(recorded)
    for path, keys in served_keys.items():
        if path in recorded_keys:  # (an object where TMDb has none fails the check of kinds)
            assert keys == recorded_keys[path], f"{path or 'top'}: keys differ"
    for path, kinds in served_kinds.items():
        assert path in recorded_kinds, f"{path}: not in the recording"
        allowed = recorded_kinds[path] | (
            {"NoneType"} if path.rsplit(".", 1)[-1] in NULLABLE else set()
        )
        assert kinds <= allowed, f"{path}: {kinds} where TMDb sends {recorded_kinds[path]}"


def without_id(body: dict[str, Any]) -> dict[str, Any]:
    """An appended part is the endpoint's answer without its `id`."""
    return {k: v for k, v in body.items() if k != "id"}


@pytest.fixture
async def tmdb(emulators: Emulators) -> TMDbEmulator:
    return await emulators.start(TMDbEmulator(api_key=API_KEY))


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _get(
    http: aiohttp.ClientSession, url: str, key: str = API_KEY
) -> tuple[int, str, dict[str, Any]]:
    async with http.get(url, params={"api_key": key}) as response:
        return response.status, response.headers["Content-Type"], await response.json()


@pytest.mark.parametrize(
    ("fixture", "path"),
    [
        ("authentication.json", "/authentication"),
        ("search_movie.json", "/search/movie?query=dune&include_adult=false&page=1"),
        ("search_tv.json", "/search/tv?query=Breaking Bad&page=1&include_adult=false"),
        ("movie.json", "/movie/438631"),
        ("movie_alternative_titles.json", "/movie/464052/alternative_titles"),
        ("movie_external_ids.json", "/movie/335984/external_ids"),
        ("tv.json", "/tv/1396"),
        ("tv_alternative_titles.json", "/tv/2316/alternative_titles"),
        ("tv_external_ids.json", "/tv/1399/external_ids"),
        ("tv_season.json", "/tv/1396/season/1"),
        ("find_imdb.json", "/find/tt0133093?external_source=imdb_id"),
        ("find_tvdb.json", "/find/81189?external_source=tvdb_id"),
    ],
)
async def test_answers_have_the_recorded_shape(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession, fixture: str, path: str
) -> None:
    recorded = recording(fixture)
    status, content_type, body = await _get(http, f"{tmdb.url}{path}")
    assert status == recorded["StatusCode"] == 200
    assert content_type == recorded["Headers"]["Content-Type"]
    for key in ("results", "titles", "movie_results", "tv_results", "episodes"):
        if recorded["BodyAsJson"].get(key):  # so that the items are compared too
            assert body[key], f"{path} found nothing"
    assert_same_shape(body, recorded["BodyAsJson"])


async def test_appended_parts_are_the_endpoints_without_their_id(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    append = "?append_to_response=alternative_titles,external_ids"
    _, _, movie = await _get(http, f"{tmdb.url}/movie/464052{append}")
    assert_same_shape(without_id(movie.pop("alternative_titles")), without_id(
        recording("movie_alternative_titles.json")["BodyAsJson"]
    ))  # fmt: skip
    assert_same_shape(
        movie.pop("external_ids"), without_id(recording("movie_external_ids.json")["BodyAsJson"])
    )
    assert_same_shape(movie, recording("movie.json")["BodyAsJson"])

    _, _, show = await _get(http, f"{tmdb.url}/tv/2316{append}")
    assert show["alternative_titles"]["results"], "TV lists them under `results`"
    assert_same_shape(
        show.pop("alternative_titles"),
        without_id(recording("tv_alternative_titles.json")["BodyAsJson"]),
    )
    assert_same_shape(
        show.pop("external_ids"), without_id(recording("tv_external_ids.json")["BodyAsJson"])
    )
    assert_same_shape(show, recording("tv.json")["BodyAsJson"])


async def test_a_show_without_episodes_has_nulls_where_tmdb_does(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    _, _, show = await _get(http, f"{tmdb.url}/tv/2224")  # The Daily Show: no seasons listed
    assert show["last_episode_to_air"] is None
    assert show["last_air_date"] is None
    assert_same_shape(show, recording("tv.json")["BodyAsJson"])


async def test_unknown_ids_get_tmdbs_404_body(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    recorded = recording("movie_404.json")
    for path in ("/movie/999999999", "/tv/999999999", "/tv/1396/season/99", "/no/such/path"):
        status, content_type, body = await _get(http, f"{tmdb.url}{path}")
        assert (status, body) == (recorded["StatusCode"], recorded["BodyAsJson"]), path
        assert content_type == recorded["Headers"]["Content-Type"]


async def test_a_wrong_key_gets_tmdbs_401_body(
    tmdb: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    recorded = json.loads((FIXTURES / "error_401.json").read_text(encoding="utf-8"))
    for path in ("/movie/603", "/authentication"):
        status, _, body = await _get(http, f"{tmdb.url}{path}", key="wrong")
        assert (status, body) == (401, recorded), path


@pytest.fixture
async def titled(socket_enabled: None) -> AsyncIterator[TMDbEmulator]:
    """An emulator whose works have translations and episode groups (tests/emulators/hard_cases)."""
    other = hard_cases.catalogue("other_languages")
    anime = hard_cases.catalogue("absolute")
    both = Catalogue(movies=other.movies, shows=other.shows + anime.shows)
    async with TMDbEmulator(both, api_key=API_KEY) as emulator:
        yield emulator


def _body(fixture: str) -> dict[str, Any]:
    body: dict[str, Any] = recording(fixture)["BodyAsJson"]
    return body


async def test_translations_have_the_recorded_shape(
    titled: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    """/movie/{id}/translations and /tv/{id}/translations, alone and appended."""
    status, content_type, movie = await _get(http, f"{titled.url}/movie/562/translations")
    assert status == 200
    assert content_type == recording("movie_translations.json")["Headers"]["Content-Type"]
    assert movie["translations"]
    assert_same_shape(movie, _body("movie_translations.json"))
    _, _, show = await _get(http, f"{titled.url}/tv/71446/translations")
    assert {t["data"]["name"] for t in show["translations"]} == {"Haus des Geldes", ""}
    assert_same_shape(show, _body("tv_translations.json"))
    append = "?append_to_response=alternative_titles,external_ids,translations"
    _, _, details = await _get(http, f"{titled.url}/movie/562{append}")
    assert_same_shape(details.pop("translations"), without_id(_body("movie_translations.json")))
    _, _, tv = await _get(http, f"{titled.url}/tv/71446{append}")
    assert_same_shape(tv.pop("translations"), without_id(_body("tv_translations.json")))


async def test_episode_groups_have_the_recorded_shape(
    titled: TMDbEmulator, http: aiohttp.ClientSession
) -> None:
    """The list (alone: swift-tmdb's; appended: tmdblib's tv/1400) and one group (tmdblib's)."""
    _, _, listed = await _get(http, f"{titled.url}/tv/37854/episode_groups")
    assert [g["type"] for g in listed["results"]] == [2, 3]
    assert_same_shape(listed, json.loads((FIXTURES / "tv_episode_groups.json").read_text()))
    _, _, show = await _get(http, f"{titled.url}/tv/37854?append_to_response=episode_groups")
    recorded = _body("tv_with_episode_groups.json")
    assert_same_shape(show.pop("episode_groups"), recorded["episode_groups"])
    assert_same_shape(show, _body("tv.json"))
    anime = next(s for s in titled.shows.values() if s.tmdb_id == 37854)
    status, content_type, group = await _get(
        http, f"{titled.url}/tv/episode_group/{group_id(anime, 0)}"
    )
    assert (status, group["type"], group["group_count"]) == (200, 2, 12)
    assert content_type == recording("episode_group.json")["Headers"]["Content-Type"]
    assert group["groups"][0]["episodes"][0]["order"] == 0
    assert_same_shape(group, _body("episode_group.json"))
    missing, _, _ = await _get(http, f"{titled.url}/tv/episode_group/000000000000000000000000")
    assert missing == 404
