"""Plex's naming conventions for movies and episodes: where a matched video goes.

Pure functions, no I/O. Paths are relative to the root of a Plex library (`PurePosixPath`):

    The Matrix (1999) {tmdb-603}/The Matrix (1999) - 1080p BluRay.mkv
    Breaking Bad (2008) {tvdb-81189}/Season 01/Breaking Bad (2008) - s01e01 - Pilot.mkv
    The Daily Show (1996)/Season 2024/The Daily Show (1996) - 2024-03-05 - Guest.mkv

Every component is made safe on every filesystem a Plex library lives on by `sanitise`
(`safe_names`). Video file names leave `COMPANION_ROOM` bytes free below the 255-byte limit,
so that every companion file (`companions`) fits beside them. ID hints (`{tmdb-…}`,
`{tvdb-…}`, `{imdb-…}`) go in the folder name only; `{edition-…}` goes in both the folder and
the file name, so that each edition, a separate item in Plex, has its own folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
import re
from typing import TYPE_CHECKING, Final

from .companions import COMPANION_ROOM
from .safe_names import (
    MAX_COMPONENT_BYTES,
    clean_text,
    file_extension,
    sanitise,
    strip_before,
    truncate_utf8,
)

if TYPE_CHECKING:
    from datetime import date

# Free text in tags (edition, quality) is cut to this many bytes.
MAX_TAG_BYTES: Final = 100
# Plex stacks split files up to part 8 (pt1 … pt8).
MAX_PART: Final = 8
# Plex reads four-digit years.
MIN_YEAR: Final = 1000
MAX_YEAR: Final = 9999

_BRACES = str.maketrans("{}", "()")
_BRACKETS = str.maketrans("[]", "()")
_IMDB_ID = re.compile(r"tt\d{7,10}")


@dataclass(frozen=True, slots=True)
class MovieName:
    """What a movie's Plex name is made of."""

    title: str
    year: int | None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    edition: str | None = None
    part: int | None = None
    quality: str | None = None  # e.g. "1080p BluRay"; Plex ignores it when matching


@dataclass(frozen=True, slots=True)
class EpisodeName:
    """What an episode's Plex name is made of: numbered (season, episodes) or dated (air_date)."""

    show: str
    year: int | None
    season: int | None
    episodes: tuple[int, ...] = ()
    episode_title: str | None = None
    air_date: date | None = None
    tvdb_id: int | None = None
    tmdb_id: int | None = None
    quality: str | None = None


def movie_path(name: MovieName, extension: str, *, include_ids: bool = True) -> PurePosixPath:
    """Where a movie goes: `Title (Year) {tmdb-N}/Title (Year) {edition-E} - quality - ptN.ext`.

    The TMDb ID (or, without one, the IMDb ID) is put in the folder name only; the year, when
    known, in both. Without a year, the movie is `Title/Title.ext`.
    """
    ext = file_extension(extension)
    title = _required(name.title, "title")
    common = _year(name.year)
    if name.edition and (edition := _tag(name.edition)):
        common += f" {{edition-{edition}}}"
    folder_tail = common
    if include_ids:
        folder_tail += _movie_id(name)
    file_tail = common
    if name.quality and (quality := _tag(name.quality)):
        file_tail += f" - {quality}"
    if name.part is not None:
        if not 1 <= name.part <= MAX_PART:
            raise ValueError(f"Plex stacks parts 1 to {MAX_PART}, not {name.part}")
        file_tail += f" - pt{name.part}"
    file_tail += ext
    folder = sanitise(title + folder_tail, keep_suffix=folder_tail)
    file = sanitise(title + file_tail, keep_suffix=file_tail, max_bytes=_file_bytes(ext))
    return PurePosixPath(folder, file)


def episode_path(name: EpisodeName, extension: str, *, include_ids: bool = True) -> PurePosixPath:
    """Where an episode goes: `Show (Year) {tvdb-N}/Season 01/Show (Year) - s01e01 - Title.ext`.

    The show's TVDB ID (Plex's TV agent; else its TMDb ID) is put in the folder name only.
    Several episodes in one file are a consecutive range, `s01e01-e02`. Specials are season 0
    (`Season 00`, `s00e01`). A dated episode (an air date, no episode numbers) is named
    `Show (Year) - 2024-03-05 - Title.ext` in the folder of its season, or of its air date's
    year (`Season 2024`). The quality, if any, goes in brackets after the title (`[1080p]`),
    where Plex ignores it. The episode title is shortened so that the file name fits.
    """
    ext = file_extension(extension)
    show = _required(name.show, "show")
    year = _year(name.year)
    ids = ""
    if include_ids:
        if name.tvdb_id is not None:
            ids = f" {{tvdb-{_positive(name.tvdb_id, 'tvdb_id')}}}"
        elif name.tmdb_id is not None:
            ids = f" {{tmdb-{_positive(name.tmdb_id, 'tmdb_id')}}}"
    season, marker = _episode_marker(name)
    tail = ext
    if name.quality and (quality := _tag(name.quality, brackets=True)):
        tail = f" [{quality}]{ext}"
    ident = f"{year} - {marker}"
    max_bytes = _file_bytes(ext)
    if name.episode_title and (title := _field(name.episode_title)):
        room = max_bytes - len(f"{show}{ident} - {tail}".encode())
        if title := strip_before(truncate_utf8(title, room), tail):
            ident += f" - {title}"
    folder = sanitise(show + year + ids, keep_suffix=year + ids)
    file = sanitise(show + ident + tail, keep_suffix=ident + tail, max_bytes=max_bytes)
    return PurePosixPath(folder, f"Season {season:02d}", file)


def _file_bytes(ext: str) -> int:
    """The most bytes a video's file name may take, leaving room for its companions."""
    return MAX_COMPONENT_BYTES - COMPANION_ROOM + len(ext)


def _field(text: str) -> str:
    """Free text (a title) cleaned, with braces made parentheses: only hints use braces."""
    return clean_text(text).translate(_BRACES).strip(" ")


def _required(text: str, what: str) -> str:
    if not text.strip():
        raise ValueError(f"the {what} is empty")
    return _field(text)


def _tag(text: str, *, brackets: bool = False) -> str:
    """Free text inside a tag (edition, quality): cleaned, bracket-free if asked, cut short."""
    text = _field(text)
    if brackets:
        text = text.translate(_BRACKETS)
    return truncate_utf8(text, MAX_TAG_BYTES).rstrip(" .")


def _year(year: int | None) -> str:
    if year is None:
        return ""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"not a year: {year}")
    return f" ({year})"


def _positive(value: int, what: str) -> int:
    if value < 1:
        raise ValueError(f"{what} must be positive, not {value}")
    return value


def _movie_id(name: MovieName) -> str:
    """The folder's ID hint: `{tmdb-N}`, else `{imdb-ttN}`, else nothing."""
    if name.tmdb_id is not None:
        return f" {{tmdb-{_positive(name.tmdb_id, 'tmdb_id')}}}"
    if name.imdb_id is not None:
        imdb_id = name.imdb_id.strip().lower()
        if not _IMDB_ID.fullmatch(imdb_id):
            raise ValueError(f"not an IMDb ID: {name.imdb_id!r}")
        return f" {{imdb-{imdb_id}}}"
    return ""


def _episode_marker(name: EpisodeName) -> tuple[int, str]:
    """The season folder's number and the file's `s01e01-e02` or `2024-03-05`."""
    if name.season is not None and name.season < 0:
        raise ValueError(f"not a season: {name.season}")
    if name.episodes:
        if name.season is None:
            raise ValueError("numbered episodes need a season")
        episodes = sorted(set(name.episodes))
        if episodes[0] < 0:
            raise ValueError(f"not an episode: {episodes[0]}")
        if episodes[-1] - episodes[0] != len(episodes) - 1:
            raise ValueError(f"episodes in one file must be consecutive: {episodes}")
        marker = f"s{name.season:02d}e{episodes[0]:02d}"
        if len(episodes) > 1:
            marker += f"-e{episodes[-1]:02d}"
        return name.season, marker
    if name.air_date is None:
        raise ValueError("an episode needs episode numbers or an air date")
    season = name.air_date.year if name.season is None else name.season
    return season, name.air_date.isoformat()
