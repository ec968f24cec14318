"""The copy of a film the library holds, when Plex's legacy IMDb agent matched it (no TMDb id)."""

from __future__ import annotations

from custom_components.videodrome.engine.library.building import SnapshotBuilder
from custom_components.videodrome.engine.library.copies import movie_copy
from custom_components.videodrome.engine.library.records import Item, Snapshot
from custom_components.videodrome.engine.tmdb.models import Candidate

MATRIX = "/media/Movies/The Matrix (1999)/The Matrix (1999).mkv"


def _library(*items: Item) -> Snapshot:
    builder = SnapshotBuilder(None)
    for item in items:
        builder.put(item)
    return builder.freeze()


def _matrix(year: int | None = 1999, imdb: str | None = None) -> Candidate:
    return Candidate("movie", 603, "The Matrix", "The Matrix", year, imdb_id=imdb)


def test_a_film_with_only_an_imdb_id_is_found_by_its_exact_title_and_year() -> None:
    library = _library(Item(7, "movie", "The Matrix", 1999, 1, imdb="tt0133093", files=(MATRIX,)))
    found = movie_copy(library, _matrix())
    assert found is not None
    assert (found.rating_key, found.file) == ("7", MATRIX)


def test_by_title_only_without_a_tmdb_id_the_same_year_and_a_film() -> None:
    assert (
        movie_copy(_library(Item(7, "movie", "The Matrix", 1999, 1, tmdb=604)), _matrix()) is None
    )
    assert movie_copy(_library(Item(7, "movie", "The Matrix", 2000, 1)), _matrix()) is None
    assert movie_copy(_library(Item(7, "show", "The Matrix", 1999, 2)), _matrix()) is None
    assert movie_copy(_library(Item(7, "movie", "The Matrix", 1999, 1)), _matrix(None)) is None
    assert movie_copy(_library(Item(7, "movie", "The Matrix Reloaded", 2003, 1)), _matrix()) is None


def test_a_known_imdb_id_is_never_overridden_by_a_title() -> None:
    """With the IMDb id known, the id decides: another film of that title is not the copy."""
    library = _library(Item(7, "movie", "The Matrix", 1999, 1, imdb="tt9999999"))
    assert movie_copy(library, _matrix(imdb="tt0133093")) is None
