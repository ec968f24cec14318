"""The copy of a film the library already holds: by its ids, or as Plex's IMDb agent matched it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..identify.score import normalise
from .records import Existing

if TYPE_CHECKING:
    from ..tmdb.models import Candidate
    from .records import Item, Snapshot


def movie_copy(snapshot: Snapshot, match: Candidate) -> Existing | None:
    """The copy of this film the library holds: by its ids, else as the IMDb agent matched it."""
    movies = snapshot.by_id(tmdb=match.tmdb_id, imdb=match.imdb_id, kind="movie")
    if not movies and match.imdb_id is None:
        movies = _matched_without_tmdb(snapshot, match.title, match.year)
    if not movies:
        return None
    movie = movies[0]
    return Existing(
        rating_key=str(movie.rating_key),
        title=movie.title,
        file=movie.files[0] if movie.files else None,
        resolution=movie.resolution,
        video_codec=movie.video_codec,
        bitrate=movie.bitrate,
        container=movie.container,
    )


def _matched_without_tmdb(snapshot: Snapshot, title: str, year: int | None) -> tuple[Item, ...]:
    """Films Plex's legacy IMDb agent matched (no TMDb id), of exactly this title and year.

    TMDb's search answers carry no IMDb id, so a film known to Plex only by its IMDb id is
    found by its title: the same title once normalised (the index's own key, a dictionary
    lookup) and the same year, never a film whose TMDb id is another one's.
    """
    if year is None:
        return ()
    return tuple(
        item
        for item in snapshot.title_index.get(normalise(title), ())
        if item.kind == "movie" and item.tmdb is None and item.year == year
    )
