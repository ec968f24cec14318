"""The library index: the current snapshot, lookups on it, and Plex's notifications applied."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from ..availability import log_failure
from ..blocking import BlockingRunner, run_in_default_executor
from ..plex.errors import PlexError, PlexNotFoundError
from ..plex.models import SCAN_ACTIVITY_TYPE, TYPE_EPISODE, TYPE_MOVIE, TYPE_SHOW, as_int
from .building import (
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    SnapshotBuilder,
    assemble,
    empty_snapshot,
)
from .copies import movie_copy
from .errors import LibraryIncompleteError, LibraryNotLoadedError
from .loading import SectionLoad, settle
from .parsing import SECTION_KINDS, parse_episode, parse_item
from .reading import read_sections
from .records import Existing, Item, Kind, Lookup, Snapshot, TitleMatch
from .seasons import ShowSeasons, show_seasons

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from ..identify.identifier import Identification
    from ..plex.client import PlexClient
    from ..plex.notifications import Notification
    from ..tmdb.models import SeasonSummary

_LOGGER = logging.getLogger(__name__)

STATE_PROCESSED = 5
STATE_DELETED = 9
_LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"


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
    """The current snapshot, lookups on it, and the updates that replace it.

    A snapshot is never changed once published; `swap()` replaces the whole snapshot in one
    assignment, so a reader that took a snapshot keeps a consistent view while a rebuild runs.
    Plex's notifications keep the index current without rebuilding it: `apply()` fetches the
    items a timeline entry names (state 5, processed) or drops them (state 9, deleted), and
    rereads a section when its scan ends, each time as a new snapshot made from the old one
    (copy on write of the maps it touches). Before the first build completes every lookup
    answers "loading", never "not found".

    Sections load independently (loading.py): one Plex cannot list leaves the others
    answering, `sections` says how each went, and a lookup that could have found something in
    a missing section says it is `incomplete`.
    """

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
        self._snapshot = empty_snapshot()
        self.loaded = False
        self.stale = False
        self._lock = asyncio.Lock()
        self._loads: dict[int, SectionLoad] = {}
        self.loads_finished = 0  # loads tried so far, whatever came of them
        self.failure: str | None = None  # why the last load read nothing (None: it did)

    @property
    def snapshot(self) -> Snapshot:
        """The current snapshot (hold on to it for a consistent view across lookups)."""
        return self._snapshot

    @property
    def sections(self) -> tuple[SectionLoad, ...]:
        """How each movie and show section was last read, by key."""
        return tuple(self._loads[key] for key in sorted(self._loads))

    def missing(self, kind: Kind | None = None) -> tuple[SectionLoad, ...]:
        """The sections (of `kind`, or all) whose items the index lacks, entirely or in part."""
        return tuple(
            load
            for load in self.sections
            if load.state.incomplete and (kind is None or load.kind == kind)
        )

    @property
    def status(self) -> str:
        """`loading`, `unavailable` (the last try read nothing), `incomplete` or `loaded`."""
        if not self.loaded:
            return "unavailable" if self.failure is not None else "loading"
        return "incomplete" if self.missing() else "loaded"

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
        """Read every section from Plex and publish what could be read.

        Raises PlexError only when Plex could not even list its sections (nothing changes
        then). A section that cannot be read is left out, or keeps what it held (loading.py);
        `missing()` says which sections the new snapshot lacks.
        """
        client = self._need_client()
        async with self._lock:
            self.stale = False
            try:
                listed = await client.sections()
                reads = await read_sections(
                    client, listed, page_size=self.page_size, concurrency=self.concurrency
                )
            except PlexError as err:
                self.failure = str(err)
                raise
            finally:
                self.loads_finished += 1
            self.failure = None
            old = self._snapshot if self.loaded else None
            held = old.sections if old is not None else {}
            settled = settle(reads, held, self._loads, listed={s.key for s in listed})
            base = old if settled.kept else None  # else a fresh snapshot, as a first build
            dropped = settled.dropped if base is not None else set()
            snapshot: Snapshot = await self._run_blocking(
                lambda: assemble(base, settled.fetched, dropped)
            )
            self.swap(snapshot)
            self._loads = settled.loads
            return snapshot

    async def _ensure_loaded(self) -> None:
        """Load unless loaded (and not stale); a load under way is waited for, not repeated.

        After a load that read nothing, the index does not try again here: whoever owns it
        retries on a schedule (runtime/library.py), and each file would otherwise wait for
        Plex's timeout.
        """
        if self._client is None or (self.loaded and not self.stale):
            return
        if self._lock.locked():
            async with self._lock:
                return
        if self.loads_finished and not self.stale:
            return
        try:
            await self.refresh()
        except PlexError as err:
            log_failure(_LOGGER, err, "Could not read the Plex library: %s", err)

    # ---- lookups ------------------------------------------------------------------------------

    def _incomplete(self, kind: Kind | None) -> bool:
        return bool(self.missing(kind))

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
        found = self._snapshot.by_id(tmdb=tmdb, tvdb=tvdb, imdb=imdb, kind=kind)
        return Lookup(found, incomplete=self._incomplete(kind))

    def by_title(
        self, title: str, year: int | None = None, kind: Kind | None = None
    ) -> Lookup[TitleMatch]:
        """Items by title, best first; `loading` before the first build."""
        if not self.loaded:
            return Lookup(loading=True)
        return Lookup(self._snapshot.by_title(title, year, kind), incomplete=self._incomplete(kind))

    @staticmethod
    def show_seasons(show: Item, tmdb_seasons: Sequence[SeasonSummary] | None) -> ShowSeasons:
        """Seasons and episodes held, missing and watched (see `seasons.show_seasons()`)."""
        return show_seasons(show, tmdb_seasons)

    # ---- the ingest pipeline's LibraryLookup --------------------------------------------------

    async def find(self, found: Identification) -> Existing | None:
        """The copy Plex already has of the identified movie or episode, if any.

        Raises LibraryNotLoadedError while Plex's library has not been read, and
        LibraryIncompleteError for a title not found while a section that could hold it is
        missing: "not in the library" would be a guess, and a duplicate filed on it.
        """
        match = found.match
        if match is None:
            return None
        await self._ensure_loaded()
        if not self.loaded:
            raise LibraryNotLoadedError("Plex's library has not been read yet")
        kind: Kind = "movie" if found.library == "movies" else "show"
        existing = self._existing(found)
        if existing is None and (missing := self.missing(kind)):
            raise LibraryIncompleteError(missing)
        return existing

    def _existing(self, found: Identification) -> Existing | None:
        match = found.match
        assert match is not None  # noqa: S101 (find() checked)
        snapshot = self._snapshot
        if found.library == "movies":
            return movie_copy(snapshot, match)
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
                        video_codec=episode.video_codec,
                        bitrate=episode.bitrate,
                        container=episode.container,
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
                builder = SnapshotBuilder(base)
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
    def _upsert(builder: SnapshotBuilder, raw: Mapping[str, Any]) -> None:
        kind = raw.get("type")
        if kind == "episode":
            if (episode := parse_episode(raw)) is not None:
                builder.put_episode(episode)
            return
        section = as_int(raw.get("librarySectionID"))
        if kind in SECTION_KINDS and section is not None:
            item = parse_item(raw, section, SECTION_KINDS[kind])
            if item is not None:
                builder.put(item)

    async def rebuild_sections(self, keys: Iterable[int]) -> bool:
        """Read these sections again (after a scan) and swap in a snapshot with them.

        Each section alone, as in `refresh()`: one that cannot be read keeps what it held.
        """
        client = self._need_client()
        async with self._lock:
            listed = {section.key: section for section in await client.sections()}
            wanted = set(keys)
            reads = await read_sections(
                client,
                [listed[key] for key in sorted(wanted) if key in listed],
                page_size=self.page_size,
                concurrency=self.concurrency,
            )
            base = self._snapshot
            settled = settle(reads, base.sections, self._loads)
            gone = {key for key in wanted if key not in settled.loads}
            snapshot: Snapshot = await self._run_blocking(
                lambda: assemble(base, settled.fetched, gone)
            )
            self.swap(snapshot)
            self._loads = {
                key: load for key, load in (self._loads | settled.loads).items() if key not in gone
            }
        return True
