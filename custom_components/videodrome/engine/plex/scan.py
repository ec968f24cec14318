"""After a transfer: ask Plex to scan just that folder, wait for it, and check its match.

Home Assistant and Plex often see the media under different paths (Plex in a container sees
`/data/media` where Home Assistant sees `/media/plex`); `PathMap` translates. The scan is a
partial one (`/library/sections/{id}/refresh?path=<folder as Plex sees it>`), the wait polls
`/activities` until no scan of that section runs (with a timeout), and the check finds the
item whose file is the new one and compares its TMDb/TVDB ids with the ones Videodrome chose:
`plex_matched`, `plex_mismatch` or `plex_not_found`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import logging
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any

from ..errors import UnsafePathError
from ..guids import ExternalIds, external_ids, read_guid, show_ids
from .models import TYPE_EPISODE, TYPE_MOVIE, TYPE_SHOW, as_int, as_str, child_objects
from .paths import plex_path, section_for_path

# Plex's sort for "recently added first" (what python-plexapi's recentlyAdded asks for).
NEWEST_FIRST = "addedAt:desc"
# How many of the newest items the match check reads first. A file Plex has just scanned is
# among them; reading a small page after each transfer instead of pages of 500 (or every show
# of the section) keeps the per-file work, and the garbage it leaves, small under a burst.
RECENT_PAGE = 50

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import PurePath

    from ..identify.identifier import Identification
    from .client import PlexClient
    from .models import LibrarySection

_LOGGER = logging.getLogger(__name__)

PLEX_MATCHED = "plex_matched"
PLEX_MISMATCH = "plex_mismatch"
PLEX_NOT_FOUND = "plex_not_found"
SCAN_TIMEOUT = 300.0
POLL_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class PathMap:
    """Prefix pairs: how Home Assistant sees a folder, and how Plex sees the same folder."""

    pairs: tuple[tuple[str, str], ...] = ()

    def to_plex(self, local: Path) -> PurePath:
        """`local` as Plex sees it (the longest matching prefix wins; none: unchanged)."""
        text = str(local)
        best: tuple[str, str] | None = None
        for ours, theirs in self.pairs:
            base = ours.rstrip("/")
            if (text == base or text.startswith(base + "/")) and (
                best is None or len(base) > len(best[0])
            ):
                best = (base, theirs)
        if best is None:
            return plex_path(text)
        rest = text[len(best[0]) :].lstrip("/")
        theirs = best[1]
        separator = "\\" if "\\" in theirs or (len(theirs) > 1 and theirs[1] == ":") else "/"
        joined = theirs.rstrip("/\\") + (separator + rest.replace("/", separator) if rest else "")
        return plex_path(joined)

    def to_local(self, seen: str) -> Path | None:
        """A path as Plex sees it, as Home Assistant sees it (None if no pair covers it)."""
        best: tuple[str, str] | None = None
        normal = seen.replace("\\", "/")
        for ours, theirs in self.pairs:
            base = theirs.replace("\\", "/").rstrip("/")
            if (normal == base or normal.startswith(base + "/")) and (
                best is None or len(base) > len(best[1])
            ):
                best = (ours, base)
        if best is None:
            return Path(normal) if not self.pairs else None
        rest = normal[len(best[1]) :].lstrip("/")
        return Path(best[0]) / rest if rest else Path(best[0])


@dataclass(frozen=True, slots=True)
class Verification:
    """What Plex made of a new file."""

    status: str
    rating_key: str | None = None  # the file's item: the movie or the episode
    plex_title: str | None = None
    section_key: int | None = None
    match_key: str | None = None  # what Plex matched: the movie, or the episode's show
    plex_guid: str | None = None  # its guid (plex://…, local://… when unmatched)
    plex_ids: tuple[str, ...] = ()  # its outside ids (engine/guids.py): tmdb://…, tvdb://…
    plex_year: int | None = None
    file: str | None = None  # the file, as Plex sees it

    def plex_tmdb_id(self) -> int | None:
        """The TMDb id of the title Plex matched, when Plex lists one."""
        found = (read_guid(guid) for guid in self.plex_ids)
        return next((f.ids.tmdb for f in found if f is not None and f.ids.tmdb), None)


def _ids(item: Mapping[str, Any]) -> set[str]:
    return set(_id_list(item))


def _id_list(item: Mapping[str, Any], episode: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """What Plex matched `item` to, as `Guid` ids, whichever agent matched it.

    An episode's legacy guid names its show's id: it stands in when the show names none.
    """
    ids = external_ids(item)
    if episode is not None:
        ids = ids.or_else(show_ids(episode))
    return ids.guids()


def _files(item: Mapping[str, Any]) -> set[str]:
    return {
        str(part.get("file"))
        for media in child_objects(item, "Media")
        for part in child_objects(media, "Part")
    }


class PlexSync:
    """Partial scans and match checks against one Plex server."""

    def __init__(
        self,
        client: PlexClient,
        path_map: PathMap | None = None,
        *,
        timeout: float = SCAN_TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        """Scan through `client`, translating paths with `path_map`."""
        self._client = client
        self.path_map = path_map or PathMap()
        self._timeout = timeout
        self._poll = poll_interval

    @property
    def client(self) -> PlexClient:
        """The Plex server's client."""
        return self._client

    async def section_for(self, local: Path) -> tuple[LibrarySection, PurePath] | None:
        """The Plex section whose folders hold `local` (as Plex sees it), and the path."""
        try:
            seen = self.path_map.to_plex(local)
        except UnsafePathError:
            return None
        found = section_for_path(await self._client.sections(), seen)
        return (found[0], seen) if found is not None else None

    async def scan_and_verify(self, destination: Path, found: Identification) -> Verification:
        """Scan the destination's folder, wait for Plex, and check the match."""
        return await self.scan_and_check(destination, _wanted_ids(found))

    async def scan_and_check(self, destination: Path, wanted: set[str]) -> Verification:
        """Scan the destination's folder, wait for Plex; matched when it has a `wanted` id."""
        located = await self.section_for(destination)
        if located is None:
            _LOGGER.warning("No Plex library holds %s (check the path mapping)", destination)
            return Verification(PLEX_NOT_FOUND)
        section, seen = located
        await self._client.scan(section.key, str(seen.parent))
        await self._wait_for_scans(section.key)
        return await self.verify_ids(section, str(seen), wanted)

    async def reverify(self, before: Verification, wanted: set[str]) -> Verification:
        """Check again the match of a file verified before (Plex's match was changed)."""
        if before.section_key is None or before.file is None:
            return before
        for section in await self._client.sections():
            if section.key == before.section_key:
                return await self.verify_ids(section, before.file, wanted)
        return Verification(PLEX_NOT_FOUND, section_key=before.section_key)

    async def check(self, destination: Path, wanted: set[str]) -> Verification:
        """Plex's match of a file already in the library (no scan)."""
        located = await self.section_for(destination)
        if located is None:
            return Verification(PLEX_NOT_FOUND)
        return await self.verify_ids(located[0], str(located[1]), wanted)

    async def scan_folder(self, local: Path) -> bool:
        """A partial scan of one folder (no waiting); False when no library holds it."""
        located = await self.section_for(local)
        if located is None:
            return False
        await self._client.scan(located[0].key, str(located[1]))
        return True

    async def _wait_for_scans(self, section_key: int) -> None:
        """Until no scan of the section runs (a scan may take a moment to show up)."""
        deadline = time.monotonic() + self._timeout
        await asyncio.sleep(min(self._poll, 0.2))
        while time.monotonic() < deadline:
            running = [
                a
                for a in await self._client.activities()
                if a.is_scan and a.section_key in {None, section_key}
            ]
            if not running:
                return
            await asyncio.sleep(self._poll)
        _LOGGER.warning(
            "Plex was still scanning section %s after %.0f s", section_key, self._timeout
        )

    async def verify(
        self, section: LibrarySection, file: str, found: Identification
    ) -> Verification:
        """Find the item whose file is `file` and compare its ids with the identification.

        Raises PlexError when Plex fails while looking: "not found" would be a guess, and it
        is what raises the "path mapping wrong" repair.
        """
        return await self.verify_ids(section, file, _wanted_ids(found))

    async def verify_ids(
        self, section: LibrarySection, file: str, wanted: set[str]
    ) -> Verification:
        """Find the item whose file is `file`; matched when it has one of the `wanted` ids.

        Raises PlexError when Plex fails while looking (see `verify`).
        """
        if section.type == "movie":
            # The newest first: a file Plex has just scanned is on the first, small page, not
            # the last of a large library.
            async for item in self._client.iter_section_items(
                section.key, libtype=TYPE_MOVIE, sort=NEWEST_FIRST, first_page=RECENT_PAGE
            ):
                if file in _files(item):
                    return _verdict(item, wanted, section.key, file)
            return Verification(PLEX_NOT_FOUND, section_key=section.key)
        found = await self._recent_episode(section, file, wanted)
        if found is not None:
            return found
        return await self._episode_by_show(section, file, wanted)

    async def _recent_episode(
        self, section: LibrarySection, file: str, wanted: set[str]
    ) -> Verification | None:
        """The file among the section's newest episodes, judged by its show's ids.

        None when it is not among them (an older file: see `_episode_by_show`).
        """
        page = await self._client.section_items(
            section.key,
            libtype=TYPE_EPISODE,
            size=RECENT_PAGE,
            sort=NEWEST_FIRST,
            include_guids=False,
        )
        for episode in page.items:
            if file not in _files(episode):
                continue
            show_key = as_int(episode.get("grandparentRatingKey"))
            if show_key is None:
                return None
            show = await self._client.metadata(show_key)
            return _verdict(show, wanted, section.key, file, episode)
        return None

    async def _episode_by_show(
        self, section: LibrarySection, file: str, wanted: set[str]
    ) -> Verification:
        """The file among every show's episodes, the show Videodrome expects first."""
        shows = [
            item async for item in self._client.iter_section_items(section.key, libtype=TYPE_SHOW)
        ]
        # The show Videodrome expects first: usually one allLeaves call settles it.
        shows.sort(key=lambda show: not (_ids(show) & wanted))
        for show in shows:
            rating_key = as_str(show.get("ratingKey"))
            if rating_key is None:
                continue
            for episode in await self._client.all_leaves(int(rating_key)):
                if file in _files(episode):
                    return _verdict(show, wanted, section.key, file, episode)
        return Verification(PLEX_NOT_FOUND, section_key=section.key)


def _wanted_ids(found: Identification) -> set[str]:
    match = found.match
    if match is None:
        return set()
    return wanted_ids(match.tmdb_id, found.tvdb_id, match.imdb_id)


def wanted_ids(tmdb_id: int | None, tvdb_id: int | None, imdb_id: str | None) -> set[str]:
    """The Plex `Guid` ids that mean "matched to this title"."""
    return set(ExternalIds(tmdb_id or None, tvdb_id or None, imdb_id or None).guids())


def _verdict(
    item: Mapping[str, Any],
    wanted: set[str],
    section_key: int,
    file: str,
    episode: Mapping[str, Any] | None = None,
) -> Verification:
    ids = _id_list(item, episode)
    matched = bool(set(ids) & wanted)
    target = episode if episode is not None else item
    return Verification(
        PLEX_MATCHED if matched else PLEX_MISMATCH,
        as_str(target.get("ratingKey")),
        as_str(item.get("title")),
        section_key,
        match_key=as_str(item.get("ratingKey")),
        plex_guid=as_str(item.get("guid")),
        plex_ids=ids,
        plex_year=as_int(item.get("year")),
        file=file,
    )
