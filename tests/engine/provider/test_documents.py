"""The provider's documents: identifiers, types, feature keys, keys, GUIDs, paging, fields."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.videodrome.engine.provider.documents import (
    DEFAULT_PAGE_SIZE,
    IDENTIFIER_PATTERN,
    MATCH_KEY,
    MAX_PAGE_SIZE,
    METADATA_KEY,
    MOVIE_IDENTIFIER,
    RATING_KEY_PATTERN,
    TV_IDENTIFIER,
    Page,
    RatingKey,
    container,
    media_provider,
    read_language,
)
from custom_components.videodrome.engine.provider.errors import ProviderRequestError
from custom_components.videodrome.engine.provider.languages import (
    DEFAULT_LANGUAGE,
    TMDB_LANGUAGES,
    normalise_language,
)
from custom_components.videodrome.engine.provider.metadata import (
    episode_metadata,
    movie_metadata,
    season_metadata,
    show_metadata,
)

SHOW: dict[str, Any] = {
    "id": 1396,
    "name": "Breaking Bad",
    "original_name": "Breaking Bad",
    "first_air_date": "2008-01-20",
    "overview": "A chemistry teacher...",
    "poster_path": "/show.jpg",
    "backdrop_path": "/art.jpg",
    "episode_run_time": [47],
    "genres": [{"id": 18, "name": "Drama"}],
    "networks": [{"name": "AMC"}],
    "production_companies": [],
    "vote_average": 8.91,
    "vote_count": 100,
    "external_ids": {"imdb_id": "tt0903747", "tvdb_id": 81189},
    "seasons": [
        {"season_number": 1, "name": "Season 1", "poster_path": "/s1.jpg", "air_date": None},
        {"season_number": 0, "name": "Specials", "poster_path": None},
    ],
}


def test_identifiers_have_the_custom_form_and_are_distinct() -> None:
    assert IDENTIFIER_PATTERN.fullmatch(MOVIE_IDENTIFIER)
    assert IDENTIFIER_PATTERN.fullmatch(TV_IDENTIFIER)
    assert len({MOVIE_IDENTIFIER, TV_IDENTIFIER}) == 2
    assert MOVIE_IDENTIFIER == "tv.plex.agents.custom.videodrome.movie"
    assert TV_IDENTIFIER == "tv.plex.agents.custom.videodrome.tv"


@pytest.mark.parametrize(
    ("kind", "identifier", "types"),
    [("movie", MOVIE_IDENTIFIER, [1]), ("tv", TV_IDENTIFIER, [2, 3, 4])],
)
def test_root_document_follows_the_contract(kind: Any, identifier: str, types: list[int]) -> None:
    """Types with a Scheme equal to the identifier, relative feature keys (A.2, A.10)."""
    root = media_provider(kind, "0.1.0")
    assert list(root) == ["MediaProvider"]
    provider = root["MediaProvider"]
    assert provider["identifier"] == identifier
    assert provider["title"]
    assert provider["version"] == "0.1.0"
    assert [t["type"] for t in provider["Types"]] == types
    assert all(t["Scheme"] == [{"scheme": identifier}] for t in provider["Types"])
    assert "Type" not in provider  # the legacy shape seen in the wild
    features = {f["type"]: f["key"] for f in provider["Feature"]}
    assert features == {"metadata": "/library/metadata", "match": "/library/metadata/matches"}
    assert features["metadata"] == METADATA_KEY
    assert features["match"] == MATCH_KEY
    assert not any("api" in key or "videodrome" in key for key in features.values())


@pytest.mark.parametrize(
    ("key", "text", "guid"),
    [
        (RatingKey("movie", 603), "tmdb-movie-603", f"{MOVIE_IDENTIFIER}://movie/tmdb-movie-603"),
        (RatingKey("show", 1396), "tmdb-show-1396", f"{TV_IDENTIFIER}://show/tmdb-show-1396"),
        (
            RatingKey("season", 1396, 0),
            "tmdb-season-1396-0",
            f"{TV_IDENTIFIER}://season/tmdb-season-1396-0",
        ),
        (
            RatingKey("episode", 1396, 1, 5),
            "tmdb-episode-1396-1-5",
            f"{TV_IDENTIFIER}://episode/tmdb-episode-1396-1-5",
        ),
    ],
)
def test_rating_keys_and_guids_round_trip(key: RatingKey, text: str, guid: str) -> None:
    assert str(key) == text
    assert RATING_KEY_PATTERN.fullmatch(text)
    assert RatingKey.parse(text) == key
    assert key.guid() == guid
    assert RatingKey.from_guid(guid) == key
    assert key.key == f"/library/metadata/{text}"


@pytest.mark.parametrize(
    "text",
    [
        "tmdb-movie-0603",  # not canonical: PMS would store two keys for one title
        "tmdb-movie-",
        "tmdb-movie-603-1",
        "tmdb-show-1396-1",
        "tmdb-season-1396",
        "tmdb-episode-1396-1",
        "movie-603",
        "tmdb-movie-1234567890",
        "tmdb-movie-603/../x",
        "tmdb-film-603",
        "",
    ],
)
def test_other_text_is_not_a_rating_key(text: str) -> None:
    assert RatingKey.parse(text) is None


@pytest.mark.parametrize(
    "guid",
    [
        "tmdb://603",
        f"{MOVIE_IDENTIFIER}://show/tmdb-movie-603",  # type and key disagree
        f"{MOVIE_IDENTIFIER}://show/tmdb-show-1396",  # a show under the movie scheme
        f"{TV_IDENTIFIER}://movie/tmdb-movie-603",
        "tv.plex.agents.custom.other://movie/tmdb-movie-603",
        f"{MOVIE_IDENTIFIER}://tmdb-movie-603",
        f"{MOVIE_IDENTIFIER}/movie/tmdb-movie-603",
    ],
)
def test_guids_of_others_are_not_ours(guid: str) -> None:
    assert RatingKey.from_guid(guid) is None


def test_container_envelope() -> None:
    body = container("tv", [{"a": 1}, {"b": 2}], offset=20, total=42)
    assert body == {
        "MediaContainer": {
            "offset": 20,
            "totalSize": 42,
            "identifier": TV_IDENTIFIER,
            "size": 2,
            "Metadata": [{"a": 1}, {"b": 2}],
        }
    }
    images = container("movie", [], element="Image")["MediaContainer"]
    assert images["Image"] == []
    assert images["totalSize"] == images["size"] == 0


def test_page_defaults_to_the_first_twenty() -> None:
    assert Page.read({}, {}) == Page(0, DEFAULT_PAGE_SIZE) == Page()
    items = [{"n": n} for n in range(50)]
    assert [i["n"] for i in Page().of(items)] == list(range(20))


def test_page_reads_headers_before_query_parameters() -> None:
    headers = {"X-Plex-Container-Start": "20", "X-Plex-Container-Size": "5"}
    query = {"X-Plex-Container-Start": "40", "X-Plex-Container-Size": "9"}
    assert Page.read(headers, query) == Page(20, 5)
    assert Page.read({}, query) == Page(40, 9)
    assert Page.read({"X-Plex-Container-Size": "3"}, query) == Page(40, 3)


def test_page_start_is_an_offset_and_past_the_end_is_empty() -> None:
    items = [{"n": n} for n in range(5)]
    assert [i["n"] for i in Page(0, 2).of(items)] == [0, 1]
    assert [i["n"] for i in Page(1, 2).of(items)] == [1, 2]
    assert Page(5, 2).of(items) == []
    assert Page(3, 0).of(items) == []


def test_page_size_is_capped() -> None:
    assert Page.read({"X-Plex-Container-Size": "999999"}, {}).size == MAX_PAGE_SIZE


@pytest.mark.parametrize("value", ["-1", "x", "1.5", "\uff12", "0x10"])
def test_page_numbers_must_be_numbers(value: str) -> None:
    with pytest.raises(ProviderRequestError, match="not a number"):
        Page.read({"X-Plex-Container-Start": value}, {})


@pytest.mark.parametrize("name", ["X-Plex-Container-Start", "X-Plex-Container-Size"])
def test_page_numbers_of_thousands_of_digits_are_refused(name: str) -> None:
    """Not converted (Python would refuse past 4,300 digits): out of range, a 400."""
    for where in ({name: "9" * 5000}, {name: "0" * 5000}, {name: "1" * 10}):
        with pytest.raises(ProviderRequestError, match="out of range"):
            Page.read(where, {})
        with pytest.raises(ProviderRequestError, match="out of range"):
            Page.read({}, where)
    assert Page.read({name: "9" * 9}, {}) in {Page(1_000_000, 20), Page(0, MAX_PAGE_SIZE)}


def test_movie_metadata_fields() -> None:
    movie = {
        "id": 194,
        "title": "Amélie",
        "original_title": "Le Fabuleux Destin d'Amélie Poulain",
        "release_date": "2001-04-25",
        "overview": "À Paris...",
        "tagline": "She'll change your life.",
        "runtime": 122,
        "poster_path": "/poster.jpg",
        "backdrop_path": "/back.jpg",
        "genres": [{"id": 35, "name": "Comedy"}, {"id": 10749, "name": "Romance"}],
        "production_companies": [{"name": "Claudie Ossard"}, {"name": "UGC"}],
        "production_countries": [{"iso_3166_1": "FR", "name": "France"}],
        "imdb_id": "tt0211915",
        "vote_average": 7.9,
        "vote_count": 11000,
        "adult": False,
    }
    document = movie_metadata(movie)
    assert document["ratingKey"] == "tmdb-movie-194"
    assert document["key"] == "/library/metadata/tmdb-movie-194"
    assert document["guid"] == f"{MOVIE_IDENTIFIER}://movie/tmdb-movie-194"
    assert document["type"] == "movie"
    assert document["title"] == "Amélie"
    assert document["originalTitle"] == "Le Fabuleux Destin d'Amélie Poulain"
    assert document["originallyAvailableAt"] == "2001-04-25"
    assert document["year"] == 2001
    assert document["duration"] == 122 * 60 * 1000  # milliseconds
    assert document["studio"] == "Claudie Ossard"
    assert document["summary"] == "À Paris..."
    assert document["thumb"].endswith("/w780/poster.jpg")
    assert document["art"].endswith("/original/back.jpg")
    assert document["Image"] == [
        {"type": "coverPoster", "url": document["thumb"]},
        {"type": "background", "url": document["art"]},
    ]
    assert document["Genre"] == [{"tag": "Comedy"}, {"tag": "Romance"}]
    assert document["Guid"] == [{"id": "tmdb://194"}, {"id": "imdb://tt0211915"}]
    assert document["Country"] == [{"tag": "France"}]
    assert document["Rating"] == [
        {"image": "themoviedb://image.rating", "type": "audience", "value": 7.9}
    ]
    assert "isAdult" not in document


def test_unknown_date_is_an_empty_required_field() -> None:
    document = movie_metadata({"id": 1, "title": "Untitled", "release_date": ""})
    assert document["originallyAvailableAt"] == ""
    assert "year" not in document
    assert "Rating" not in document
    assert "thumb" not in document
    assert document["Guid"] == [{"id": "tmdb://1"}]


def test_show_season_and_episode_fields() -> None:
    show = show_metadata(SHOW)
    assert show["type"] == "show"
    assert show["key"] == "/library/metadata/tmdb-show-1396/children"
    assert show["duration"] == 47 * 60_000
    assert show["studio"] == "AMC"
    assert show["Network"] == [{"tag": "AMC"}]
    assert show["Guid"] == [
        {"id": "tmdb://1396"},
        {"id": "imdb://tt0903747"},
        {"id": "tvdb://81189"},
    ]
    season = season_metadata(SHOW, SHOW["seasons"][0])
    assert season["type"] == "season"
    assert season["index"] == 1
    assert season["key"] == "/library/metadata/tmdb-season-1396-1/children"
    assert season["originallyAvailableAt"] == ""
    assert season["parentRatingKey"] == "tmdb-show-1396"
    assert season["parentKey"] == "/library/metadata/tmdb-show-1396"
    assert season["parentGuid"] == f"{TV_IDENTIFIER}://show/tmdb-show-1396"
    assert season["parentType"] == "show"
    assert season["parentTitle"] == "Breaking Bad"
    assert season["thumb"].endswith("/s1.jpg")
    specials = season_metadata(SHOW, SHOW["seasons"][1])
    assert specials["index"] == 0
    assert specials["title"] == "Specials"
    assert specials["thumb"].endswith("/show.jpg")  # no season poster: the show's
    episode = episode_metadata(
        SHOW,
        1,
        {
            "episode_number": 5,
            "name": "Gray Matter",
            "air_date": "2008-02-24",
            "runtime": 48,
            "still_path": "/still.jpg",
        },
    )
    assert episode["ratingKey"] == "tmdb-episode-1396-1-5"
    assert episode["key"] == "/library/metadata/tmdb-episode-1396-1-5"
    assert (episode["index"], episode["parentIndex"]) == (5, 1)
    assert episode["duration"] == 48 * 60_000
    assert episode["parentRatingKey"] == "tmdb-season-1396-1"
    assert episode["parentKey"] == "/library/metadata/tmdb-season-1396-1"
    assert episode["parentGuid"] == f"{TV_IDENTIFIER}://season/tmdb-season-1396-1"
    assert episode["parentType"] == "season"
    assert episode["parentTitle"] == "Season 1"
    assert episode["grandparentRatingKey"] == "tmdb-show-1396"
    assert episode["grandparentKey"] == "/library/metadata/tmdb-show-1396"
    assert episode["grandparentGuid"] == f"{TV_IDENTIFIER}://show/tmdb-show-1396"
    assert episode["grandparentType"] == "show"
    assert episode["grandparentTitle"] == "Breaking Bad"
    assert {i["type"] for i in episode["Image"]} == {"background", "snapshot"}
    assert episode["thumb"].endswith("/still.jpg")


def test_odd_tmdb_values_are_left_out() -> None:
    """A poster that is not a TMDb path, a non-list of genres, a bad date: nothing of them."""
    document = movie_metadata(
        {
            "id": 5,
            "title": "X",
            "poster_path": "https://evil.example/x.jpg",
            "genres": "Drama",
            "release_date": "soon",
            "imdb_id": "nm123",
            "vote_count": 3,
            "vote_average": "high",
            "adult": True,
        }
    )
    assert "thumb" not in document
    assert "Genre" not in document
    assert document["originallyAvailableAt"] == ""
    assert document["Guid"] == [{"id": "tmdb://5"}]
    assert "Rating" not in document
    assert document["isAdult"] is True


@pytest.mark.parametrize(
    ("headers", "query", "language"),
    [
        ({"X-Plex-Language": "fr-FR"}, {}, "fr-FR"),
        ({"X-Plex-Language": "pt_br"}, {}, "pt-BR"),
        ({"X-Plex-Language": "DE"}, {}, "de-DE"),  # a language alone: its main region
        ({"X-Plex-Language": "en-us"}, {}, "en-US"),
        ({"X-Plex-Language": "en_US"}, {}, "en-US"),
        ({"X-Plex-Language": "EN"}, {}, "en-US"),
        ({"X-Plex-Language": "fr-BE"}, {}, "fr-FR"),  # a region TMDb does not have
        ({"X-Plex-Language": "zh-Hant"}, {}, "zh-TW"),
        ({}, {"X-Plex-Language": "ja-JP"}, "ja-JP"),
        ({"X-Plex-Language": "es-ES"}, {"X-Plex-Language": "it-IT"}, "es-ES"),
        ({}, {}, "en-US"),
        ({"X-Plex-Language": "english"}, {}, "en-US"),  # not a tag: the default, not refused
        ({"X-Plex-Language": "en-US; DROP"}, {}, "en-US"),
        ({"X-Plex-Language": "xx-YY"}, {}, "en-US"),  # a language TMDb does not have
        ({"X-Plex-Language": "fr-FR" + "x" * 5000}, {}, "en-US"),
    ],
)
def test_language_header(headers: dict[str, str], query: dict[str, str], language: str) -> None:
    assert read_language(headers, query) == language


def test_every_language_normalises_onto_tmdbs_list() -> None:
    """However a client spells a language, the provider asks TMDb for one of its 144 tags."""
    assert len(TMDB_LANGUAGES) == 144
    assert all(normalise_language(tag) == tag for tag in TMDB_LANGUAGES)
    languages = {tag[:2] for tag in TMDB_LANGUAGES}
    assert {normalise_language(code) for code in languages} <= TMDB_LANGUAGES
    assert {normalise_language(code.upper()) for code in languages} <= TMDB_LANGUAGES
    assert normalise_language("pt") == "pt-PT"
    assert normalise_language("zh-Hans") == "zh-CN"
    assert normalise_language(None) == DEFAULT_LANGUAGE == "en-US"
    # Every language a client makes up is one of TMDb's, so caches hold at most 144 of each.
    sent = {f"{a}{b}-{c}{d}" for a in "aefz" for b in "nrsh" for c in "UGBR" for d in "SBTA"}
    assert {normalise_language(value) for value in sent} <= TMDB_LANGUAGES
