"""The emulators' catalogue of titles: what "exists" in the emulated TMDb and what Plex can match.

One JSON file (`data/demo_catalogue.json` is the demo) with TMDb's own field names, read into
frozen dataclasses. Both the Plex and the TMDb emulator load it, so a title the TMDb emulator
knows is a title the Plex emulator can match during a scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Any

DEMO_CATALOGUE = Path(__file__).parent / "data" / "demo_catalogue.json"


@dataclass(frozen=True, slots=True)
class CatalogueSeason:
    """A season of a show: its number, how many episodes, and the titles known for them."""

    season_number: int
    episode_count: int
    episode_titles: tuple[str, ...] = ()

    def episode_title(self, number: int) -> str:
        """Title of episode `number` (1-based), or TMDb's placeholder when unknown."""
        if 1 <= number <= len(self.episode_titles):
            return self.episode_titles[number - 1]
        return f"Episode {number}"


@dataclass(frozen=True, slots=True)
class CatalogueTranslation:
    """A work's title in another language (TMDb's translations; the title may be empty)."""

    iso_639_1: str
    iso_3166_1: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class CatalogueEpisodeGroup:
    """Another order of a show's episodes: named groups of (season, episode) pairs.

    `type` is TMDb's: 1 original air date, 2 absolute, 3 DVD, 4 digital, 5 story arc,
    6 production, 7 TV.
    """

    name: str
    type: int
    groups: tuple[tuple[str, tuple[tuple[int, int], ...]], ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class CatalogueMovie:
    """A movie as TMDb describes it."""

    tmdb_id: int
    imdb_id: str | None
    title: str
    original_title: str
    original_language: str
    release_date: str
    alternative_titles: tuple[str, ...] = ()
    popularity: float = 0.0
    vote_count: int = 0
    vote_average: float = 0.0
    runtime: int | None = None
    genres: tuple[str, ...] = ()
    translations: tuple[CatalogueTranslation, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def year(self) -> int | None:
        """Release year, from the release date."""
        return int(self.release_date[:4]) if self.release_date else None


@dataclass(frozen=True, slots=True)
class CatalogueShow:
    """A TV show as TMDb describes it, with its seasons."""

    tmdb_id: int
    tvdb_id: int | None
    imdb_id: str | None
    name: str
    original_name: str
    original_language: str
    first_air_date: str
    alternative_titles: tuple[str, ...] = ()
    popularity: float = 0.0
    vote_count: int = 0
    vote_average: float = 0.0
    genres: tuple[str, ...] = ()
    seasons: tuple[CatalogueSeason, ...] = ()
    translations: tuple[CatalogueTranslation, ...] = ()
    episode_groups: tuple[CatalogueEpisodeGroup, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def year(self) -> int | None:
        """Year of the first air date."""
        return int(self.first_air_date[:4]) if self.first_air_date else None

    def season(self, number: int) -> CatalogueSeason | None:
        """The season with that number, if the show has it."""
        return next((s for s in self.seasons if s.season_number == number), None)


_MOVIE_KEYS = frozenset(CatalogueMovie.__dataclass_fields__) - {"extra", "translations"}
_SHOW_KEYS = frozenset(CatalogueShow.__dataclass_fields__) - {
    "extra",
    "seasons",
    "translations",
    "episode_groups",
}
_OWN_KEYS = frozenset({"seasons", "translations", "episode_groups"})


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every movie and show the emulators know."""

    movies: tuple[CatalogueMovie, ...]
    shows: tuple[CatalogueShow, ...]

    @classmethod
    def load(cls, path: Path | str = DEMO_CATALOGUE) -> Catalogue:
        """Read a catalogue file; `"demo"` names the built-in demo catalogue."""
        file = DEMO_CATALOGUE if str(path) == "demo" else Path(path)
        return cls.from_dict(json.loads(file.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Catalogue:
        """Build a catalogue from its JSON form; unknown keys are kept in `extra`."""
        movies = tuple(_movie(m) for m in doc.get("movies", []))
        shows = tuple(_show(s) for s in doc.get("shows", []))
        return cls(movies=movies, shows=shows)

    def movie(self, tmdb_id: int) -> CatalogueMovie | None:
        """The movie with that TMDb id."""
        return next((m for m in self.movies if m.tmdb_id == tmdb_id), None)

    def show(self, tmdb_id: int) -> CatalogueShow | None:
        """The show with that TMDb id."""
        return next((s for s in self.shows if s.tmdb_id == tmdb_id), None)

    def show_by_tvdb(self, tvdb_id: int) -> CatalogueShow | None:
        """The show with that TVDB id."""
        return next((s for s in self.shows if s.tvdb_id == tvdb_id), None)


def _translations(doc: dict[str, Any]) -> tuple[CatalogueTranslation, ...]:
    return tuple(
        CatalogueTranslation(t["iso_639_1"], t["iso_3166_1"], t.get("title", ""))
        for t in doc.get("translations", [])
    )


def _episode_groups(doc: dict[str, Any]) -> tuple[CatalogueEpisodeGroup, ...]:
    return tuple(
        CatalogueEpisodeGroup(
            name=g["name"],
            type=g["type"],
            groups=tuple(
                (part["name"], tuple((s, e) for s, e in part["episodes"])) for part in g["groups"]
            ),
            description=g.get("description", ""),
        )
        for g in doc.get("episode_groups", [])
    )


def _movie(doc: dict[str, Any]) -> CatalogueMovie:
    known = {k: v for k, v in doc.items() if k in _MOVIE_KEYS}
    for key in ("alternative_titles", "genres"):
        known[key] = tuple(known.get(key, ()))
    extra = {k: v for k, v in doc.items() if k not in _MOVIE_KEYS and k not in _OWN_KEYS}
    return CatalogueMovie(**known, translations=_translations(doc), extra=extra)


def _show(doc: dict[str, Any]) -> CatalogueShow:
    known = {k: v for k, v in doc.items() if k in _SHOW_KEYS}
    for key in ("alternative_titles", "genres"):
        known[key] = tuple(known.get(key, ()))
    seasons = tuple(
        CatalogueSeason(
            season_number=s["season_number"],
            episode_count=s["episode_count"],
            episode_titles=tuple(s.get("episode_titles", ())),
        )
        for s in doc.get("seasons", [])
    )
    extra = {k: v for k, v in doc.items() if k not in _SHOW_KEYS and k not in _OWN_KEYS}
    return CatalogueShow(
        **known,
        seasons=seasons,
        translations=_translations(doc),
        episode_groups=_episode_groups(doc),
        extra=extra,
    )
