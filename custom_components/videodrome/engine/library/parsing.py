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


# An item's files (its best version's first), and its best version's resolution, codec,
# bitrate and container.
type _Media = tuple[tuple[str, ...], str | None, str | None, int | None, str | None]
_NO_MEDIA: _Media = ((), None, None, None, None)
# Plex's `videoResolution` values, for choosing the best of an item's versions.
_HEIGHTS = {"4k": 2160, "2160": 2160, "1080": 1080, "720": 720, "576": 576, "480": 480, "sd": 480}


def _files(entry: Mapping[str, Any]) -> list[str]:
    parts = entry.get("Part")
    if not isinstance(parts, list):
        return []
    return [
        file
        for part in parts
        if isinstance(part, dict) and isinstance(file := part.get("file"), str)
    ]


def _version_rank(entry: Mapping[str, Any]) -> tuple[int, int]:
    return _HEIGHTS.get(str(entry.get("videoResolution")).lower(), 0), as_int(
        entry.get("bitrate")
    ) or 0


def _media(raw: Mapping[str, Any]) -> _Media:
    """Every file of an item's media; the resolution, codec, bitrate and container of its best.

    An item Plex holds in several versions (files of one film in one folder) is described by
    the version with the highest resolution (then bitrate), whose files come first. Most items
    have one: read without ranking (the index reads 100,000 of them).
    """
    media = raw.get("Media")
    if not isinstance(media, list):
        return _NO_MEDIA
    entries = [entry for entry in media if isinstance(entry, dict)]
    if not entries:
        return _NO_MEDIA
    if len(entries) == 1:
        best = entries[0]
        files = _files(best)
    else:  # a stable sort: of equal versions, Plex's first stays first
        ranked = sorted(entries, key=_version_rank, reverse=True)
        best = ranked[0]
        files = [file for entry in ranked for file in _files(entry)]
    return (
        tuple(files),
        _intern(best.get("videoResolution")),
        _intern(best.get("videoCodec")),
        as_int(best.get("bitrate")),
        _intern(best.get("container")),
    )


def parse_item(raw: Mapping[str, Any], section: int, kind: Kind) -> Item | None:
    """A movie or show record from one `Metadata` entry (None without a rating key)."""
    rating_key = as_int(raw.get("ratingKey"))
    if rating_key is None:
        return None
    ids = external_ids(raw)
    files, resolution, codec, bitrate, container = _media(raw) if kind == "movie" else _NO_MEDIA
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
        video_codec=codec,
        bitrate=bitrate,
        container=container,
    )


def parse_episode(raw: Mapping[str, Any]) -> Episode | None:
    """An episode record (None when Plex did not place it: no show, season or number)."""
    rating_key = as_int(raw.get("ratingKey"))
    show_key = as_int(raw.get("grandparentRatingKey"))
    season = as_int(raw.get("parentIndex"))
    number = as_int(raw.get("index"))
    if rating_key is None or show_key is None or season is None or number is None:
        return None
    files, resolution, codec, bitrate, container = _media(raw)
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
        video_codec=codec,
        bitrate=bitrate,
        container=container,
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
