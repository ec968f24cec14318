"""Match requests read strictly (400 for wrong types), and history items ranked by path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.provider.documents import MetadataType, RatingKey
from custom_components.videodrome.engine.provider.errors import ProviderRequestError
from custom_components.videodrome.engine.provider.requests import (
    MAX_FILENAME,
    MAX_NAME,
    MatchRequest,
    from_history,
    key_at_level,
)
from custom_components.videodrome.engine.store.database import Store

if TYPE_CHECKING:
    from collections.abc import Iterator


def test_documented_season_request_is_read() -> None:
    """The example body of Plex's docs, with the fields PMS adds that may be ignored."""
    request = MatchRequest.from_json(
        {
            "parentTitle": "Adventure Time",
            "type": 3,
            "index": 8,
            "filename": "TV Shows/Adventure Time/Adventure Time S08E01.mp4",
            "includeElements": "Metadata,Children",
            "includeFields": "guid,parentGuid,title,type",
            "includeChildren": 1,
        }
    )
    assert request.type is MetadataType.SEASON
    assert request.show_title == "Adventure Time"
    assert request.index == 8
    assert request.include_children is True
    assert request.manual is False
    assert request.file_name == "Adventure Time S08E01.mp4"


def test_every_field_is_read() -> None:
    request = MatchRequest.from_json(
        {
            "type": 4,
            "title": "Pilot",
            "grandparentTitle": "Breaking Bad",
            "parentIndex": 1,
            "index": 1,
            "year": 2008,
            "guid": "tvdb://81189",
            "date": "2008-01-20",
            "manual": 1,
            "includeAdult": 0,
            "episodeOrder": "tmdbAiring",
            "filename": "\\TV\\Breaking Bad\\S01E01.mkv",
        }
    )
    assert request.show_title == "Breaking Bad"
    assert (request.parent_index, request.index, request.year) == (1, 1, 2008)
    assert request.guid == "tvdb://81189"
    assert request.date == "2008-01-20"
    assert request.manual is True
    assert request.file_name == "S01E01.mkv"
    movie = MatchRequest.from_json({"type": 1, "title": "  Alien ", "manual": True})
    assert movie.show_title == "Alien"
    assert movie.manual is True
    assert movie.file_name is None


def test_query_parameters_are_read_as_strings() -> None:
    request = MatchRequest.from_query(
        {"type": "2", "title": "Dark", "year": "2017", "manual": "1", "index": ""}
    )
    assert request == MatchRequest(MetadataType.SHOW, title="Dark", year=2017, manual=True)
    # A JSON body may carry numbers as digit strings too.
    assert MatchRequest.from_json({"type": "1"}).type is MetadataType.MOVIE


def test_equal_requests_are_equal_keys() -> None:
    first = MatchRequest.from_json({"type": 1, "title": "Alien", "includeFields": "a"})
    second = MatchRequest.from_json({"title": "Alien", "type": 1})
    assert first == second
    assert hash(first) == hash(second)


def test_file_name_of_a_folder_path_is_none() -> None:
    assert MatchRequest.from_json({"type": 1, "filename": "Movies/"}).file_name is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1], "not a JSON object"),
        ("type=1", "not a JSON object"),
        (None, "not a JSON object"),
        ({}, "type must be"),
        ({"type": 0}, "type must be"),
        ({"type": 5}, "type must be"),
        ({"type": 18}, "type must be"),
        ({"type": True}, "whole number"),
        ({"type": 1.0}, "whole number"),
        ({"type": "one"}, "type must be"),
        ({"type": 1, "title": 5}, "title must be a string"),
        ({"type": 1, "title": ["a"]}, "title must be a string"),
        ({"type": 1, "year": "1999a"}, "year must be"),
        ({"type": 1, "year": -1}, "out of range"),
        ({"type": 1, "year": 10**12}, "out of range"),
        ({"type": 4, "index": {"n": 1}}, "index must be"),
        ({"type": 1, "manual": 2}, "manual must be 0 or 1"),
        ({"type": 1, "manual": "yes"}, "manual must be 0 or 1"),
        ({"type": 4, "date": "20/01/2008"}, "YYYY-MM-DD"),
        ({"type": 1, "title": "x" * (MAX_NAME + 1)}, "too long"),
        ({"type": 3, "parentTitle": "x" * 256}, "too long"),
        ({"type": 4, "grandparentTitle": "ü" * 256}, "too long"),
        ({"type": 1, "filename": "x" * (MAX_FILENAME + 1)}, "too long"),
        ({"type": 1, "title": "a\x00b"}, "not text"),
    ],
)
def test_malformed_requests_are_refused(body: Any, message: str) -> None:
    with pytest.raises(ProviderRequestError, match=message):
        MatchRequest.from_json(body)


def test_malformed_query_is_refused() -> None:
    with pytest.raises(ProviderRequestError, match="type must be"):
        MatchRequest.from_query({"title": "Alien"})
    with pytest.raises(ProviderRequestError, match="whole number"):
        MatchRequest.from_query({"type": "1", "year": "MCMLXXIX"})


@pytest.mark.parametrize("field", ["type", "year", "index", "parentIndex"])
@pytest.mark.parametrize("digits", ["9" * 5000, "0" * 4000 + "1", "1" * 7])
def test_numbers_of_thousands_of_digits_are_refused_not_converted(field: str, digits: str) -> None:
    """Python refuses to convert more than 4,300 digits (a 500 before): out of range, a 400."""
    query = {"type": "4", field: digits}
    with pytest.raises(ProviderRequestError, match=f"{field} is out of range"):
        MatchRequest.from_query(query)
    body: dict[str, object] = {**query, "type": digits if field == "type" else 4}
    with pytest.raises(ProviderRequestError, match=f"{field} is out of range"):
        MatchRequest.from_json(body)


def test_file_names_with_a_part_longer_than_a_file_name_may_be_are_refused() -> None:
    """guessit's time grows fast with a name's length: a part past 255 is not read at all."""
    long_folder = f"TV/{'S01E01.' * 40}/Show.S01E01.mkv"
    with pytest.raises(ProviderRequestError, match="part longer than 255"):
        MatchRequest.from_json({"type": 4, "filename": long_folder})
    with pytest.raises(ProviderRequestError, match="part longer than 255"):
        MatchRequest.from_json({"type": 4, "filename": "x" * 256 + ".mkv"})
    name = "x" * (MAX_NAME - 4) + ".mkv"
    deep = "/".join(["Folder"] * 500) + "/" + name  # long, but every part a valid name
    assert MatchRequest.from_json({"type": 1, "filename": deep}).file_name == name


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty history, closed after the test."""
    with Store(":memory:") as history:
        yield history


def _file(store: Store, *rows: dict[str, Any]) -> Store:
    for row in rows:
        store.add_item(source="/ingest/x.mkv", status=row.pop("status", "ingested"), **row)
    return store


def test_history_prefers_the_item_sharing_the_most_folders(store: Store) -> None:
    """Two films filed under the same file name: the path's folders tell them apart."""
    _file(
        store,
        {
            "kind": "movie",
            "title": "Dune",
            "tmdb_id": 841,
            "destination": "/media/Movies/Dune (1984)/Dune.mkv",
        },
        {
            "kind": "movie",
            "title": "Dune",
            "tmdb_id": 438631,
            "destination": "/media/Movies/Dune (2021)/Dune.mkv",
        },
    )
    items = store.filed(file_name="Dune.mkv")
    assert len(items) == 2
    request = MatchRequest.from_json({"type": 1, "filename": "/Movies/Dune (1984)/Dune.mkv"})
    hits = from_history(request, items, by_file=True)
    assert hits == [(841, None, None, 100), (438631, None, None, 100)]
    # The same title filed twice is one answer.
    _file(store, {"kind": "movie", "tmdb_id": 841, "destination": "/old/Dune.mkv"})
    assert len(from_history(request, store.filed(file_name="Dune.mkv"), by_file=True)) == 2


def test_history_keeps_the_kind_asked_and_numbers_only_by_file(store: Store) -> None:
    _file(
        store,
        {
            "kind": "episode",
            "title": "Breaking Bad",
            "tmdb_id": 1396,
            "season": 1,
            "episodes": [1, 2],
            "target": "Breaking Bad/Season 01/Breaking Bad - s01e01-e02.mkv",
        },
        {"kind": "movie", "title": "Breaking Bad", "tmdb_id": 5, "target": "x.mkv"},
        {"kind": "episode", "title": "Breaking Bad", "tmdb_id": None, "target": "y.mkv"},
    )
    items = store.filed(title="breaking bad")
    assert len(items) == 3
    episode = MatchRequest.from_json({"type": 4, "grandparentTitle": "Breaking Bad"})
    assert from_history(episode, items, by_file=True) == [(1396, 1, 1, 100)]
    # By title, an item is one episode of the show, not necessarily the one asked about.
    assert from_history(episode, items, by_file=False) == [(1396, None, None, 100)]
    movie = MatchRequest.from_json({"type": 1, "title": "Breaking Bad"})
    assert from_history(movie, items, by_file=False) == [(5, None, None, 100)]


def test_key_at_level_takes_numbers_from_the_request_first() -> None:
    """A file holding episodes 1 and 2 is asked about twice, once for each."""
    second = MatchRequest.from_json({"type": 4, "parentIndex": 1, "index": 2})
    assert key_at_level(second, 1396, 1, 1) == RatingKey("episode", 1396, 1, 2)
    bare = MatchRequest.from_json({"type": 4})
    assert key_at_level(bare, 1396, 1, 1) == RatingKey("episode", 1396, 1, 1)
    assert key_at_level(bare, 1396) is None
    assert key_at_level(bare, 1396, 1) is None
    season = MatchRequest.from_json({"type": 3, "index": 2})
    assert key_at_level(season, 1396, 1) == RatingKey("season", 1396, 2)
    assert key_at_level(MatchRequest.from_json({"type": 3}), 1396) is None
    assert key_at_level(MatchRequest.from_json({"type": 3}), 1396, 0) == RatingKey(
        "season", 1396, 0
    )
    assert key_at_level(MatchRequest.from_json({"type": 2}), 1396, 1, 1) == RatingKey("show", 1396)
    assert key_at_level(MatchRequest.from_json({"type": 1}), 603) == RatingKey("movie", 603)


def test_filed_keeps_library_items_and_exact_names_only(store: Store) -> None:
    _file(
        store,
        {"kind": "movie", "tmdb_id": 1, "destination": "/m/A (2000)/A (2000).mkv"},
        {"kind": "movie", "tmdb_id": 2, "destination": "/m/XA (2000).mkv"},
        {"kind": "movie", "tmdb_id": 3, "destination": "/m/a (2000).mkv"},
        {"kind": "movie", "tmdb_id": 4, "destination": "/m/A (2000).mkv", "status": "review"},
        {"kind": "movie", "tmdb_id": 5, "target": "A (2000).mkv", "status": "organised"},
    )
    assert [i.tmdb_id for i in store.filed(file_name="A (2000).mkv")] == [5, 1]
    assert store.filed(file_name="A (2000).mkv", limit=1)[0].tmdb_id == 5
