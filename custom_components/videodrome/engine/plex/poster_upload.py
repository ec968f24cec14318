"""A poster for the Plex item a metadata provider described, uploaded once Plex has stored it.

Plex scans a new file, asks its provider to match it and to describe it, and only then stores
the item under the provider's guid. A poster meant for that item can only go to Plex after
that: before, there is no item to give it to (and one given while Plex stores the provider's
metadata could be overwritten by it). So `PosterUploads.want(guid, image)` holds the wish,
and a task of its own first gets the poster (`image()`) and its digest: when the `UploadLog`
(the store's table, across restarts) or the last `MAX_DONE` uploads of this run say this
poster went up to that guid already, nothing more is done. Otherwise it looks for the item
in the server's movie libraries after each of `DELAYS` (about two minutes in all), two ways
in each library, comparing each item's `guid` itself:

- its newest items (`sort=addedAt:desc`, `RECENT_PAGE` of them: the sort Plex lists in a
  library's `Meta`, what python-plexapi's `recentlyAdded` and the match check ask for), where
  an item Plex has just stored is: this way is known to work, whatever the guid;
- Plex's `guid` filter (`/library/sections/{key}/all?guid=…`, python-plexapi's
  `search(guid=…)`), for an item stored earlier (its poster changed). Plex filters on an
  item's own guid; that it does is documented only for `plex://` guids (python-plexapi's
  `getGuid`), not for a custom provider's (docs/stash.md).
 Once it is there, `image()` is called again for the bytes, which are uploaded
(`POST /library/metadata/{key}/posters` with the image as body, what python-plexapi's
`uploadPoster(filepath=…)` sends), and their digest remembered: Plex's next refresh of the
item uploads nothing again, a new screenshot (another digest) goes up again.

Bounded, since any request to the provider can cause a wish: at most `MAX_PENDING` wait (more
are dropped), `MAX_LOOKING` talk to Plex at once. A failure (Plex, or the image) ends the
wish with a debug line; the next metadata request for the item makes a new one.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
import hashlib
import logging
import sqlite3
from typing import TYPE_CHECKING, Any, Final, Protocol

from ..errors import VideodromeError
from .models import as_int
from .scan import NEWEST_FIRST, RECENT_PAGE

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

    from ..blocking import BlockingRunner
    from ..store.poster_uploads import PosterUploadTable
    from .client import PlexClient

_LOGGER = logging.getLogger(__name__)

DELAYS: Final = (2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0)
MAX_PENDING: Final = 256
MAX_LOOKING: Final = 2
MAX_DONE: Final = 10_000
LIBRARY_TYPE: Final = "movie"

type ImageSource = Callable[[], Awaitable[bytes]]


class UploadLog(Protocol):
    """Where the posters uploaded to a server are remembered (store/poster_uploads.py)."""

    async def digest(self, guid: str) -> str | None:
        """The digest of the poster last uploaded to the item `guid`, if any."""

    async def remember(self, guid: str, digest: str, rating_key: int) -> None:
        """That the poster of `digest` went up to the item `guid` (`rating_key`)."""


class StoredUploads:
    """An `UploadLog` in the store's table (store/poster_uploads.py), for one Plex server.

    The table is read and written in executor jobs (`run_blocking`). A store that fails is
    logged and taken as knowing nothing: a poster is then uploaded once more, never lost.
    """

    def __init__(self, table: PosterUploadTable, server: str, run_blocking: BlockingRunner) -> None:
        """Remember the uploads to `server` (its machine identifier) in `table`."""
        self._table = table
        self._server = server
        self._run_blocking = run_blocking

    async def digest(self, guid: str) -> str | None:
        """The digest of the poster last uploaded to the item `guid`, if any."""
        try:
            found: str | None = await self._run_blocking(
                partial(self._table.digest, self._server, guid)
            )
        except sqlite3.Error as err:
            _LOGGER.warning("Could not read the posters uploaded to Plex: %s", err)
            return None
        return found

    async def remember(self, guid: str, digest: str, rating_key: int) -> None:
        """That the poster of `digest` went up to the item `guid` (`rating_key`)."""
        job = partial(self._table.remember, self._server, guid, digest, rating_key)
        try:
            await self._run_blocking(job)
        except sqlite3.Error as err:
            _LOGGER.warning("Could not remember a poster uploaded to Plex: %s", err)


@dataclass(slots=True)
class UploadStats:
    """What the uploads came to, for diagnostics."""

    uploaded: int = 0
    never_found: int = 0  # Plex had no item with the guid after the last look
    failed: int = 0
    dropped: int = 0  # more wishes than MAX_PENDING


class PosterUploads:
    """The posters waiting for their Plex items, on one server."""

    def __init__(
        self,
        client: PlexClient,
        *,
        delays: Sequence[float] = DELAYS,
        max_pending: int = MAX_PENDING,
        library_type: str = LIBRARY_TYPE,
        log: UploadLog | None = None,
    ) -> None:
        """Upload to `client`'s server, looking after each of `delays` (seconds).

        `log` remembers the uploads across restarts (without it, the last `MAX_DONE`).
        """
        self._client = client
        self._log = log
        self._delays = tuple(delays)
        self._max_pending = max_pending
        self._library_type = library_type
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._done: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._looking = asyncio.Semaphore(MAX_LOOKING)
        self.stats = UploadStats()

    @property
    def pending(self) -> int:
        """How many posters wait for their item."""
        return len(self._pending)

    def uploaded_to(self, guid: str) -> int | None:
        """The ratingKey of the item that got a poster for `guid` in this run (None: none)."""
        done = self._done.get(guid)
        return done[1] if done is not None else None

    def want(self, guid: str, image: ImageSource) -> bool:
        """Upload `image()` to the item with `guid` once Plex has it; whether it was queued.

        Not when that guid is waiting already, or too many wait. Call on the loop.
        """
        if guid in self._pending:
            return False
        if len(self._pending) >= self._max_pending:
            self.stats.dropped += 1
            _LOGGER.debug("Too many posters wait for their Plex items: one is dropped")
            return False
        task = asyncio.get_running_loop().create_task(
            self._upload(guid, image), name="Videodrome poster upload"
        )
        self._pending[guid] = task
        task.add_done_callback(lambda _done: self._pending.pop(guid, None))
        return True

    async def close(self) -> None:
        """Give up every wish (unloading)."""
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _upload(self, guid: str, image: ImageSource) -> None:
        try:
            if await self._uploaded(guid, _digest(await image())):
                _LOGGER.debug("Plex has the poster of %s already", guid)
                return
            for delay in self._delays:
                await asyncio.sleep(delay)
                async with self._looking:
                    rating_key = await self._find(guid)
                    if rating_key is None:
                        continue
                    poster = await image()
                    await self._client.upload_poster_image(rating_key, poster)
                await self._remember(guid, _digest(poster), rating_key)
                self.stats.uploaded += 1
                _LOGGER.debug("Uploaded the poster of %s to Plex item %s", guid, rating_key)
                return
        except VideodromeError as err:
            self.stats.failed += 1
            _LOGGER.debug("The poster of %s was not uploaded: %s", guid, err)
            return
        self.stats.never_found += 1
        _LOGGER.debug("Plex has no item %s yet: its poster was not uploaded", guid)

    async def _find(self, guid: str) -> int | None:
        """The ratingKey of the item with `guid` in one of the server's libraries of the type."""
        for section in await self._client.sections():
            if section.type != self._library_type:
                continue
            newest = await self._client.section_items(
                section.key, size=RECENT_PAGE, include_guids=False, sort=NEWEST_FIRST
            )
            found = _with_guid(newest.items, guid)
            if found is None:
                found = _with_guid(await self._client.items_with_guid(section.key, guid), guid)
            if found is not None:
                return found
        return None

    async def _uploaded(self, guid: str, digest: str) -> bool:
        """Whether the poster of `digest` went up to `guid` (this run, or the log says so)."""
        done = self._done.get(guid)
        if done is not None:
            return done[0] == digest
        return self._log is not None and await self._log.digest(guid) == digest

    async def _remember(self, guid: str, digest: str, rating_key: int) -> None:
        self._done[guid] = (digest, rating_key)
        self._done.move_to_end(guid)
        while len(self._done) > MAX_DONE:
            self._done.popitem(last=False)
        if self._log is not None:
            await self._log.remember(guid, digest, rating_key)


def _with_guid(items: Iterable[Mapping[str, Any]], guid: str) -> int | None:
    """The ratingKey of the item whose own guid is `guid` (whatever filter Plex applied)."""
    for item in items:
        if item.get("guid") == guid and (key := as_int(item.get("ratingKey"))):
            return key
    return None


def _digest(poster: bytes) -> str:
    return hashlib.sha256(poster).hexdigest()
