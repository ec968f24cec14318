"""The emulated Plex server's library: sections, items, and the scanner that fills them from disk.

The scanner plays Plex's own (it does not use Videodrome's parser): it walks a section's
folders, recognises Plex-style names (`Title (Year)/Title (Year).mkv`,
`Show (Year)/Season 01/Show - s01e02.mkv`), matches them to the catalogue by a `{tmdb-N}`,
`{imdb-tt…}` or `{tvdb-N}` hint, or by title and year, and keeps unmatched files as unmatched
items (`local://` guid, no external ids) the way Plex does. The ids a matched title gets
depend on the section's agent (plex_agents.py): Plex's current agents, or a legacy agent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import itertools
import json
import os
from pathlib import Path
import re
import time
from typing import Any
import unicodedata
import uuid

from tests.emulators.catalogue import Catalogue, CatalogueMovie, CatalogueShow
from tests.emulators.plex_agents import (
    LEGACY_AGENTS,
    PLEX_AGENTS,
    episode_guid,
    episode_guids,
    movie_ids,
    scanner_for,
    season_guid,
    show_ids,
)
from tests.emulators.plex_demo import create_demo_files
from tests.emulators.plex_versions import episode_version, movie_version

VIDEO_EXTENSIONS = frozenset(
    {".mkv", ".mp4", ".avi", ".m4v", ".ts", ".m2ts", ".wmv", ".mov", ".mpg", ".mpeg", ".webm"}
)
TYPE_CODES = {"movie": 1, "show": 2, "season": 3, "episode": 4}

_HINT = re.compile(r"[{\[](tmdb|imdb|tvdb)(?:id)?-(tt\d+|\d+)[}\]]", re.IGNORECASE)
# "Title (Year)" first, as Plex asks names to be; then a bare year, the last one in the name
# (greedy), so "Blade.Runner.2049.2017.1080p" is Blade Runner 2049 from 2017.
_TITLE_PAREN_YEAR = re.compile(r"^(?P<title>.+?)\s*\((?P<year>(?:18|19|20)\d{2})\)")
_TITLE_YEAR = re.compile(r"^(?P<title>.+)[\s._\[]+(?P<year>(?:18|19|20)\d{2})\]?(?:[\s._\-]|$)")
_EPISODE = re.compile(r"[Ss](?P<season>\d{1,3})[Ee](?P<first>\d{1,4})(?:-?[Ee](?P<last>\d{1,4}))?")
_EPISODE_TITLE = re.compile(r"[Ss]\d+[Ee]\d+(?:-?[Ee]\d+)?\s*-\s*(?P<title>.+)$")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def _clean(text: str) -> str:
    text = _HINT.sub("", text)
    if " " not in text.strip():
        text = text.replace(".", " ").replace("_", " ")
    return re.sub(r"\s+", " ", text).strip(" -")


def _title_year(name: str) -> re.Match[str] | None:
    cleaned = _clean(name)
    return _TITLE_PAREN_YEAR.match(cleaned) or _TITLE_YEAR.match(cleaned)


@dataclass
class Location:
    """A folder of a section, as the emulated Plex sees it."""

    id: int
    path: str


@dataclass
class Section:
    """A library section."""

    key: int
    title: str
    type: str
    locations: list[Location]
    agent: str
    scanner: str
    uuid: str
    language: str = "en-US"
    created_at: int = field(default_factory=lambda: int(time.time()))
    updated_at: int = field(default_factory=lambda: int(time.time()))
    scanned_at: int = 0
    refreshing: bool = False


@dataclass
class Item:
    """A movie, show, season or episode."""

    rating_key: int
    type: str
    title: str
    section_key: int
    guid: str
    year: int | None = None
    guids: list[str] = field(default_factory=list)
    index: int | None = None  # season or episode number
    parent_key: int | None = None
    files: list[tuple[str, int]] = field(default_factory=list)  # (path, size)
    view_count: int = 0
    last_viewed_at: int | None = None
    added_at: int = field(default_factory=lambda: int(time.time()))
    updated_at: int = field(default_factory=lambda: int(time.time()))
    originally_available_at: str | None = None
    poster: str | None = "agent"  # where the poster came from (an uploaded URL); None: no poster


@dataclass(frozen=True)
class HistoryEntry:
    """One viewing in the watch history (`/status/sessions/history/all`)."""

    id: int
    rating_key: int
    viewed_at: int
    account_id: int = 1  # the server's owner
    device_id: int = 1


def timeline_entries(item: Item, states: tuple[int, ...]) -> list[dict[str, Any]]:
    """The `TimelineEntry` list of a timeline notification about `item`, one per state."""
    return [
        {
            "identifier": "com.plexapp.plugins.library",
            "sectionID": str(item.section_key),
            "itemID": str(item.rating_key),
            "type": TYPE_CODES[item.type],
            "title": item.title,
            "state": state,
            "updatedAt": item.updated_at,
        }
        for state in states
    ]


@dataclass
class ScanChanges:
    """What a scan did: items added and removed (leaves first, for timeline messages)."""

    added: list[Item] = field(default_factory=list)
    removed: list[Item] = field(default_factory=list)


class PlexLibrary:
    """Sections and their items; mutable, as a real server's library is."""

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        """Create an empty library matching against `catalogue` (the demo one by default)."""
        self.catalogue = catalogue or Catalogue.load()
        self.sections: dict[int, Section] = {}
        self.items: dict[int, Item] = {}
        self._keys = itertools.count(1000)
        # Test knobs (see plex_match.py): a wrong match for a TMDb id, titles without a poster.
        self.misidentify: dict[int, int] = {}
        self.without_posters: set[int] = set()
        self.group_versions = True  # files of one film or episode: versions (plex_versions.py)
        self.poster_images: dict[int, bytes] = {}  # uploaded posters, by rating key
        self._location_ids = itertools.count(1)
        self.history: list[HistoryEntry] = []  # what was watched, oldest first
        # Playback sessions a library file lists; the emulator starts them when it starts.
        self.playing: list[dict[str, Any]] = []

    @classmethod
    def empty(cls, catalogue: Catalogue | None = None) -> PlexLibrary:
        """A server with no library sections."""
        return cls(catalogue)

    @classmethod
    def demo(
        cls, media_root: Path, catalogue: Catalogue | None = None, *, legacy_agents: bool = False
    ) -> PlexLibrary:
        """Movies and TV Shows sections with real titles as tiny stand-in files, scanned.

        `legacy_agents`: the sections use Plex's legacy agents (IMDb, TheTVDB).
        """
        library = cls(catalogue)
        movies, shows = media_root / "Movies", media_root / "TV Shows"
        watched = create_demo_files(library.catalogue, movies, shows)
        library.add_section("Movies", "movie", [str(movies)], key=1, legacy_agents=legacy_agents)
        library.add_section("TV Shows", "show", [str(shows)], key=2, legacy_agents=legacy_agents)
        for section in list(library.sections.values()):
            library.apply_scan(section, library.walk(section))
        library.mark_files_watched([str(path) for path in watched])
        return library

    @classmethod
    def from_file(
        cls, path: Path, media_root: Path | None = None, *, legacy_agents: bool = False
    ) -> PlexLibrary:
        """A library described by a JSON file, then scanned.

        Keys: `catalogue` (a catalogue file, relative to the library file), `sections` (each
        `title`, `type`, `locations`, optional `key`, `agent`, `legacy_agents`),
        `legacy_agents` (the default of every section), `watched` (files already watched) and
        `sessions` (what is playing: keyword arguments of `PlexEmulator.add_session`).
        Relative locations and files are taken below `media_root` (default: the file's folder).
        """
        doc = json.loads(path.read_text(encoding="utf-8"))
        base = media_root or path.parent
        named = doc.get("catalogue")
        if named:
            named = named if named == "demo" else path.parent / named
        catalogue = Catalogue.load(named) if named else None
        library = cls(catalogue)
        legacy_default = legacy_agents or bool(doc.get("legacy_agents", False))
        for spec in doc.get("sections", []):
            locations = [str(base / loc) for loc in spec["locations"]]
            for location in locations:
                Path(location).mkdir(parents=True, exist_ok=True)
            section = library.add_section(
                spec["title"],
                spec["type"],
                locations,
                key=spec.get("key"),
                agent=spec.get("agent"),
                legacy_agents=bool(spec.get("legacy_agents", legacy_default)),
            )
            library.apply_scan(section, library.walk(section))
        library.mark_files_watched([str(base / file) for file in doc.get("watched", [])])
        library.playing = list(doc.get("sessions", []))
        return library

    def add_section(
        self,
        title: str,
        type: str,  # noqa: A002 (Plex's own word)
        locations: list[str],
        *,
        key: int | None = None,
        agent: str | None = None,
        legacy_agents: bool = False,
    ) -> Section:
        """Create a library section over `locations` (not scanned yet).

        Its agent decides the ids its items get: `agent`, else Plex's current agent for its
        type, or the legacy one (IMDb for movies, TheTVDB for shows) with `legacy_agents`.
        """
        if type not in PLEX_AGENTS:
            raise ValueError(f"unsupported section type {type!r}")
        agent = agent or (LEGACY_AGENTS if legacy_agents else PLEX_AGENTS)[type]
        key = key if key is not None else max(self.sections, default=0) + 1
        if key in self.sections:
            raise ValueError(f"section {key} exists")
        section = Section(
            key=key,
            # Stable across restarts of the emulator (as a real server's are), so a demo
            # that restarts keeps its entities.
            uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key}:{title}:{locations}")),
            title=title,
            type=type,
            locations=[Location(next(self._location_ids), loc) for loc in locations],
            agent=agent,
            scanner=scanner_for(type, agent),
        )
        self.sections[key] = section
        return section

    def remove_section(self, key: int) -> None:
        """Delete a section and everything in it."""
        self.sections.pop(key)
        for rating_key in [k for k, item in self.items.items() if item.section_key == key]:
            del self.items[rating_key]

    def children(self, rating_key: int) -> list[Item]:
        """Seasons of a show, episodes of a season, in order."""
        found = [item for item in self.items.values() if item.parent_key == rating_key]
        return sorted(found, key=lambda item: (item.index or 0, item.rating_key))

    def leaves(self, item: Item) -> list[Item]:
        """The playable items below an item: a show's or a season's episodes, or itself."""
        if item.type in {"movie", "episode"}:
            return [item]
        return [leaf for child in self.children(item.rating_key) for leaf in self.leaves(child)]

    def section_items(self, section_key: int, type_code: int | None) -> list[Item]:
        """A section's items of one type (default: its primary type) in Plex's default order:
        movies and shows by title, seasons and episodes by show, season and number."""
        section = self.sections[section_key]
        wanted = type_code or TYPE_CODES[section.type]
        found = [
            item
            for item in self.items.values()
            if item.section_key == section_key and TYPE_CODES[item.type] == wanted
        ]
        return sorted(found, key=self.plex_order)

    def plex_order(self, item: Item) -> tuple[str, int, int, int]:
        """The sort key of Plex's default order."""
        parent = self.items.get(item.parent_key) if item.parent_key else None
        season = item if item.type == "season" else parent if item.type == "episode" else None
        show = self.items.get(season.parent_key) if season and season.parent_key else None
        named = show or item
        season_number = season.index if season is not None and season.index is not None else -1
        number = item.index if item.type == "episode" and item.index is not None else -1
        return (_norm(named.title), season_number, number, item.rating_key)

    def mark_watched(self, rating_key: int, watched: bool = True) -> None:
        """Set the watched state of an item and everything below it.

        Watching adds to the history (an entry per episode or movie); unwatching does not
        take entries out of it, as on a real server.
        """
        now = int(time.time())
        for leaf in self.leaves(self.items[rating_key]):
            leaf.view_count = (leaf.view_count + 1) if watched else 0
            leaf.last_viewed_at = now if watched else None
            if watched:
                self.history.append(HistoryEntry(len(self.history) + 1, leaf.rating_key, now))

    def mark_files_watched(self, files: list[str]) -> None:
        """Mark the items of these files watched (files no item has are left alone)."""
        wanted = set(files)
        for item in list(self.items.values()):
            if any(file in wanted for file, _ in item.files):
                self.mark_watched(item.rating_key)

    def walk(self, section: Section, scope: str | None = None) -> dict[str, int]:
        """Video files (path → size) under a section's folders, or only under `scope`.

        Blocking: the server calls it in an executor.
        """
        found: dict[str, int] = {}
        roots = [Path(loc.path) for loc in section.locations]
        if scope is not None:
            target = Path(scope)
            roots = [target] if any(target.is_relative_to(root) for root in roots) else []
        for root in roots:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    path = Path(dirpath) / name
                    if path.suffix.lower() in VIDEO_EXTENSIONS and not name.startswith("."):
                        try:
                            found[str(path)] = path.stat().st_size
                        except OSError:
                            continue
        return found

    def apply_scan(
        self, section: Section, found: dict[str, int], scope: str | None = None
    ) -> ScanChanges:
        """Bring a section in line with the files found (under `scope`, if given)."""
        changes = ScanChanges()
        known = {
            file: item
            for item in self.items.values()
            if item.section_key == section.key
            for file, _ in item.files
        }
        prefix = scope.rstrip("/") + "/" if scope else None
        for file, item in known.items():
            in_scope = prefix is None or file.startswith(prefix)
            if in_scope and file not in found and item.rating_key in self.items:
                changes.removed.extend(self._remove_leaf(item))
        for file, size in sorted(found.items()):
            if file not in known:
                changes.added.extend(self._add_file(section, Path(file), size))
        section.scanned_at = int(time.time())
        return changes

    def _remove_leaf(self, item: Item) -> list[Item]:
        removed = [self.items.pop(item.rating_key)]
        parent = self.items.get(item.parent_key) if item.parent_key else None
        while parent is not None and not self.children(parent.rating_key):
            removed.append(self.items.pop(parent.rating_key))
            parent = self.items.get(parent.parent_key) if parent.parent_key else None
        return removed

    def _new(self, **fields: Any) -> Item:
        item = Item(rating_key=next(self._keys), **fields)
        self.items[item.rating_key] = item
        return item

    def _add_file(self, section: Section, path: Path, size: int) -> list[Item]:
        location = next(
            Path(loc.path) for loc in section.locations if path.is_relative_to(loc.path)
        )
        if section.type == "movie":
            if (held := movie_version(self, section, path, location)) is not None:
                held.files.append((str(path), size))  # a version of a film Plex has
                return [held]
            return [self._add_movie(section, path, size, location)]
        return self._add_episodes(section, path, size, location)

    def _add_movie(self, section: Section, path: Path, size: int, location: Path) -> Item:
        relative = path.relative_to(location)
        text = str(relative)
        movie = self._movie_by_hint(text)
        folder = relative.parts[0] if len(relative.parts) > 1 else path.stem
        parsed = _title_year(folder) or _title_year(path.stem)
        title = parsed["title"].strip() if parsed else _clean(path.stem)
        year = int(parsed["year"]) if parsed else None
        if movie is None:
            movie = self._movie_by_name(title, year)
        if movie is not None and movie.tmdb_id in self.misidentify:
            movie = self.catalogue.movie(self.misidentify[movie.tmdb_id]) or movie
        ids = movie_ids(section.agent, movie) if movie is not None else None
        if movie is None or ids is None:
            return self._new(
                type="movie",
                title=title,
                section_key=section.key,
                year=year,
                guid=f"local://{next(self._keys)}",
                files=[(str(path), size)],
            )
        guid, guids = ids
        return self._new(
            type="movie",
            title=movie.title,
            section_key=section.key,
            year=movie.year,
            guid=guid,
            guids=guids,
            files=[(str(path), size)],
            originally_available_at=movie.release_date,
            poster=None if movie.tmdb_id in self.without_posters else "agent",
        )

    def _movie_by_hint(self, text: str) -> CatalogueMovie | None:
        for raw_kind, value in _HINT.findall(text):
            kind = raw_kind.lower()
            for movie in self.catalogue.movies:
                if (kind == "tmdb" and str(movie.tmdb_id) == value) or (
                    kind == "imdb" and movie.imdb_id == value
                ):
                    return movie
        return None

    def _movie_by_name(self, title: str, year: int | None) -> CatalogueMovie | None:
        wanted = _norm(title)
        matches = [
            m
            for m in self.catalogue.movies
            if wanted in {_norm(t) for t in (m.title, m.original_title, *m.alternative_titles)}
        ]
        if year is not None:
            matches = [m for m in matches if m.year is not None and abs(m.year - year) <= 1]
        return matches[0] if len(matches) == 1 else None

    def _show_for(self, folder: str) -> tuple[CatalogueShow | None, str, int | None]:
        for raw_kind, value in _HINT.findall(folder):
            kind = raw_kind.lower()
            show = (
                self.catalogue.show_by_tvdb(int(value))
                if kind == "tvdb"
                else self.catalogue.show(int(value))
                if kind == "tmdb"
                else None
            )
            if show is not None:
                show = self._misidentified_show(show)
                return show, show.name, show.year
        parsed = _title_year(folder)
        title = parsed["title"].strip() if parsed else _clean(folder)
        year = int(parsed["year"]) if parsed else None
        wanted = _norm(title)
        matches = [
            s
            for s in self.catalogue.shows
            if wanted in {_norm(t) for t in (s.name, s.original_name, *s.alternative_titles)}
            and (year is None or s.year == year)
        ]
        show = self._misidentified_show(matches[0]) if len(matches) == 1 else None
        return show, (show.name if show else title), (show.year if show else year)

    def _misidentified_show(self, show: CatalogueShow) -> CatalogueShow:
        wrong = self.misidentify.get(show.tmdb_id)
        return (self.catalogue.show(wrong) or show) if wrong is not None else show

    def _add_episodes(self, section: Section, path: Path, size: int, location: Path) -> list[Item]:
        relative = path.relative_to(location)
        episode = _EPISODE.search(path.stem)
        if len(relative.parts) < 2 or episode is None:
            return []  # Plex's series scanner ignores files it cannot place
        season_number = int(episode["season"])
        first = int(episode["first"])
        last = int(episode["last"] or first)
        show_info, show_title, year = self._show_for(relative.parts[0])
        added: list[Item] = []
        show = self._find_or_add_show(section, show_info, show_title, year, added)
        season = next((s for s in self.children(show.rating_key) if s.index == season_number), None)
        if season is None:
            season = self._new(
                type="season",
                title="Specials" if season_number == 0 else f"Season {season_number}",
                section_key=section.key,
                guid=season_guid(show.guid, season_number),
                index=season_number,
                parent_key=show.rating_key,
            )
            added.append(season)
        named = _EPISODE_TITLE.search(path.stem)
        for number in range(first, max(first, last) + 1):
            catalogue_season = show_info.season(season_number) if show_info else None
            if (held := episode_version(self, season, number)) is not None:
                held.files.append((str(path), size))  # a version of an episode Plex has
                added.append(held)
                continue
            if catalogue_season is not None:
                title = catalogue_season.episode_title(number)
            else:
                title = named["title"].strip() if named else f"Episode {number}"
            added.append(
                self._new(
                    type="episode",
                    title=title,
                    section_key=section.key,
                    guid=episode_guid(show.guid, season_number, number),
                    guids=episode_guids(show.guid, show.guids, season_number, number),
                    index=number,
                    parent_key=season.rating_key,
                    files=[(str(path), size)],
                    year=year,
                )
            )
        return added

    def _find_or_add_show(
        self,
        section: Section,
        info: CatalogueShow | None,
        title: str,
        year: int | None,
        added: list[Item],
    ) -> Item:
        for item in self.items.values():
            if (
                item.type == "show"
                and item.section_key == section.key
                and (item.title, item.year) == (title, year)
            ):
                return item
        ids = show_ids(section.agent, info) if info is not None else None
        if ids is None:
            info = None
            ids = f"local://{next(self._keys)}", []
        guid, guids = ids
        show = self._new(
            type="show",
            title=title,
            section_key=section.key,
            year=year,
            guid=guid,
            guids=guids,
            originally_available_at=info.first_air_date if info else None,
            poster=None if info is not None and info.tmdb_id in self.without_posters else "agent",
        )
        added.append(show)
        return show
