"""A poster for the Plex item a metadata provider described, uploaded once Plex has stored it.

Plex scans a new file, asks its provider to match it and to describe it, and only then stores
the item under the provider's guid. A poster meant for that item can only go to Plex after
that: before, there is no item to give it to (and one given while Plex stores the provider's
metadata could be overwritten by it). So `PosterUploads.want(guid, image)` holds the wish,
and a task of its own looks for an item with that guid in the server's movie libraries
(`GET /library/sections/{key}/all?guid=…`, as python-plexapi's `search(guid=…)` asks), after
each of `DELAYS` (about two minutes in all). Once one is there, `image()` is called for the
bytes and they are uploaded (`POST /library/metadata/{key}/posters` with the image as body,
what python-plexapi's `uploadPoster(filepath=…)` sends). The guid is then remembered, so
Plex's next refresh of the same item uploads nothing again.

Bounded, since any request to the provider can cause a wish: at most `MAX_PENDING` wait (more
are dropped), `MAX_LOOKING` talk to Plex at once, and the last `MAX_DONE` guids are
remembered. A failure (Plex, or the image) ends the wish with a debug line; the next
metadata request for the item makes a new one.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
import logging
from typing import TYPE_CHECKING, Final

from ..errors import VideodromeError
from .models import as_int

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from .client import PlexClient

_LOGGER = logging.getLogger(__name__)

DELAYS: Final = (2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0)
MAX_PENDING: Final = 256
MAX_LOOKING: Final = 2
MAX_DONE: Final = 10_000
LIBRARY_TYPE: Final = "movie"

type ImageSource = Callable[[], Awaitable[bytes]]


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
    ) -> None:
        """Upload to `client`'s server, looking after each of `delays` (seconds)."""
        self._client = client
        self._delays = tuple(delays)
        self._max_pending = max_pending
        self._library_type = library_type
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._done: OrderedDict[str, int] = OrderedDict()
        self._looking = asyncio.Semaphore(MAX_LOOKING)
        self.stats = UploadStats()

    @property
    def pending(self) -> int:
        """How many posters wait for their item."""
        return len(self._pending)

    def uploaded_to(self, guid: str) -> int | None:
        """The ratingKey of the item that got the poster for `guid` (None: not uploaded)."""
        return self._done.get(guid)

    def want(self, guid: str, image: ImageSource) -> bool:
        """Upload `image()` to the item with `guid` once Plex has it; whether it was queued.

        Not when that guid is waiting already, was done, or too many wait. Call on the loop.
        """
        if guid in self._pending or guid in self._done:
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
            for delay in self._delays:
                await asyncio.sleep(delay)
                async with self._looking:
                    rating_key = await self._find(guid)
                    if rating_key is None:
                        continue
                    await self._client.upload_poster_image(rating_key, await image())
                self._remember(guid, rating_key)
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
            for item in await self._client.items_with_guid(section.key, guid):
                if item.get("guid") == guid and (key := as_int(item.get("ratingKey"))):
                    return key
        return None

    def _remember(self, guid: str, rating_key: int) -> None:
        self._done[guid] = rating_key
        while len(self._done) > MAX_DONE:
            self._done.popitem(last=False)
