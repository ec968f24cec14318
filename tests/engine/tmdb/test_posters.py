"""TMDb poster addresses built from TMDb's poster paths."""

from __future__ import annotations

import pytest

from custom_components.videodrome.engine.tmdb.posters import item_poster_url, poster_url


def test_a_tmdb_path_becomes_an_image_address() -> None:
    assert poster_url("/abc123.jpg") == "https://image.tmdb.org/t/p/w342/abc123.jpg"
    assert poster_url("/abc.jpg", "w92", "http://127.0.0.1:1/t/p") == (
        "http://127.0.0.1:1/t/p/w92/abc.jpg"
    )


@pytest.mark.parametrize(
    "path",
    [
        None,
        42,
        "",
        "/",
        "abc.jpg",
        "/a/b.jpg",
        "/../x.jpg",
        "/x.jpg?y=1",
        "/x#y",
        "/a b.jpg",
        "/x\n.jpg",
        "https://evil.example/x.jpg",
        "/x\\y.jpg",
    ],
)
def test_anything_but_a_tmdb_path_gives_no_address(path: object) -> None:
    assert poster_url(path) is None


def test_an_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="poster size"):
        poster_url("/a.jpg", "w9999")


def test_the_item_poster_is_the_filed_title_s_else_the_best_candidate_s() -> None:
    candidates = [
        {"tmdb_id": 1, "poster_path": "/one.jpg"},
        {"tmdb_id": 2, "poster_path": "/two.jpg"},
    ]
    assert item_poster_url(2, candidates) == "https://image.tmdb.org/t/p/w342/two.jpg"
    assert item_poster_url(None, candidates) == "https://image.tmdb.org/t/p/w342/one.jpg"
    # Filed as a title that is not among the candidates: no guess from another film.
    assert item_poster_url(3, candidates) is None
    assert item_poster_url(None, []) is None
