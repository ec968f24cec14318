"""What ingest owes Plex, done once Plex answers again.

Two kinds of work wait for Plex. Both are recorded in the store, so a restart loses nothing:

- Files held (`pending`, reason `waiting_for_plex`): they were ready while Plex's library had
  not been read, so "does Plex already have this?" had no answer, and filing them could have
  made a duplicate. Once the library has been read each is identified again (TMDb's answers
  are cached) and handled like a new file, in the same history row: filed, or queued for
  review when Plex already holds the title.
- Files filed while Plex could not be asked to scan their folder and check its match
  (`ingested` with `plex_not_checked`: Plex was failing, or Home Assistant stopped between the
  transfer and the scan). Their folder is scanned, Plex's match checked and followed up as
  after any ingest (match_review.py), and `plex_checked` is announced.

`PlexCatchUp.run()` does both, one file at a time. Called while it runs, it runs once more
when done (whatever the second call had to do is done). Plex failing again ends the run: what
is left waits for the next call, still recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ..availability import log_failure
from ..errors import VideodromeError
from ..plex.errors import PlexError
from ..plex.scan import wanted_ids
from ..store.items import ItemStatus
from .events import Event
from .match_review import item_target
from .outcomes import ALREADY_HANDLED
from .plan import WAITING_FOR_PLEX, Action
from .waiting import PLEX_NOT_CHECKED

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ..blocking import BlockingRunner
    from ..plex.scan import PlexSync
    from ..store.database import Store
    from ..store.items import Item
    from .match_review import MatchFollowUp
    from .outcomes import Outcome
    from .pipeline import Pipeline
    from .plan import PlannedFile

    type Handler = Callable[[PlannedFile], Awaitable[Outcome]]
    type Updater = Callable[..., Awaitable[Item]]
    type EventSink = Callable[[str, Item], None]

_LOGGER = logging.getLogger(__name__)

SOURCE_CHANGED = "source_changed"  # the held file changed (or went) while it waited
# Items taken per run and kind of work (a run is followed by another while any is left).
BATCH = 1000


@dataclass(slots=True)
class CatchUpResult:
    """What a run did."""

    resumed: int = 0  # held files handled (filed, queued, ...)
    given_up: int = 0  # held files that changed or went while they waited (failed)
    still_waiting: int = 0  # held files that must wait on (the library is still not read)
    checked: int = 0  # filed files Plex has now scanned and checked


class PlexCatchUp:
    """Does the Plex work the store says is owed, when asked (Plex is back, the index loaded)."""

    def __init__(
        self,
        store: Store,
        pipeline: Pipeline,
        handle: Handler,
        sync: PlexSync,
        follow_up: MatchFollowUp,
        *,
        update: Updater,
        on_event: EventSink,
        run_blocking: BlockingRunner,
    ) -> None:
        """Work on the store's items: plan with `pipeline`, file with `handle`, scan with `sync`."""
        self._store = store
        self._pipeline = pipeline
        self._handle = handle
        self._sync = sync
        self._follow_up = follow_up
        self._update = update
        self._on_event = on_event
        self._run = run_blocking
        self._running = False
        self._again = False
        self.rounds = 0  # rounds done (a call made during a run adds one), for tests

    @property
    def running(self) -> bool:
        """Whether a run is under way."""
        return self._running

    async def run(self) -> CatchUpResult:
        """Handle the held files, then scan and check the unchecked ones.

        While a run is under way another call returns at once (an empty result) and the run
        goes round once more when done.
        """
        if self._running:
            self._again = True
            return CatchUpResult()
        self._running = True
        result = CatchUpResult()
        try:
            again = True
            while again:
                self._again = False
                await self._resume_held(result)
                await self._check_filed(result)
                self.rounds += 1
                again = self._again
        finally:
            self._running = False
        return result

    async def _resume_held(self, result: CatchUpResult) -> None:
        held: list[Item] = await self._run(
            lambda: self._store.with_reason(ItemStatus.PENDING, WAITING_FOR_PLEX, BATCH)
        )
        for item in held:
            if not await self._resume(item, result):
                # The library still cannot be read: the others would wait too.
                result.still_waiting += len(held) - held.index(item) - 1
                return

    async def _resume(self, item: Item, result: CatchUpResult) -> bool:
        """Handle one held file again; False when it still has to wait."""
        try:
            sources = await self._pipeline.sources(Path(item.source))
        except (VideodromeError, OSError) as err:
            await self._give_up(item, f"{SOURCE_CHANGED}: {err}", result)
            return True
        if len(sources) != 1:  # pragma: no cover - a file that became a folder
            await self._give_up(item, f"{SOURCE_CHANGED}: no longer one video", result)
            return True
        planned = await self._pipeline.plan_file(sources[0])
        if planned.action is Action.WAIT:
            result.still_waiting += 1
            return False
        outcome = await self._handle(planned)
        now = outcome.item
        if outcome.status == ALREADY_HANDLED:
            return True  # another caller (an ingest action) is at it right now
        if now is None or now.id != item.id:
            # The file changed while it waited: it is a new file now (its own history row).
            await self._give_up(item, SOURCE_CHANGED, result)
        result.resumed += 1
        return True

    async def _give_up(self, item: Item, error: str, result: CatchUpResult) -> None:
        result.given_up += 1
        failed = await self._update(item.id, status=ItemStatus.FAILED, error=error)
        self._on_event(Event.FAILED, failed)

    async def _check_filed(self, result: CatchUpResult) -> None:
        owed: list[Item] = await self._run(
            lambda: self._store.with_plex_status(ItemStatus.INGESTED, PLEX_NOT_CHECKED, BATCH)
        )
        for item in owed:
            if not await self._check(item):
                return
            result.checked += 1

    async def _check(self, item: Item) -> bool:
        """Scan one filed file's folder and check Plex's match; False when Plex fails."""
        assert item.destination is not None  # noqa: S101 (the query asks for one)
        wanted = wanted_ids(item.tmdb_id, item.tvdb_id, item.imdb_id)
        try:
            verification = await self._sync.scan_and_check(Path(item.destination), wanted)
        except PlexError as err:
            log_failure(_LOGGER, err, "Plex scan of %s failed again: %s", item.destination, err)
            return False
        done = await self._update(
            item.id,
            plex_status=verification.status,
            plex_rating_key=verification.rating_key,
            error=None,
        )
        # Filed items have a title (a file without one is never filed automatically).
        target = item_target(done) if done.tmdb_id is not None and done.title else None
        await self._follow_up.after_check(done, verification, target, Event.PLEX_CHECKED)
        return True
