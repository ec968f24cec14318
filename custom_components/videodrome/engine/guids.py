"""The outside ids in Plex's guids, from every agent: the one place they are read.

Plex's current agents give an item a `plex://movie/…` guid, which names no outside id, and list
the ids in its `Guid` array: `tmdb://603`, `tvdb://81189`, `imdb://tt0133093`. Items matched by
Plex's legacy agents (and by third-party agents) have no such array: the id is their `guid`:

    com.plexapp.agents.imdb://tt1272878?lang=en      Plex Movie (Legacy): an IMDb id
    com.plexapp.agents.themoviedb://603?lang=en      The Movie Database: a TMDb id
    com.plexapp.agents.thetvdb://74205?lang=en       TheTVDB: a show's TVDB id
    com.plexapp.agents.thetvdb://74205/1/1?lang=en   an episode: its SHOW's id, season, episode
    com.plexapp.agents.hama://anidb-2127?lang=en     HAMA, the anime agent: an AniDB id
    com.plexapp.agents.hama://tvdb3-74796?lang=en    HAMA: a TVDB id (tvdb2-, tvdb3-, tvdb4- are
                                                     numbering modes of the same TVDB show)

The prefix `com.plexapp.agents.` may be missing (`thetvdb://74205/1/1`), and `tmdb`, `tvdb`,
`imdb` and `anidb` are read as the same ids as `themoviedb`, `thetvdb`, HAMA's `imdb-`/`tmdb-`
(`tsdb-` is TMDb's series) and `anidb-` (`anidb2-`… modes of the same AniDB id). AniDB ids are
kept as AniDB ids: they are never taken for TVDB ids. `plex://`, `local://`,
`com.plexapp.agents.none://` and anything else name no outside id.

A season's or an episode's legacy guid names its show's id, never its own: `show_ids` reads
it, `external_ids` does not. Ids are checked for shape (digits, at most 9 of them; `tt` and 7
to 10 digits for IMDb) and anything else is ignored, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
import sys
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping

type Source = Literal["tmdb", "tvdb", "imdb", "anidb"]

LEGACY_PREFIX: Final = "com.plexapp.agents."
# An agent whose guid is a single id (the scheme, without LEGACY_PREFIX), and which id it is.
_AGENTS: Final[dict[str, Source]] = {
    "tmdb": "tmdb",
    "themoviedb": "tmdb",
    "tvdb": "tvdb",
    "thetvdb": "tvdb",
    "thetvdbdvdorder": "tvdb",
    "imdb": "imdb",
    "anidb": "anidb",
}
# HAMA's ids (ZeroQI/Hama.bundle, Absolute Series Scanner's "Forcing the series ID"):
# `{source}{mode}-{id}`, maybe followed by offsets such as `-s2` or `-s0e3`.
_HAMA: Final = re.compile(r"(anidb|tvdb|tmdb|tsdb|imdb)[0-9]?-(?:tt)?([0-9]+)(?:-[a-z0-9]+)*")
_HAMA_SOURCES: Final[dict[str, Source]] = {
    "anidb": "anidb",
    "tvdb": "tvdb",
    "tmdb": "tmdb",
    "tsdb": "tmdb",
    "imdb": "imdb",
}
_MAX_DIGITS: Final = 9
# The current agents' guid (`plex://movie/…`): never an outside id.
_CURRENT_AGENT: Final = "plex://"
_IMDB_DIGITS: Final = range(7, 11)  # tt0133093, tt10872600


class ExternalIds(NamedTuple):
    """An item's ids at TMDb, TVDB, IMDb and AniDB (None where Plex names none).

    A named tuple: one is made for every item of every section read, so it is cheap to make.
    """

    tmdb: int | None = None
    tvdb: int | None = None
    imdb: str | None = None
    anidb: int | None = None

    def __bool__(self) -> bool:
        """Whether any id is known."""
        return any(v is not None for v in (self.tmdb, self.tvdb, self.imdb, self.anidb))

    def or_else(self, other: ExternalIds) -> ExternalIds:
        """These ids, each one missing taken from `other`."""
        return ExternalIds(
            self.tmdb if self.tmdb is not None else other.tmdb,
            self.tvdb if self.tvdb is not None else other.tvdb,
            self.imdb if self.imdb is not None else other.imdb,
            self.anidb if self.anidb is not None else other.anidb,
        )

    def guids(self) -> tuple[str, ...]:
        """The ids as Plex's `Guid` array writes them (`tmdb://603`, `imdb://tt0133093`)."""
        named = (("tmdb", self.tmdb), ("tvdb", self.tvdb), ("imdb", self.imdb))
        found = [f"{source}://{value}" for source, value in named if value is not None]
        if self.anidb is not None:
            found.append(f"anidb://{self.anidb}")
        return tuple(found)


NO_IDS: Final = ExternalIds()


@dataclass(frozen=True, slots=True)
class AgentGuid:
    """What one guid names: an id, and for a season or an episode of a show, its numbers."""

    source: Source
    ids: ExternalIds
    numbers: tuple[int, ...] = ()  # (season,) or (season, episode): the id is the show's

    @property
    def names_a_show_part(self) -> bool:
        """Whether the guid is a season's or an episode's (its id is the show's)."""
        return bool(self.numbers)


# (source, the number of a TMDb, TVDB or AniDB id, the text of an IMDb id, the numbers after it)
type _Read = tuple[Source, int, str, tuple[int, ...]]


def _number(text: str) -> int | None:
    if 0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit():
        value = int(text)
        return value or None
    return None


def _is_imdb(text: str) -> bool:
    digits = text[2:]
    return (
        text.startswith("tt")
        and len(digits) in _IMDB_DIGITS
        and digits.isascii()
        and digits.isdigit()
    )


def _imdb(text: str) -> str | None:
    if not text.startswith("tt"):
        text = text.lower()
    return sys.intern(text) if _is_imdb(text) else None


def _id(source: Source, text: str, numbers: tuple[int, ...] = ()) -> _Read | None:
    if source == "imdb":
        imdb = _imdb(text)
        return None if imdb is None else (source, 0, imdb, numbers)
    number = _number(text)
    return None if number is None else (source, number, "", numbers)


def _read(value: object) -> _Read | None:
    """What one guid names; None when it names no outside id."""
    if not isinstance(value, str):
        return None
    scheme, separator, rest = value.partition("://")
    if not separator:
        return None
    source = _AGENTS.get(scheme)
    if source is not None and "/" not in rest and "?" not in rest:
        return _id(source, rest)  # the `Guid` array's ids, read often: the short way
    agent = scheme.strip().lower().removeprefix(LEGACY_PREFIX)
    head, *path = rest.partition("?")[0].split("/")
    if agent == "hama":
        match = _HAMA.fullmatch(head.lower())
        if match is None:
            return None
        source = _HAMA_SOURCES[match[1]]
        head = f"tt{match[2]}" if source == "imdb" else match[2]
    else:
        source = _AGENTS.get(agent)
        if source is None:
            return None
    numbers: list[int] = []
    for part in path:
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or len(part) > _MAX_DIGITS:
            return None
        numbers.append(int(part))
    return _id(source, head, tuple(numbers))


def _ids(found: _Read) -> ExternalIds:
    source, number, text, _numbers = found
    if source == "imdb":
        return ExternalIds(imdb=text)
    if source == "tmdb":
        return ExternalIds(tmdb=number)
    if source == "tvdb":
        return ExternalIds(tvdb=number)
    return ExternalIds(anidb=number)


def read_guid(value: object) -> AgentGuid | None:
    """What one guid names (a `Guid` entry's id or a `guid`); None when no outside id."""
    found = _read(value)
    if found is None:
        return None
    return AgentGuid(found[0], _ids(found), found[3])


def external_ids(item: Mapping[str, Any]) -> ExternalIds:
    """The ids Plex matched an item to: its `Guid` array first, then its legacy `guid`.

    The first id of each kind wins. A season's or an episode's legacy guid names its show's id
    and is not read here (see `show_ids`); an episode's own ids come from its `Guid` array.
    """
    tmdb = tvdb = anidb = None
    imdb: str | None = None
    guids = item.get("Guid")
    values = [e.get("id") for e in guids if isinstance(e, dict)] if isinstance(guids, list) else []
    guid = item.get("guid")
    if not isinstance(guid, str) or not guid.startswith(_CURRENT_AGENT):
        values.append(guid)
    for value in values:
        found = _read(value)
        if found is None or found[3]:
            continue
        source, number, text, _numbers = found
        if source == "tmdb":
            tmdb = tmdb or number
        elif source == "tvdb":
            tvdb = tvdb or number
        elif source == "imdb":
            imdb = imdb or text
        else:
            anidb = anidb or number
    if tmdb is None and tvdb is None and imdb is None and anidb is None:
        return NO_IDS
    return ExternalIds(tmdb, tvdb, imdb, anidb)


def show_ids(item: Mapping[str, Any]) -> ExternalIds:
    """The show's id a season's or an episode's legacy guid names (none for other guids).

    `com.plexapp.agents.thetvdb://74205/1/1?lang=en` is episode 1 of season 1 of TVDB show
    74205: the show's id, not the episode's.
    """
    found = read_guid(item.get("guid"))
    if found is None or not found.names_a_show_part:
        return NO_IDS
    return found.ids
