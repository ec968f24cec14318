"""Plex's JSON turned into library records: external ids, media files, movies, shows, episodes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ..plex.models import as_int, as_str
from .records import Episode, Item, Kind

if TYPE_CHECKING:
    from collections.abc import Mapping

# The section types the index holds, and the kind of item each holds.
SECTION_KINDS: dict[str, Kind] = {"movie": "movie", "show": "show"}


def _intern(value: Any) -> str | None:
    text = as_str(value)
    return sys.intern(text) if text is not None else None


def external_ids(raw: Mapping[str, Any]) -> tuple[int | None, int | None, str | None]:
    """The TMDb, TVDB and IMDb ids Plex matched an item to (its `Guid` list; the first of each).

    The one place ids are read from Plex's answers.
    """
    tmdb = tvdb = None
    imdb = None
    guids = raw.get("Guid")
    if isinstance(guids, list):
        for guid in guids:
            value = guid.get("id") if isinstance(guid, dict) else None
            if not isinstance(value, str):
                continue
            scheme, _, rest = value.partition("://")
            if scheme == "tmdb" and tmdb is None:
                tmdb = as_int(rest)
            elif scheme == "tvdb" and tvdb is None:
                tvdb = as_int(rest)
            elif scheme == "imdb" and imdb is None and rest:
                imdb = sys.intern(rest)
    return tmdb, tvdb, imdb


def _media(raw: Mapping[str, Any]) -> tuple[tuple[str, ...], str | None]:
    """Every file of an item's media, and the first media's video resolution."""
    files: list[str] = []
    resolution: str | None = None
    media = raw.get("Media")
    if isinstance(media, list):
        for entry in media:
            if not isinstance(entry, dict):
                continue
            if resolution is None:
                resolution = _intern(entry.get("videoResolution"))
            parts = entry.get("Part")
            if isinstance(parts, list):
                files.extend(
                    file
                    for part in parts
                    if isinstance(part, dict) and isinstance(file := part.get("file"), str)
                )
    return tuple(files), resolution


def parse_item(raw: Mapping[str, Any], section: int, kind: Kind) -> Item | None:
    """A movie or show record from one `Metadata` entry (None without a rating key)."""
    rating_key = as_int(raw.get("ratingKey"))
    if rating_key is None:
        return None
    tmdb, tvdb, imdb = external_ids(raw)
    files, resolution = _media(raw) if kind == "movie" else ((), None)
    return Item(
        rating_key=rating_key,
        kind=kind,
        title=as_str(raw.get("title")) or "",
        year=as_int(raw.get("year")),
        section=section,
        tmdb=tmdb,
        tvdb=tvdb,
        imdb=imdb,
        files=files,
        resolution=resolution,
        watched=bool(as_int(raw.get("viewCount"))),
    )


def parse_episode(raw: Mapping[str, Any]) -> Episode | None:
    """An episode record (None when Plex did not place it: no show, season or number)."""
    rating_key = as_int(raw.get("ratingKey"))
    show_key = as_int(raw.get("grandparentRatingKey"))
    season = as_int(raw.get("parentIndex"))
    number = as_int(raw.get("index"))
    if rating_key is None or show_key is None or season is None or number is None:
        return None
    files, resolution = _media(raw)
    return Episode(
        rating_key=rating_key,
        show_key=show_key,
        season=season,
        number=number,
        title=_intern(raw.get("title")) or "",
        file=files[0] if files else None,
        resolution=resolution,
        watched=bool(as_int(raw.get("viewCount"))),
    )
