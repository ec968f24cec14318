"""TMDb's answers as small frozen dataclasses, read leniently from its JSON.

TMDb omits, nulls or blanks fields freely (a film without a release date, a show without a
poster), so every converter accepts what is missing and keeps only what Videodrome uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

MediaType = Literal["movie", "tv"]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _year(date: Any) -> int | None:
    text = _str(date)
    head = text[:4]
    return int(head) if len(head) == len("YYYY") and head.isdigit() else None


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class Candidate:
    """A search result or a looked-up title: what scoring needs, for a movie or a show."""

    media_type: MediaType
    tmdb_id: int
    title: str
    original_title: str
    year: int | None
    popularity: float = 0.0
    vote_count: int = 0
    vote_average: float = 0.0
    original_language: str = ""
    origin_country: tuple[str, ...] = ()
    poster_path: str | None = None
    alternative_titles: tuple[str, ...] = ()
    imdb_id: str | None = None
    tvdb_id: int | None = None
    # Titles in other languages (`translations`, appended only when asked for; None: not asked).
    translated_titles: tuple[str, ...] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any], media_type: MediaType) -> Candidate | None:
        """Read a search result, details or find result; None when it has no id."""
        tmdb_id = _int(data.get("id"))
        if tmdb_id is None:
            return None
        movie = media_type == "movie"
        title = _str(data.get("title" if movie else "name"))
        original = _str(data.get("original_title" if movie else "original_name")) or title
        alternatives = data.get("alternative_titles")
        alt_list = (
            _list(alternatives.get("titles" if movie else "results"))
            if isinstance(alternatives, dict)
            else []
        )
        external = data.get("external_ids")
        external_ids = external if isinstance(external, dict) else {}
        imdb = _str(data.get("imdb_id")) or _str(external_ids.get("imdb_id"))
        countries = data.get("origin_country")
        return cls(
            media_type=media_type,
            tmdb_id=tmdb_id,
            title=title or original,
            original_title=original,
            year=_year(data.get("release_date" if movie else "first_air_date")),
            popularity=_float(data.get("popularity")),
            vote_count=_int(data.get("vote_count")) or 0,
            vote_average=_float(data.get("vote_average")),
            original_language=_str(data.get("original_language")),
            origin_country=tuple(c for c in countries if isinstance(c, str))
            if isinstance(countries, list)
            else (),
            poster_path=_str(data.get("poster_path")) or None,
            alternative_titles=tuple(
                dict.fromkeys(t for a in alt_list if (t := _str(a.get("title"))))
            ),
            imdb_id=imdb or None,
            tvdb_id=_int(external_ids.get("tvdb_id")),
            translated_titles=_translated_titles(data.get("translations"), movie=movie),
        )

    @property
    def titles(self) -> tuple[str, ...]:
        """Every title this candidate is known by, main title first, without repeats."""
        return tuple(
            dict.fromkeys(
                t
                for t in (
                    self.title,
                    self.original_title,
                    *self.alternative_titles,
                    *(self.translated_titles or ()),
                )
                if t
            )
        )


def _translated_titles(translations: Any, *, movie: bool) -> tuple[str, ...] | None:
    """The titles of appended `translations` (`data.title` for films, `data.name` for shows).

    TMDb leaves a translation's title empty when it is the original's (its en-US entry of an
    English film, say): those are left out. None when the answer has no translations part.
    """
    if translations is None:
        return None
    entries = _list(translations.get("translations")) if isinstance(translations, dict) else []
    key = "title" if movie else "name"
    titles = (
        _str(data.get(key)) for entry in entries if isinstance(data := entry.get("data"), dict)
    )
    return tuple(dict.fromkeys(t for t in titles if t))


@dataclass(frozen=True, slots=True)
class SeasonSummary:
    """A season as a show's details list it."""

    season_number: int
    episode_count: int


@dataclass(frozen=True, slots=True)
class EpisodeGroupSummary:
    """One of a show's episode groups as `tv/{id}` lists them (`append_to_response`).

    `type` is TMDb's: 1 original air date, 2 absolute, 3 DVD, 4 digital, 5 story arc,
    6 production, 7 TV (TMDb's API reference, "TV Series Episode Groups").
    """

    group_id: str
    name: str
    type: int
    episode_count: int


@dataclass(frozen=True, slots=True)
class ShowDetails:
    """A show with its seasons (for the seasons a show lacks, and for naming episodes)."""

    candidate: Candidate
    seasons: tuple[SeasonSummary, ...]
    episode_groups: tuple[EpisodeGroupSummary, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShowDetails | None:
        """Read `tv/{id}` (with appended alternative titles, external ids, episode groups)."""
        candidate = Candidate.from_json(data, "tv")
        if candidate is None:
            return None
        seasons = tuple(
            SeasonSummary(number, _int(s.get("episode_count")) or 0)
            for s in _list(data.get("seasons"))
            if (number := _int(s.get("season_number"))) is not None
        )
        groups = data.get("episode_groups")
        summaries = tuple(
            EpisodeGroupSummary(
                group_id, _str(g.get("name")), _int(g.get("type")) or 0,
                _int(g.get("episode_count")) or 0,
            )
            for g in _list(groups.get("results") if isinstance(groups, dict) else None)
            if (group_id := _str(g.get("id")))
        )  # fmt: skip
        return cls(candidate, seasons, summaries)


@dataclass(frozen=True, slots=True)
class GroupedEpisode:
    """An episode in an episode group: its place there and its season and number as aired."""

    order: int
    season_number: int
    episode_number: int
    name: str


@dataclass(frozen=True, slots=True)
class EpisodeGroupPart:
    """One group of an episode group (TMDb shows each as a season of that order)."""

    order: int
    name: str
    episodes: tuple[GroupedEpisode, ...]


@dataclass(frozen=True, slots=True)
class EpisodeGroup:
    """`tv/episode_group/{id}`: another order of a show's episodes, in groups."""

    group_id: str
    name: str
    type: int
    parts: tuple[EpisodeGroupPart, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any], group_id: str) -> EpisodeGroup:
        """Read an episode group; episodes without a season or a number are left out."""
        parts = tuple(
            EpisodeGroupPart(
                _int(part.get("order")) or 0,
                _str(part.get("name")),
                tuple(
                    GroupedEpisode(_int(e.get("order")) or 0, season, number, _str(e.get("name")))
                    for e in _list(part.get("episodes"))
                    if (season := _int(e.get("season_number"))) is not None
                    and (number := _int(e.get("episode_number"))) is not None
                ),
            )
            for part in _list(data.get("groups"))
        )
        return cls(
            _str(data.get("id")) or group_id, _str(data.get("name")), _int(data.get("type")) or 0,
            parts,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Episode:
    """One episode of a season."""

    season_number: int
    episode_number: int
    name: str
    air_date: str | None


@dataclass(frozen=True, slots=True)
class Season:
    """`tv/{id}/season/{n}`: the episodes of one season."""

    season_number: int
    episodes: tuple[Episode, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any], season_number: int) -> Season:
        """Read a season; episodes without a number are left out."""
        episodes = tuple(
            Episode(
                _int(e.get("season_number")) or season_number,
                number,
                _str(e.get("name")),
                _str(e.get("air_date")) or None,
            )
            for e in _list(data.get("episodes"))
            if (number := _int(e.get("episode_number"))) is not None
        )
        return cls(_int(data.get("season_number")) or season_number, episodes)

    def episode(self, number: int) -> Episode | None:
        """Episode `number`, if TMDb knows it."""
        return next((e for e in self.episodes if e.episode_number == number), None)

    def on_date(self, air_date: str) -> Episode | None:
        """The episode that aired on `air_date` (YYYY-MM-DD), for daily shows."""
        return next((e for e in self.episodes if e.air_date == air_date), None)
