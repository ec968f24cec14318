"""Snapshots of the library: the copy-on-write builder, and a whole library built from Plex."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..blocking import BlockingRunner, run_in_default_executor
from ..identify.score import normalise
from .parsing import with_show_ids
from .reading import read_sections
from .records import Episode, Item, Kind, Season, Snapshot

if TYPE_CHECKING:
    from collections.abc import Container, Iterable, Mapping, Sequence

    from ..plex.client import PlexClient
    from .reading import SectionContents

# bench/library_index.py (101,000 items, 4 requests in flight): 500 0.88 s, 1000 0.93 s,
# 2000 0.98 s, 5000 1.27 s. Smaller pages keep the requests in flight busy and each answer
# small (parsed and dropped page by page); 500 is also python-plexapi's container size.
DEFAULT_PAGE_SIZE = 500
# Requests in flight at once during a build (Plex answers them from one database).
DEFAULT_CONCURRENCY = 4


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


class SnapshotBuilder:
    """A new snapshot made from an old one: its maps copied, then changed (copy on write)."""

    def __init__(self, base: Snapshot | None) -> None:
        """Start from `base` (None: from an empty library)."""
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
                item = with_show_ids(replace(item, seasons=old.seasons))
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
            if old is None or old != (
                with_show_ids(replace(item, seasons=old.seasons)) if old.seasons else item
            ):
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
            self.items[show_key] = updated = with_show_ids(replace(show, seasons=seasons))
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


async def build(
    client: PlexClient,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    concurrency: int = DEFAULT_CONCURRENCY,
    run_blocking: BlockingRunner = run_in_default_executor,
) -> Snapshot:
    """A snapshot of every movie and show section (with episodes), or the first error.

    Pages through every movie and show section (`includeGuids=1`; the sections, and the pages
    after each section's first, fetched concurrently) and episodes with
    `/library/sections/{id}/all?type=4`, and turns every answer into small frozen records as
    soon as it arrives: no raw JSON and no plexapi objects stay behind (reading.py).

    All or nothing: a section that cannot be read raises its error (`LibraryIndex.refresh()`
    keeps the sections that could be read instead). Putting it together (tens of thousands of
    items and episodes indexed: a fraction of a second) runs in `run_blocking`, off the event
    loop.
    """
    reads = await read_sections(
        client, await client.sections(), page_size=page_size, concurrency=concurrency
    )
    for read in reads:
        if read.error is not None:
            raise read.error
    fetched = {(read.key, read.kind): read.contents for read in reads if read.contents}
    snapshot: Snapshot = await run_blocking(lambda: assemble(None, fetched, ()))
    return snapshot


def assemble(
    base: Snapshot | None,
    fetched: Mapping[tuple[int, Kind], SectionContents],
    dropped: Iterable[int],
) -> Snapshot:
    """A new snapshot: `base` with sections replaced by what was read, or dropped.

    `fetched` holds the sections read again (what they hold now); `dropped` the sections gone
    from Plex, emptied and forgotten. Blocking: a job for `run_blocking`.
    """
    builder = SnapshotBuilder(base)
    for key in dropped:
        if key in builder.sections:
            builder.drop_section(key)
    for (key, kind), (items, episodes) in fetched.items():
        builder.reread_section(key, kind, items, episodes)
    return builder.freeze()


def empty_snapshot() -> Snapshot:
    """A snapshot of an empty library (what an index holds before its first build)."""
    return SnapshotBuilder(None).freeze()
