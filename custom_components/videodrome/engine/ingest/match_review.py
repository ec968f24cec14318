"""After Plex has checked a new file: correct its match, or ask a person, and give it a poster.

When Plex matched the file to another title than Videodrome filed it as (`plex_mismatch`):
- `MatchFix.AUTO` changes Plex's match to Videodrome's title (`plex_corrected`, the previous
  guid kept, a `match_corrected` event); when Plex cannot be corrected, a person is asked;
- `MatchFix.REVIEW` puts the item in the review queue with the reason `plex_mismatch` and two
  candidates, Videodrome's title and Plex's (`"source": "videodrome"` / `"plex"`);
- `MatchFix.OFF` only records the mismatch.

Approving such an item never moves the file again: with Videodrome's title Plex's match is
corrected; with Plex's title the person's choice is recorded (`plex_accepted`: the history
then names Plex's title, the file keeps the name it was given, and Plex keeps its match).
Rejecting leaves the file and Plex's match as they are and takes the item out of the queue.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..availability import log_failure
from ..errors import VideodromeError
from ..plex.errors import PlexError
from ..plex.fix_match import PLEX_ACCEPTED, PLEX_CORRECTED, MatchFix, MatchFixer, MatchTarget
from ..plex.scan import PLEX_MATCHED, PLEX_MISMATCH
from ..store.items import ItemStatus
from ..tmdb.posters import item_poster_url
from .errors import ReviewError
from .events import Event

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ..identify.identifier import Identification
    from ..plex.scan import PlexSync, Verification
    from ..store.items import Item
    from ..tmdb.client import TMDbClient

_LOGGER = logging.getLogger(__name__)

REASON_PLEX_MISMATCH = "plex_mismatch"
REASON_PLEX_ACCEPTED = "plex_match_accepted"
SOURCE_VIDEODROME = "videodrome"
SOURCE_PLEX = "plex"

type Updater = Callable[..., Awaitable[Item]]
type EventSink = Callable[[str, Item], None]


def is_mismatch_review(item: Item) -> bool:
    """Whether a queued item is a filed file whose Plex match waits for a person."""
    return (
        item.status == ItemStatus.REVIEW
        and item.plex_status == PLEX_MISMATCH
        and REASON_PLEX_MISMATCH in item.reasons
        and item.destination is not None
    )


def item_target(item: Item) -> MatchTarget:
    """The title a filed item should be matched to in Plex (ReviewError: it has none)."""
    if item.tmdb_id is None or item.title is None:
        raise ReviewError(f"item {item.id} has no title to match Plex to")
    return MatchTarget(item.tmdb_id, item.title, item.year, item.tvdb_id, item.imdb_id)


class MatchFollowUp:
    """Match correction, review and posters for one Plex server's ingest."""

    def __init__(
        self,
        sync: PlexSync,
        tmdb: TMDbClient,
        update: Updater,
        on_event: EventSink,
        *,
        mode: MatchFix = MatchFix.OFF,
        upload_posters: bool = False,
    ) -> None:
        """Correct through `sync`, record with `update(item_id, **fields)`, announce."""
        self._sync = sync
        self._fixer = MatchFixer(sync)
        self._tmdb = tmdb
        self._update = update
        self._on_event = on_event
        self.mode = mode
        self.upload_posters = upload_posters

    async def after_ingest(
        self, item: Item, verification: Verification, found: Identification, event: Event
    ) -> Item:
        """Act on Plex's verdict for a file just filed, announce `event`, and the rest."""
        return await self.after_check(item, verification, MatchTarget.of(found), event)

    async def after_check(
        self, item: Item, verification: Verification, target: MatchTarget | None, event: Event
    ) -> Item:
        """Act on Plex's verdict for a filed file that should match `target`, announce `event`.

        Also for a file filed while Plex could not be asked, once it has been (catch_up.py).
        """
        if verification.status != PLEX_MISMATCH or self.mode is MatchFix.OFF or target is None:
            await self._poster(item, verification)
            self._on_event(event, item)
            return item
        if self.mode is MatchFix.AUTO:
            try:
                after = await self._fixer.correct(verification, target)
            except VideodromeError as err:
                log_failure(
                    _LOGGER, err, "Could not correct Plex's match of %s: %s", item.destination, err
                )
            else:
                corrected = await self._corrected(item, verification, after)
                self._on_event(event, corrected)
                self._on_event(Event.MATCH_CORRECTED, corrected)
                return corrected
        self._on_event(event, item)
        queued = await self._ask(item, verification)
        self._on_event(Event.REVIEW_REQUIRED, queued)
        return queued

    async def _corrected(self, item: Item, before: Verification, after: Verification) -> Item:
        corrected = await self._update(
            item.id,
            status=ItemStatus.INGESTED,
            plex_status=PLEX_CORRECTED,
            plex_rating_key=after.rating_key,
            plex_previous_guid=before.plex_guid,
        )
        await self._poster(corrected, after)
        return corrected

    async def _ask(self, item: Item, verification: Verification) -> Item:
        """Queue a filed item with Videodrome's title and Plex's as its two candidates."""
        media_type = "movie" if item.kind == "movie" else "tv"
        ours = next((c for c in item.candidates if c.get("tmdb_id") == item.tmdb_id), None)
        videodrome = {
            "tmdb_id": item.tmdb_id,
            "media_type": media_type,
            "title": item.title,
            "year": item.year,
            "score": None,
            "poster_path": None,
            **(ours or {}),
            "source": SOURCE_VIDEODROME,
        }
        plex_id = verification.plex_tmdb_id()
        plex: dict[str, Any] = {
            "tmdb_id": plex_id,
            "media_type": media_type,
            "title": verification.plex_title,
            "year": verification.plex_year,
            "score": None,
            "poster_path": None,
            "source": SOURCE_PLEX,
            "guid": verification.plex_guid,
        }
        if plex_id is not None:
            try:
                found = (
                    await self._tmdb.movie(plex_id)
                    if media_type == "movie"
                    else (await self._tmdb.tv(plex_id)).candidate
                )
            except VideodromeError as err:
                _LOGGER.debug("No TMDb details for Plex's match %s: %s", plex_id, err)
            else:
                plex["poster_path"] = found.poster_path
        reasons = item.reasons if REASON_PLEX_MISMATCH in item.reasons else (
            *item.reasons, REASON_PLEX_MISMATCH,
        )  # fmt: skip
        return await self._update(
            item.id, status=ItemStatus.REVIEW, reasons=reasons, candidates=(videodrome, plex)
        )

    async def _poster(self, item: Item, verification: Verification) -> None:
        """Upload TMDb's poster when asked to and Plex's item (matched to ours) has none."""
        if not self.upload_posters or verification.status not in {PLEX_MATCHED, PLEX_CORRECTED}:
            return
        url = item_poster_url(item.tmdb_id, item.candidates)
        try:
            await self._fixer.give_poster(verification.match_key, url)
        except PlexError as err:
            log_failure(_LOGGER, err, "Could not give Plex the poster of %s: %s", item.title, err)

    # --- review ------------------------------------------------------------------------------

    async def approve(self, item: Item, tmdb_id: int | None) -> Item:
        """A person's answer for a filed item: Videodrome's title, or Plex's."""
        plex = next((c for c in item.candidates if c.get("source") == SOURCE_PLEX), None)
        if tmdb_id is None or tmdb_id == item.tmdb_id:
            return await self._approve_ours(item)
        if plex is not None and tmdb_id == plex.get("tmdb_id"):
            accepted = await self._update(
                item.id,
                status=ItemStatus.INGESTED,
                plex_status=PLEX_ACCEPTED,
                tmdb_id=tmdb_id,
                title=plex.get("title"),
                year=plex.get("year"),
                tvdb_id=None,
                imdb_id=None,
                reasons=(*item.reasons, REASON_PLEX_ACCEPTED),
            )
            self._on_event(Event.APPROVED, accepted)
            return accepted
        raise ReviewError(
            f"item {item.id} is already filed: approve Videodrome's title ({item.tmdb_id})"
            + (f" or Plex's ({plex.get('tmdb_id')})" if plex and plex.get("tmdb_id") else "")
        )

    async def _approve_ours(self, item: Item) -> Item:
        target = item_target(item)
        assert item.destination is not None  # noqa: S101 (is_mismatch_review checks it)
        try:
            before = await self._sync.check(Path(item.destination), target.wanted())
            if before.status == PLEX_MATCHED:  # someone fixed it in Plex meanwhile
                done = await self._update(
                    item.id,
                    status=ItemStatus.INGESTED,
                    plex_status=PLEX_MATCHED,
                    plex_rating_key=before.rating_key,
                )
                self._on_event(Event.APPROVED, done)
                return done
            after = await self._fixer.correct(before, target)
        except VideodromeError as err:
            msg = f"Plex's match of item {item.id} could not be changed: {err}"
            raise ReviewError(msg) from err
        corrected = await self._corrected(item, before, after)
        self._on_event(Event.APPROVED, corrected)
        self._on_event(Event.MATCH_CORRECTED, corrected)
        return corrected

    async def reject(self, item: Item) -> Item:
        """Leave the file and Plex's match as they are; the item leaves the queue."""
        kept = await self._update(item.id, status=ItemStatus.INGESTED)
        self._on_event(Event.REJECTED, kept)
        return kept
