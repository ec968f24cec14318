"""TMDb's data as the Metadata objects of Plex's provider API (movie, show, season, episode).

Built from TMDb's public metadata only: no file path, no token, nothing of Home Assistant ever
goes into a document. TMDb omits, nulls or blanks fields freely, so everything is read
leniently and what TMDb does not know is left out (but for the fields Plex requires).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from ..tmdb.posters import poster_url
from .documents import RatingKey

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

THEMOVIEDB_RATING: Final = "themoviedb://image.rating"
POSTER_SIZE: Final = "w780"
ART_SIZE: Final = "original"
# Sent even when empty (TMDb may not know a date): Plex's docs mark them required.
_REQUIRED: Final = frozenset({"ratingKey", "key", "guid", "type", "title", "originallyAvailableAt"})


def _str(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _int(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dicts(data: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    value = data.get(name)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _names(data: Mapping[str, Any], name: str) -> list[str]:
    return list(dict.fromkeys(n for d in _dicts(data, name) if (n := _str(d, "name"))))


def _date(data: Mapping[str, Any], name: str) -> str:
    value = _str(data, name)
    return value if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else ""


def _year(date: str) -> int | None:
    return int(date[:4]) if date else None


def _minutes(value: int | None) -> int | None:
    return value * 60_000 if value else None


def _image(data: Mapping[str, Any], name: str, size: str) -> str | None:
    return poster_url(data.get(name), size)


def _tags(names: Sequence[str]) -> list[dict[str, str]]:
    return [{"tag": name} for name in names]


def _clean(document: dict[str, Any]) -> dict[str, Any]:
    """Leave out what TMDb did not know (None, empty text, empty lists) but required fields."""
    return {k: v for k, v in document.items() if k in _REQUIRED or v not in (None, "", [])}


def _images(poster: str | None, art: str | None, still: str | None = None) -> list[dict[str, str]]:
    images = [("coverPoster", poster), ("background", art), ("snapshot", still)]
    return [{"type": kind, "url": url} for kind, url in images if url]


def _external_guids(data: Mapping[str, Any], *, tvdb: bool) -> list[dict[str, str]]:
    external = data.get("external_ids")
    ids = external if isinstance(external, dict) else {}
    guids = [f"tmdb://{_int(data, 'id')}"]
    imdb = _str(data, "imdb_id") or _str(ids, "imdb_id")
    if re.fullmatch(r"tt\d+", imdb):
        guids.append(f"imdb://{imdb}")
    if tvdb and (number := _int(ids, "tvdb_id")):
        guids.append(f"tvdb://{number}")
    return [{"id": guid} for guid in guids]


def _rating(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    average = data.get("vote_average")
    if not _int(data, "vote_count") or not isinstance(average, int | float):
        return []
    return [{"image": THEMOVIEDB_RATING, "type": "audience", "value": round(float(average), 1)}]


def _core(key: RatingKey, title: str, date: str) -> dict[str, Any]:
    """The fields every type requires (`originallyAvailableAt` is "" when TMDb has no date)."""
    return {
        "ratingKey": str(key),
        "key": key.key,
        "guid": key.guid(),
        "type": key.type,
        "title": title,
        "originallyAvailableAt": date,
        "year": _year(date),
    }


def movie_metadata(data: Mapping[str, Any]) -> dict[str, Any]:
    """A movie from TMDb's `movie/{id}`."""
    key = RatingKey("movie", _int(data, "id") or 0)
    title = _str(data, "title") or _str(data, "original_title")
    studios = _names(data, "production_companies")
    poster = _image(data, "poster_path", POSTER_SIZE)
    art = _image(data, "backdrop_path", ART_SIZE)
    document = _core(key, title, _date(data, "release_date")) | {
        "originalTitle": _str(data, "original_title")
        if _str(data, "original_title") != title
        else "",
        "summary": _str(data, "overview"),
        "tagline": _str(data, "tagline"),
        "studio": studios[0] if studios else "",
        "duration": _minutes(_int(data, "runtime")),
        "isAdult": data.get("adult") is True or None,
        "thumb": poster,
        "art": art,
        "Image": _images(poster, art),
        "Genre": _tags(_names(data, "genres")),
        "Guid": _external_guids(data, tvdb=False),
        "Country": _tags(_names(data, "production_countries")),
        "Studio": _tags(studios),
        "Rating": _rating(data),
    }
    return _clean(document)


def show_metadata(data: Mapping[str, Any]) -> dict[str, Any]:
    """A show from TMDb's `tv/{id}`; its `key` lists its seasons."""
    key = RatingKey("show", _int(data, "id") or 0)
    title = _str(data, "name") or _str(data, "original_name")
    networks = _names(data, "networks")
    studios = _names(data, "production_companies")
    runtimes = [r for r in data.get("episode_run_time") or () if isinstance(r, int)]
    poster = _image(data, "poster_path", POSTER_SIZE)
    art = _image(data, "backdrop_path", ART_SIZE)
    document = _core(key, title, _date(data, "first_air_date")) | {
        "key": f"{key.key}/children",
        "originalTitle": _str(data, "original_name")
        if _str(data, "original_name") != title
        else "",
        "summary": _str(data, "overview"),
        "tagline": _str(data, "tagline"),
        "studio": (studios or networks or [""])[0],
        "duration": _minutes(runtimes[0] if runtimes else None),
        "isAdult": data.get("adult") is True or None,
        "thumb": poster,
        "art": art,
        "Image": _images(poster, art),
        "Genre": _tags(_names(data, "genres")),
        "Guid": _external_guids(data, tvdb=True),
        "Network": _tags(networks),
        "Studio": _tags(studios),
        "Rating": _rating(data),
    }
    return _clean(document)


def seasons_of(show: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The seasons a show's `tv/{id}` lists, in order of their numbers."""
    seasons = [s for s in _dicts(show, "seasons") if _int(s, "season_number") is not None]
    return sorted(seasons, key=lambda s: _int(s, "season_number") or 0)


def season_metadata(show: Mapping[str, Any], season: Mapping[str, Any]) -> dict[str, Any]:
    """A season from its show's `tv/{id}` and its entry in the show's `seasons` (or its JSON)."""
    show_key = RatingKey("show", _int(show, "id") or 0)
    number = _int(season, "season_number") or 0
    key = RatingKey("season", show_key.tmdb_id, number)
    poster = _image(season, "poster_path", POSTER_SIZE)
    show_poster = _image(show, "poster_path", POSTER_SIZE)
    art = _image(show, "backdrop_path", ART_SIZE)
    title = _str(season, "name") or ("Specials" if number == 0 else f"Season {number}")
    document = _core(key, title, _date(season, "air_date")) | {
        "key": f"{key.key}/children",
        "index": number,
        "summary": _str(season, "overview"),
        "thumb": poster or show_poster,
        "art": art,
        "Image": _images(poster or show_poster, art),
        **_parent(show_key, show, show_poster, "parent"),
    }
    return _clean(document)


def episode_metadata(
    show: Mapping[str, Any], season_number: int, episode: Mapping[str, Any]
) -> dict[str, Any]:
    """An episode from its show's `tv/{id}` and its entry in `tv/{id}/season/{n}`."""
    show_key = RatingKey("show", _int(show, "id") or 0)
    number = _int(episode, "episode_number") or 0
    season_key = RatingKey("season", show_key.tmdb_id, season_number)
    key = RatingKey("episode", show_key.tmdb_id, season_number, number)
    season_entry = next(
        (s for s in seasons_of(show) if _int(s, "season_number") == season_number), {}
    )
    show_poster = _image(show, "poster_path", POSTER_SIZE)
    season_poster = _image(season_entry, "poster_path", POSTER_SIZE) or show_poster
    still = _image(episode, "still_path", ART_SIZE)
    art = _image(show, "backdrop_path", ART_SIZE)
    season_title = _str(season_entry, "name") or (
        "Specials" if season_number == 0 else f"Season {season_number}"
    )
    document = _core(key, _str(episode, "name") or f"Episode {number}", _date(episode, "air_date"))
    document |= {
        "index": number,
        "parentIndex": season_number,
        "summary": _str(episode, "overview"),
        "duration": _minutes(_int(episode, "runtime")),
        "thumb": still or season_poster,
        "art": art,
        "parentArt": art,
        "grandparentArt": art,
        "Image": _images(None, art, still or season_poster),
        "parentRatingKey": str(season_key),
        "parentKey": season_key.key,
        "parentGuid": season_key.guid(),
        "parentType": "season",
        "parentTitle": season_title,
        "parentThumb": season_poster,
        **_parent(show_key, show, show_poster, "grandparent"),
    }
    return _clean(document)


def _parent(
    key: RatingKey, show: Mapping[str, Any], thumb: str | None, prefix: str
) -> dict[str, Any]:
    return {
        f"{prefix}RatingKey": str(key),
        f"{prefix}Key": key.key,
        f"{prefix}Guid": key.guid(),
        f"{prefix}Type": "show",
        f"{prefix}Title": _str(show, "name") or _str(show, "original_name"),
        f"{prefix}Thumb": thumb,
    }


def episodes_of(season: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The episodes a `tv/{id}/season/{n}` lists, in order of their numbers."""
    episodes = [e for e in _dicts(season, "episodes") if _int(e, "episode_number") is not None]
    return sorted(episodes, key=lambda e: _int(e, "episode_number") or 0)


def all_images(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What `…/images` lists for a title: every image its document carries."""
    images = document.get("Image")
    return list(images) if isinstance(images, list) else []
