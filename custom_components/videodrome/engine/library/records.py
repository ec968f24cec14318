"""The frozen records of the library index (items, seasons, episodes) and the snapshot of them."""

from __future__ import annotations

from dataclasses import dataclass, field
import time
from typing import TYPE_CHECKING, Literal

from rapidfuzz import fuzz, process

from ..identify.score import normalise, title_similarity

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

type Kind = Literal["movie", "show"]

# Title lookups: how alike a title must be (score.title_similarity) to count as a match.
MIN_TITLE_SIMILARITY = 0.9
# rapidfuzz's pre-filter on normalised titles, below what title_similarity can still accept.
_PREFILTER_CUTOFF = 80.0


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
    # The show's id as this episode's legacy guid names it (`tvdb://74205`), else None.
    show_guid: str | None = None
    # What Plex measured of the file (its best version's): for "is a new copy better?"
    video_codec: str | None = None
    bitrate: int | None = None  # kbit/s
    container: str | None = None


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
    anidb: int | None = None  # HAMA's anime agent: kept, never taken for a TVDB id
    files: tuple[str, ...] = ()
    resolution: str | None = None
    watched: bool = False
    seasons: tuple[Season, ...] = ()
    # A movie's best version, as Plex measured it (`resolution` too): see parsing._media.
    video_codec: str | None = None
    bitrate: int | None = None  # kbit/s
    container: str | None = None

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
    """What a lookup found; `loading` while the index has not been built yet.

    `incomplete`: a library section that could hold what was looked for is missing from the
    index (entirely or in part), so "not found" may be wrong.
    """

    matches: tuple[T, ...] = ()
    loading: bool = False
    incomplete: bool = False

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


@dataclass(frozen=True, slots=True)
class Existing:
    """A copy Plex already has of the title being ingested.

    Two answers are the same copy when the first four fields are; what Plex measured of it
    and where Home Assistant sees its file (`local_file`, set by the integration's lookup,
    which knows the path mapping) describe it further.
    """

    rating_key: str
    title: str
    file: str | None
    resolution: str | None
    video_codec: str | None = field(default=None, compare=False)
    bitrate: int | None = field(default=None, compare=False)
    container: str | None = field(default=None, compare=False)
    local_file: str | None = field(default=None, compare=False)
