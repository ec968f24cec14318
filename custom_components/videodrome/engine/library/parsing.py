"""Plex's JSON turned into library records: media files, movies, shows, episodes.

Ids come from `engine/guids.py` (every agent's guids, read in one place).
"""

from __future__ import annotations

from dataclasses import replace
import sys
from typing import TYPE_CHECKING, Any

from ..guids import ExternalIds, external_ids, read_guid, show_ids
from ..plex.models import as_int, as_str
from .records import Episode, Item, Kind

if TYPE_CHECKING:
    from collections.abc import Mapping

# The section types the index holds, and the kind of item each holds.
SECTION_KINDS: dict[str, Kind] = {"movie": "movie", "show": "show"}


def _intern(value: Any) -> str | None:
    text = as_str(value)
    return sys.intern(text) if text is not None else None


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
    ids = external_ids(raw)
    files, resolution = _media(raw) if kind == "movie" else ((), None)
    return Item(
        rating_key=rating_key,
        kind=kind,
        title=as_str(raw.get("title")) or "",
        year=as_int(raw.get("year")),
        section=section,
        tmdb=ids.tmdb,
        tvdb=ids.tvdb,
        imdb=ids.imdb,
        anidb=ids.anidb,
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
    show = show_ids(raw)
    return Episode(
        rating_key=rating_key,
        show_key=show_key,
        season=season,
        number=number,
        title=_intern(raw.get("title")) or "",
        file=files[0] if files else None,
        resolution=resolution,
        watched=bool(as_int(raw.get("viewCount"))),
        show_guid=sys.intern(show.guids()[0]) if show else None,
    )


def with_show_ids(show: Item) -> Item:
    """A show that names no TMDb, TVDB or IMDb id, with the one its episodes' legacy guids name.

    A legacy agent's episode guid carries its show's id (`thetvdb://74205/1/1`); a show Plex
    lists without an id of its own (an agent's answer lost, a list read without ids) gets it
    from there, so that it is found by that id. A show that names an id keeps its own.
    """
    if show.kind != "show" or show.tmdb is not None or show.tvdb is not None or show.imdb:
        return show
    for season in show.seasons:
        for episode in season.episodes:
            if episode.show_guid is not None and (found := read_guid(episode.show_guid)):
                ids = ExternalIds(show.tmdb, show.tvdb, show.imdb, show.anidb).or_else(found.ids)
                return replace(show, tmdb=ids.tmdb, tvdb=ids.tvdb, imdb=ids.imdb, anidb=ids.anidb)
    return show
