"""What a file's path says about it: `ParsedName`, its `Kind`, its `Reading`s and `IdHints`.

Plain frozen records, built by `parse()` (parse.py) and read by the scorer, the identifier and
the metadata provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date  # noqa: TC003 (a dataclass field's type)
from enum import StrEnum


class Kind(StrEnum):
    """What a file is."""

    MOVIE = "movie"
    EPISODE = "episode"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Reading:
    """One plausible (title, year) reading of a name; a name may allow several."""

    title: str
    year: int | None


@dataclass(frozen=True, slots=True)
class IdHints:
    """IDs written into the path (`{tmdb-603}`, `{imdb-tt0133093}`, `[tvdbid-81189]`, `tt…`)."""

    tmdb: int | None = None
    imdb: str | None = None
    tvdb: int | None = None

    def __bool__(self) -> bool:
        """Whether any ID is present."""
        return any((self.tmdb, self.imdb, self.tvdb))


@dataclass(frozen=True, slots=True)
class ParsedName:
    """What a file's path says about it."""

    path: str
    kind: Kind
    readings: tuple[Reading, ...] = ()
    alternative_title: str | None = None
    season: int | None = None
    seasons: tuple[int, ...] = ()  # a season pack's seasons (a single file has one)
    episodes: tuple[int, ...] = ()
    air_date: date | None = None
    absolute_episode: int | None = None
    episode_title: str | None = None
    edition: str | None = None
    part: int | None = None
    screen_size: str | None = None
    source: str | None = None
    extension: str | None = None
    release_group: str | None = None
    country: str | None = None
    ids: IdHints = field(default_factory=IdHints)
    sample: bool = False
    extra: str | None = None
    partial: bool = False
    video: bool = True
    reasons: tuple[str, ...] = ()

    @property
    def title(self) -> str | None:
        """The preferred title."""
        return self.readings[0].title if self.readings else None

    @property
    def year(self) -> int | None:
        """The year of the preferred reading."""
        return self.readings[0].year if self.readings else None
