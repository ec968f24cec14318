"""The Plex library in memory: what the server holds, looked up by id or title in microseconds.

`build()` pages through every movie and show section (`includeGuids=1`; the sections, and the
pages after each section's first, fetched concurrently) and episodes with
`/library/sections/{id}/all?type=4`, and turns every answer into small frozen records as soon
as it arrives: no raw JSON and no plexapi objects stay behind. The result is a `Snapshot`, never
changed once published; `LibraryIndex.swap()` replaces the whole snapshot in one assignment, so
a reader that took a snapshot keeps a consistent view while a rebuild runs.

Plex's notifications keep the index current without rebuilding it: `LibraryIndex.apply()`
fetches the items a timeline entry names (state 5, processed) or drops them (state 9, deleted),
and rebuilds a section when its scan ends, each time as a new snapshot made from the old one
(copy on write of the maps it touches).

Before the first build completes every lookup answers "loading", never "not found".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
import logging
import sys
import time
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz import fuzz, process

from ..availability import log_failure
from ..blocking import BlockingRunner, run_in_default_executor
from ..identify.score import normalise, title_similarity
from ..plex.errors import PlexError, PlexNotFoundError
from ..plex.models import (
    SCAN_ACTIVITY_TYPE,
    TYPE_EPISODE,
    TYPE_MOVIE,
    TYPE_SHOW,
    as_int,
    as_str,
)
from .records import Existing

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Container, Iterable, Mapping, Sequence
    from pathlib import Path

    from ..identify.identifier import Identification
    from ..plex.client import PlexClient
    from ..plex.notifications import Notification
    from ..tmdb.models import SeasonSummary

_LOGGER = logging.getLogger(__name__)

type Kind = Literal["movie", "show"]

# bench/library_index.py (101,000 items, 4 requests in flight): 500 0.88 s, 1000 0.93 s,
# 2000 0.98 s, 5000 1.27 s. Smaller pages keep the requests in flight busy and each answer
# small (parsed and dropped page by page); 500 is also python-plexapi's container size.
DEFAULT_PAGE_SIZE = 500
# Requests in flight at once during a build (Plex answers them from one database).
DEFAULT_CONCURRENCY = 4
# Title lookups: how alike a title must be (score.title_similarity) to count as a match.
MIN_TITLE_SIMILARITY = 0.9
# rapidfuzz's pre-filter on normalised titles, below what title_similarity can still accept.
_PREFILTER_CUTOFF = 80.0

STATE_PROCESSED = 5
STATE_DELETED = 9
_LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"
_DASH = "\u2013"  # en dash, as in "seasons 1–4"  # noqa: RUF003
_SECTION_KINDS: dict[str, Kind] = {"movie": "movie", "show": "show"}


@dataclass(frozen=True, slots=True)
class Episode:
    """One episode file of a show."""

    rating_key: int
    show_key: int
    season: int
    number: int
    title: str
    file: str | None
    resolution: str | None
    watched: bool


@dataclass(frozen=True, slots=True)
class Season:
    """A season as Plex holds it: the episode numbers present and how many were watched."""

    number: int
    numbers: tuple[int, ...]
    leaf_count: int
    viewed_leaf_count: int
    episodes: tuple[Episode, ...]

    @classmethod
    def of(cls, number: int, episodes: Iterable[Episode]) -> Season:
        """A season from its episodes (in any order)."""
        ordered = tuple(sorted(episodes, key=lambda e: (e.number, e.rating_key)))
        return cls(
            number=number,
            numbers=tuple(sorted({e.number for e in ordered})),
            leaf_count=len(ordered),
            viewed_leaf_count=sum(1 for e in ordered if e.watched),
            episodes=ordered,
        )

    def episode(self, number: int) -> Episode | None:
        """The episode with this number, if present."""
        return next((e for e in self.episodes if e.number == number), None)


@dataclass(frozen=True, slots=True)
class Item:
    """A movie or a show, with the ids Plex matched it to."""

    rating_key: int
    kind: Kind
    title: str
    year: int | None
    section: int
    tmdb: int | None = None
    tvdb: int | None = None
    imdb: str | None = None
    files: tuple[str, ...] = ()
    resolution: str | None = None
    watched: bool = False
    seasons: tuple[Season, ...] = ()

    def season(self, number: int) -> Season | None:
        """A season of a show, if Plex holds any episode of it."""
        return next((s for s in self.seasons if s.number == number), None)

    @property
    def leaf_count(self) -> int:
        """Episodes held (a movie: 1)."""
        return sum(s.leaf_count for s in self.seasons) if self.kind == "show" else 1

    @property
    def viewed_leaf_count(self) -> int:
        """Episodes watched (a movie: 1 when watched)."""
        if self.kind == "show":
            return sum(s.viewed_leaf_count for s in self.seasons)
        return int(self.watched)


@dataclass(frozen=True, slots=True)
class TitleMatch:
    """An item found by title, with how alike its title is."""

    item: Item
    similarity: float


@dataclass(frozen=True, slots=True)
class Lookup[T]:
    """What a lookup found; `loading` while the index has not been built yet."""

    matches: tuple[T, ...] = ()
    loading: bool = False

    @property
    def found(self) -> bool:
        """Whether anything matched."""
        return bool(self.matches)

    @property
    def first(self) -> T | None:
        """The best match, if any."""
        return self.matches[0] if self.matches else None


@dataclass(frozen=True, slots=True, eq=False)
class Snapshot:
    """The library at one moment; never changed once built (readers may hold on to it)."""

    sections: Mapping[int, Kind]
    items: Mapping[int, Item]
    episodes: Mapping[int, Episode]
    tmdb_index: Mapping[int, tuple[Item, ...]]
    tvdb_index: Mapping[int, tuple[Item, ...]]
    imdb_index: Mapping[str, tuple[Item, ...]]
    title_index: Mapping[str, tuple[Item, ...]]
    title_keys: tuple[str, ...]
    built_at: float = field(default_factory=time.monotonic)

    def counts(self) -> dict[int, int]:
        """Movies or shows per section."""
        counts = dict.fromkeys(self.sections, 0)
        for item in self.items.values():
            counts[item.section] = counts.get(item.section, 0) + 1
        return counts

    def by_id(
        self,
        *,
        tmdb: int | None = None,
        tvdb: int | None = None,
        imdb: str | None = None,
        kind: Kind | None = None,
    ) -> tuple[Item, ...]:
        """Items with any of these ids (TMDb first), optionally only movies or only shows."""
        found: dict[int, Item] = {}
        for items in (
            self.tmdb_index.get(tmdb, ()) if tmdb is not None else (),
            self.tvdb_index.get(tvdb, ()) if tvdb is not None else (),
            self.imdb_index.get(imdb, ()) if imdb else (),
        ):
            for item in items:
                if kind is None or item.kind == kind:
                    found.setdefault(item.rating_key, item)
        return tuple(found.values())

    def by_title(
        self, title: str, year: int | None = None, kind: Kind | None = None
    ) -> tuple[TitleMatch, ...]:
        """Items whose title is alike (score.title_similarity >= 0.9), year within one."""
        wanted = normalise(title)
        if not wanted:
            return ()
        keys = {wanted} if wanted in self.title_index else set()
        for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
            keys.update(
                key
                for key, _score, _index in process.extract(
                    wanted,
                    self.title_keys,
                    scorer=scorer,
                    score_cutoff=_PREFILTER_CUTOFF,
                    limit=None,
                )
            )
        ranked: list[tuple[float, int, int, TitleMatch]] = []
        for key in keys:
            for item in self.title_index[key]:
                if kind is not None and item.kind != kind:
                    continue
                distance = abs(year - item.year) if year is not None and item.year else 0
                if distance > 1:
                    continue
                similarity = title_similarity(title, item.title)
                if similarity >= MIN_TITLE_SIMILARITY:
                    ranked.append(
                        (-similarity, distance, item.rating_key, TitleMatch(item, similarity))
                    )
        ranked.sort(key=lambda entry: entry[:3])
        return tuple(entry[3] for entry in ranked)


def _empty_snapshot() -> Snapshot:
    return _Builder(None).freeze()


# ---- availability ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeasonAvailability:
    """One season held by Plex, against what TMDb lists."""

    number: int
    present: int
    expected: int | None
    missing: tuple[tuple[int, int], ...]
    viewed: int


@dataclass(frozen=True, slots=True)
class Availability:
    """Which seasons and episodes of a show Plex holds, lacks, and has watched."""

    seasons: tuple[SeasonAvailability, ...]
    missing_seasons: tuple[int, ...]

    @property
    def present_seasons(self) -> tuple[int, ...]:
        """Season numbers with at least one episode in Plex."""
        return tuple(s.number for s in self.seasons)

    @property
    def missing_episodes(self) -> dict[int, tuple[tuple[int, int], ...]]:
        """Per season with gaps: the missing episode numbers as (first, last) ranges."""
        return {s.number: s.missing for s in self.seasons if s.missing}

    @property
    def watched(self) -> dict[int, tuple[int, int]]:
        """Per present season: (episodes watched, episodes held)."""
        return {s.number: (s.viewed, s.present) for s in self.seasons}

    def summary(self) -> str:
        """In words: "seasons 1-4 present, season 5 missing; season 3 is missing episode 7"."""
        regular = [n for n in self.present_seasons if n > 0]
        parts = [
            f"{_plural('season', regular)} {_describe(_ranges(regular))} present"
            if regular
            else "no seasons present"
        ]
        if self.missing_seasons:
            missing = self.missing_seasons
            parts[0] += f", {_plural('season', missing)} {_describe(_ranges(missing))} missing"
        for season in self.seasons:
            if season.missing:
                count = sum(last - first + 1 for first, last in season.missing)
                word = "episode" if count == 1 else "episodes"
                parts.append(
                    f"season {season.number} is missing {word} {_describe(season.missing)}"
                )
        done = [s.number for s in self.seasons if s.present and s.viewed == s.present]
        if done:
            parts.append(f"{_plural('season', done)} {_describe(_ranges(done))} watched")
        parts.extend(
            f"season {season.number} {_partly(season.viewed, season.present)}"
            for season in self.seasons
            if 0 < season.viewed < season.present
        )
        return "; ".join(parts)


def _plural(word: str, numbers: Sequence[int]) -> str:
    return word if len(numbers) == 1 else word + "s"


def _partly(viewed: int, total: int) -> str:
    if viewed * 2 == total:
        return "half watched"
    return f"{viewed} of {total} episodes watched"


def _ranges(numbers: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Sorted numbers as (first, last) runs: 1 2 3 5 → (1, 3), (5, 5)."""
    runs: list[tuple[int, int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return tuple(runs)


def _describe(runs: Sequence[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else f"{a}{_DASH}{b}" for a, b in runs)


def availability(show: Item, tmdb_seasons: Sequence[SeasonSummary] | None) -> Availability:
    """What Plex holds of `show` against TMDb's season list (None: only what is held)."""
    expected = {s.season_number: s.episode_count for s in tmdb_seasons or () if s.episode_count > 0}
    seasons = tuple(
        SeasonAvailability(
            number=season.number,
            present=season.leaf_count,
            expected=expected.get(season.number),
            missing=_ranges(
                set(range(1, expected.get(season.number, 0) + 1)) - set(season.numbers)
            ),
            viewed=season.viewed_leaf_count,
        )
        for season in show.seasons
    )
    held = {s.number for s in show.seasons}
    # Specials (season 0) come and go on TMDb; only regular seasons count as missing.
    missing = tuple(sorted(n for n in expected if n > 0 and n not in held))
    return Availability(seasons=seasons, missing_seasons=missing)


# ---- parsing Plex's JSON into records -------------------------------------------------------


def _intern(value: Any) -> str | None:
    text = as_str(value)
    return sys.intern(text) if text is not None else None


def _ids(raw: Mapping[str, Any]) -> tuple[int | None, int | None, str | None]:
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
    tmdb, tvdb, imdb = _ids(raw)
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


# ---- building snapshots ---------------------------------------------------------------------


class _Cow[K, V]:
    """A map shared with the snapshot it came from until the first change copies it."""

    __slots__ = ("_data", "_owned")

    def __init__(self, data: Mapping[K, V] | None) -> None:
        self._data: Mapping[K, V] = data if data is not None else {}
        self._owned = data is None

    def _own(self) -> dict[K, V]:
        if not self._owned or not isinstance(self._data, dict):
            self._data, self._owned = dict(self._data), True
        return self._data

    @property
    def data(self) -> Mapping[K, V]:
        """The map as it is now (shared or copied)."""
        return self._data

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value for `key`, or `default`."""
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        """Whether `key` is in the map."""
        return key in self._data

    def values(self) -> list[V]:
        """The values (a list: safe to change the map while going through it)."""
        return list(self._data.values())

    def __setitem__(self, key: K, value: V) -> None:
        """Set `key` (copying the shared map first)."""
        self._own()[key] = value

    def pop(self, key: K) -> V | None:
        """Remove `key` if present (copying the shared map first) and return its value."""
        return self._own().pop(key) if key in self._data else None


def _add(index: _Cow[Any, tuple[Item, ...]], key: Any, item: Item) -> None:
    index[key] = (*(index.get(key) or ()), item)


def _drop(index: _Cow[Any, tuple[Item, ...]], key: Any, item: Item) -> None:
    kept = tuple(i for i in index.get(key) or () if i.rating_key != item.rating_key)
    if kept:
        index[key] = kept
    else:
        index.pop(key)


class _Builder:
    """A new snapshot made from an old one: its maps copied, then changed (copy on write)."""

    def __init__(self, base: Snapshot | None) -> None:
        self.sections: _Cow[int, Kind] = _Cow(base.sections if base else None)
        self.items: _Cow[int, Item] = _Cow(base.items if base else None)
        self.episodes: _Cow[int, Episode] = _Cow(base.episodes if base else None)
        self.tmdb_index: _Cow[int, tuple[Item, ...]] = _Cow(base.tmdb_index if base else None)
        self.tvdb_index: _Cow[int, tuple[Item, ...]] = _Cow(base.tvdb_index if base else None)
        self.imdb_index: _Cow[str, tuple[Item, ...]] = _Cow(base.imdb_index if base else None)
        self.title_index: _Cow[str, tuple[Item, ...]] = _Cow(base.title_index if base else None)
        self._base_keys = base.title_keys if base else ()
        self._titles_changed = base is None
        # Shows whose episodes changed: their episodes by rating key, made into seasons at the end.
        self._touched: dict[int, dict[int, Episode]] = {}

    def _index(self, item: Item) -> None:
        if item.tmdb is not None:
            _add(self.tmdb_index, item.tmdb, item)
        if item.tvdb is not None:
            _add(self.tvdb_index, item.tvdb, item)
        if item.imdb is not None:
            _add(self.imdb_index, item.imdb, item)
        if key := normalise(item.title):
            self._titles_changed |= key not in self.title_index
            _add(self.title_index, key, item)

    def _unindex(self, item: Item) -> None:
        if item.tmdb is not None:
            _drop(self.tmdb_index, item.tmdb, item)
        if item.tvdb is not None:
            _drop(self.tvdb_index, item.tvdb, item)
        if item.imdb is not None:
            _drop(self.imdb_index, item.imdb, item)
        if key := normalise(item.title):
            _drop(self.title_index, key, item)
            self._titles_changed |= key not in self.title_index

    def put(self, item: Item) -> None:
        """Add or replace a movie or show (a show keeps the episodes it had)."""
        old = self.items.get(item.rating_key)
        if old is not None:
            self._unindex(old)
            if item.kind == "show" and old.kind == "show" and not item.seasons:
                item = replace(item, seasons=old.seasons)
            elif old.kind == "show" and item.kind != "show":
                self._drop_episodes(old)
        self.items[item.rating_key] = item
        self._index(item)

    def remove(self, rating_key: int) -> None:
        """Drop a movie, a show (with its episodes) or an episode."""
        old = self.items.pop(rating_key)
        if old is None:
            self.remove_episode(rating_key)
            return
        self._unindex(old)
        self._drop_episodes(old)

    def _drop_episodes(self, show: Item) -> None:
        for season in show.seasons:
            for episode in season.episodes:
                self.episodes.pop(episode.rating_key)
        for episode in self._touched.pop(show.rating_key, {}).values():
            self.episodes.pop(episode.rating_key)

    def _show_episodes(self, show_key: int) -> dict[int, Episode]:
        episodes = self._touched.get(show_key)
        if episodes is None:
            show = self.items.get(show_key)
            held = show.seasons if show is not None else ()
            episodes = {e.rating_key: e for s in held for e in s.episodes}
            self._touched[show_key] = episodes
        return episodes

    def put_episode(self, episode: Episode) -> bool:
        """Add or replace an episode; False when its show is not in the index."""
        self.remove_episode(episode.rating_key)
        show = self.items.get(episode.show_key)
        if show is None or show.kind != "show":
            return False
        self.episodes[episode.rating_key] = episode
        self._show_episodes(episode.show_key)[episode.rating_key] = episode
        return True

    def remove_episode(self, rating_key: int) -> None:
        """Drop an episode if the index has it."""
        old = self.episodes.pop(rating_key)
        if old is not None:
            self._show_episodes(old.show_key).pop(rating_key, None)

    def drop_section(self, key: int) -> None:
        """A section gone from Plex, with everything it held."""
        self._remove_items(key, keep=frozenset())
        self.sections.pop(key)

    def _remove_items(self, section: int, keep: Container[int]) -> None:
        """Drop the section's movies and shows (with their episodes) not in `keep`."""
        for item in [i for i in self.items.values() if i.section == section]:
            if item.rating_key not in keep:
                self.remove(item.rating_key)

    def reread_section(
        self, key: int, kind: Kind, items: Sequence[Item], episodes: Sequence[Episode]
    ) -> None:
        """What a section holds now, as read again from Plex.

        Items the section no longer lists are dropped; what is new or changed is put in (shows
        keep their episodes, which follow); whatever did not change keeps the object it had.
        Otherwise a section read again during a burst of ingests is made of new objects from
        end to end, and the garbage collector's next middle collection moves every one of them
        into its oldest generation, where they count toward the next full collection (a
        section's worth each time).
        """
        self._reread_items(key, kind, items)
        self._reread_episodes(key, episodes)

    def _reread_items(self, key: int, kind: Kind, items: Sequence[Item]) -> None:
        self._remove_items(key, keep={item.rating_key for item in items})
        self.sections[key] = kind
        for item in items:
            old = self.items.get(item.rating_key)
            # What Plex lists has no seasons: compare the rest.
            if old is None or old != (replace(item, seasons=old.seasons) if old.seasons else item):
                self.put(replace(item, seasons=()) if item.kind == "show" else item)

    def _reread_episodes(self, key: int, episodes: Sequence[Episode]) -> None:
        listed = {episode.rating_key for episode in episodes}
        held = [
            episode.rating_key
            for show in self.items.values()
            if show.section == key and show.kind == "show"
            for season in show.seasons
            for episode in season.episodes
        ]
        for rating_key in held:
            if rating_key not in listed:
                self.remove_episode(rating_key)
        for episode in episodes:
            if self.episodes.get(episode.rating_key) != episode:
                self.put_episode(episode)

    def freeze(self) -> Snapshot:
        """The new snapshot (the builder must not be used afterwards)."""
        for show_key, episodes in self._touched.items():
            show = self.items.get(show_key)
            if show is None:
                continue
            by_season: dict[int, list[Episode]] = {}
            for episode in episodes.values():
                by_season.setdefault(episode.season, []).append(episode)
            seasons = tuple(Season.of(n, eps) for n, eps in sorted(by_season.items()))
            self._unindex(show)
            self.items[show_key] = updated = replace(show, seasons=seasons)
            self._index(updated)
        self._touched = {}
        keys = tuple(self.title_index.data) if self._titles_changed else self._base_keys
        return Snapshot(
            sections=self.sections.data,
            items=self.items.data,
            episodes=self.episodes.data,
            tmdb_index=self.tmdb_index.data,
            tvdb_index=self.tvdb_index.data,
            imdb_index=self.imdb_index.data,
            title_index=self.title_index.data,
            title_keys=keys,
        )


async def _pages[T](
    client: PlexClient,
    *,
    section: int,
    libtype: int,
    parse: Callable[[Mapping[str, Any]], T | None],
    page_size: int,
    limit: asyncio.Semaphore,
) -> list[T]:
    """Every item of one type in a section: the first page, then the rest concurrently."""

    async def page(start: int) -> tuple[list[T], int]:
        async with limit:
            got = await client.section_items(
                section, libtype=libtype, start=start, size=page_size, include_guids=True
            )
        return [r for raw in got.items if (r := parse(raw)) is not None], got.total_size

    records, total = await page(0)
    rest = await asyncio.gather(*(page(start) for start in range(page_size, total, page_size)))
    for more, _total in rest:
        records.extend(more)
    return records


async def _fetch_section(
    client: PlexClient, key: int, kind: Kind, page_size: int, limit: asyncio.Semaphore
) -> tuple[list[Item], list[Episode]]:
    if kind == "movie":
        movies = await _pages(
            client,
            section=key,
            libtype=TYPE_MOVIE,
            parse=lambda raw: parse_item(raw, key, "movie"),
            page_size=page_size,
            limit=limit,
        )
        return movies, []
    shows, episodes = await asyncio.gather(
        _pages(
            client,
            section=key,
            libtype=TYPE_SHOW,
            parse=lambda raw: parse_item(raw, key, "show"),
            page_size=page_size,
            limit=limit,
        ),
        _pages(
            client,
            section=key,
            libtype=TYPE_EPISODE,
            parse=parse_episode,
            page_size=page_size,
            limit=limit,
        ),
    )
    return shows, episodes


async def build(
    client: PlexClient,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    concurrency: int = DEFAULT_CONCURRENCY,
    run_blocking: BlockingRunner = run_in_default_executor,
) -> Snapshot:
    """A snapshot of every movie and show section (with episodes), fetched page by page.

    Putting it together (tens of thousands of items and episodes indexed: a fraction of a
    second) runs in `run_blocking`, off the event loop.
    """
    if page_size < 1:
        raise ValueError("page_size must be positive")
    limit = asyncio.Semaphore(concurrency)
    sections = [
        (s.key, _SECTION_KINDS[s.type]) for s in await client.sections() if s.type in _SECTION_KINDS
    ]
    fetched = await asyncio.gather(
        *(_fetch_section(client, key, kind, page_size, limit) for key, kind in sections)
    )
    snapshot: Snapshot = await run_blocking(
        lambda: _assemble(None, dict(zip(sections, fetched, strict=True)), ())
    )
    return snapshot


def _assemble(
    base: Snapshot | None,
    fetched: Mapping[tuple[int, Kind], tuple[list[Item], list[Episode]]],
    dropped: Iterable[int],
) -> Snapshot:
    """A new snapshot: `base` with sections replaced by what was read, or dropped.

    `fetched` holds the sections read again (what they hold now); `dropped` the sections gone
    from Plex, emptied and forgotten. Blocking: a job for `run_blocking`.
    """
    builder = _Builder(base)
    for key in dropped:
        if key in builder.sections:
            builder.drop_section(key)
    for (key, kind), (items, episodes) in fetched.items():
        builder.reread_section(key, kind, items, episodes)
    return builder.freeze()


# ---- the index ------------------------------------------------------------------------------


def scanned_sections(notification: Notification) -> set[int]:
    """The sections whose scan `notification` says has ended (none for other notifications)."""
    if notification.type != "activity":
        return set()
    return {
        key
        for entry in notification.entries
        if entry.get("event") == "ended"
        and isinstance(activity := entry.get("Activity"), dict)
        and activity.get("type") == SCAN_ACTIVITY_TYPE
        and isinstance(context := activity.get("Context"), dict)
        and (key := as_int(context.get("librarySectionID"))) is not None
    }


class LibraryIndex:
    """The current snapshot, lookups on it, and the updates that replace it."""

    def __init__(
        self,
        client: PlexClient | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        run_blocking: BlockingRunner = run_in_default_executor,
    ) -> None:
        """An empty index (`loaded` False) that builds from `client` when asked.

        New snapshots are put together in `run_blocking` (Home Assistant: its executor), so
        that a library of tens of thousands of items never holds the event loop.
        """
        self._client = client
        self.page_size = page_size
        self.concurrency = concurrency
        self._run_blocking = run_blocking
        self._snapshot = _empty_snapshot()
        self.loaded = False
        self.stale = False
        self._lock = asyncio.Lock()

    @property
    def snapshot(self) -> Snapshot:
        """The current snapshot (hold on to it for a consistent view across lookups)."""
        return self._snapshot

    def swap(self, snapshot: Snapshot) -> Snapshot:
        """Publish `snapshot` in one step; returns the one it replaces."""
        old, self._snapshot = self._snapshot, snapshot
        self.loaded = True
        return old

    def _need_client(self) -> PlexClient:
        if self._client is None:
            raise RuntimeError("this library index has no Plex client")
        return self._client

    async def refresh(self) -> Snapshot:
        """Build a new snapshot from Plex and publish it."""
        client = self._need_client()
        async with self._lock:
            self.stale = False
            snapshot = await build(
                client,
                page_size=self.page_size,
                concurrency=self.concurrency,
                run_blocking=self._run_blocking,
            )
            self.swap(snapshot)
            return snapshot

    # ---- lookups ------------------------------------------------------------------------------

    def by_id(
        self,
        tmdb: int | None = None,
        tvdb: int | None = None,
        imdb: str | None = None,
        kind: Kind | None = None,
    ) -> Lookup[Item]:
        """Items with any of these ids; `loading` before the first build."""
        if not self.loaded:
            return Lookup(loading=True)
        return Lookup(self._snapshot.by_id(tmdb=tmdb, tvdb=tvdb, imdb=imdb, kind=kind))

    def by_title(
        self, title: str, year: int | None = None, kind: Kind | None = None
    ) -> Lookup[TitleMatch]:
        """Items by title, best first; `loading` before the first build."""
        if not self.loaded:
            return Lookup(loading=True)
        return Lookup(self._snapshot.by_title(title, year, kind))

    @staticmethod
    def availability(show: Item, tmdb_seasons: Sequence[SeasonSummary] | None) -> Availability:
        """Seasons and episodes held, missing and watched (see `availability()`)."""
        return availability(show, tmdb_seasons)

    # ---- the ingest pipeline's LibraryLookup --------------------------------------------------

    async def find(self, found: Identification) -> Existing | None:
        """The copy Plex already has of the identified movie or episode, if any."""
        match = found.match
        if match is None:
            return None
        if (not self.loaded or self.stale) and self._client is not None:
            try:
                await self.refresh()
            except PlexError as err:
                log_failure(_LOGGER, err, "Could not read the Plex library: %s", err)
        snapshot = self._snapshot
        if found.library == "movies":
            movies = snapshot.by_id(tmdb=match.tmdb_id, imdb=match.imdb_id, kind="movie")
            if not movies:
                return None
            movie = movies[0]
            return Existing(
                rating_key=str(movie.rating_key),
                title=movie.title,
                file=movie.files[0] if movie.files else None,
                resolution=movie.resolution,
            )
        shows = snapshot.by_id(
            tmdb=match.tmdb_id, tvdb=found.tvdb_id, imdb=match.imdb_id, kind="show"
        )
        for show in shows:
            season = show.season(found.season) if found.season is not None else None
            if season is None:
                continue
            for number in found.episodes:
                if (episode := season.episode(number)) is not None:
                    return Existing(
                        rating_key=str(episode.rating_key),
                        title=episode.title,
                        file=episode.file,
                        resolution=episode.resolution,
                    )
        return None

    def invalidate(self) -> None:
        """The library changed behind the index's back: the next `find()` rebuilds first."""
        self.stale = True

    async def show_folder(self, found: Identification) -> Path | None:
        """Not answered here (paths need the path mapping): see IndexLookup in the integration."""
        del found
        return None

    # ---- notifications ------------------------------------------------------------------------

    async def apply(self, notification: Notification) -> bool:
        """Bring the index in line with one Plex notification; True if a snapshot was swapped."""
        if not self.loaded or self._client is None:
            return False  # the first build reads everything
        if notification.type == "timeline":
            return await self._apply_timeline(notification.entries)
        if sections := scanned_sections(notification):
            return await self.rebuild_sections(sections)
        return False

    async def _apply_timeline(self, entries: Iterable[Mapping[str, Any]]) -> bool:
        changes: list[tuple[int, int]] = []  # (state, rating key), in order
        for entry in entries:
            identifier = entry.get("identifier")
            state, kind = as_int(entry.get("state")), as_int(entry.get("type"))
            rating_key = as_int(entry.get("itemID"))
            if (
                (identifier is not None and identifier != _LIBRARY_IDENTIFIER)
                or rating_key is None
                or kind not in {TYPE_MOVIE, TYPE_SHOW, TYPE_EPISODE}
                or state not in {STATE_PROCESSED, STATE_DELETED}
            ):
                continue
            changes.append((state, rating_key))
        if not changes:
            return False
        client = self._need_client()
        async with self._lock:
            wanted = list(dict.fromkeys(key for state, key in changes if state == STATE_PROCESSED))
            fetched = await self._fetch_metadata(client, wanted)
            base = self._snapshot
            # An episode of a show the index does not know yet brings its show along.
            shows = {
                raw_show
                for raw in fetched.values()
                if raw.get("type") == "episode"
                and (raw_show := as_int(raw.get("grandparentRatingKey"))) is not None
                and raw_show not in base.items
                and raw_show not in fetched
            }
            fetched |= await self._fetch_metadata(client, sorted(shows))

            def assemble() -> Snapshot:
                builder = _Builder(base)
                for rating_key in sorted(shows):
                    if (raw := fetched.get(rating_key)) is not None:
                        self._upsert(builder, raw)
                for state, rating_key in changes:
                    if state == STATE_DELETED or rating_key not in fetched:
                        builder.remove(rating_key)
                    else:
                        self._upsert(builder, fetched[rating_key])
                return builder.freeze()

            snapshot: Snapshot = await self._run_blocking(assemble)
            self.swap(snapshot)
        return True

    @staticmethod
    async def _fetch_metadata(
        client: PlexClient, keys: Sequence[int]
    ) -> dict[int, Mapping[str, Any]]:
        """Each item's metadata; an item Plex no longer has is left out (it is gone)."""

        async def one(key: int) -> Mapping[str, Any] | None:
            try:
                return await client.metadata(key)
            except PlexNotFoundError:
                return None

        answers = await asyncio.gather(*(one(key) for key in keys))
        return {key: raw for key, raw in zip(keys, answers, strict=True) if raw is not None}

    @staticmethod
    def _upsert(builder: _Builder, raw: Mapping[str, Any]) -> None:
        kind = raw.get("type")
        if kind == "episode":
            if (episode := parse_episode(raw)) is not None:
                builder.put_episode(episode)
            return
        section = as_int(raw.get("librarySectionID"))
        if kind in _SECTION_KINDS and section is not None:
            item = parse_item(raw, section, _SECTION_KINDS[kind])
            if item is not None:
                builder.put(item)

    async def rebuild_sections(self, keys: Iterable[int]) -> bool:
        """Fetch these sections again (after a scan) and swap in a snapshot with them."""
        client = self._need_client()
        async with self._lock:
            kinds = {s.key: _SECTION_KINDS.get(s.type) for s in await client.sections()}
            limit = asyncio.Semaphore(self.concurrency)
            wanted = sorted(key for key in set(keys) if kinds.get(key) is not None)
            fetchers: list[Awaitable[tuple[list[Item], list[Episode]]]] = [
                _fetch_section(client, key, kinds[key] or "movie", self.page_size, limit)
                for key in wanted
            ]
            fetched = await asyncio.gather(*fetchers)
            read = {
                (key, kinds[key] or "movie"): answer
                for key, answer in zip(wanted, fetched, strict=True)
            }
            gone = set(keys) - set(wanted)  # gone from Plex, or not a video section
            base = self._snapshot
            snapshot: Snapshot = await self._run_blocking(lambda: _assemble(base, read, gone))
            self.swap(snapshot)
        return True
