"""The ingest service: plans, transfers, Plex checks, history and the review queue together.

`IngestService` is what Home Assistant's services, the watcher and the review queue call.
It records every file in the store before anything happens to it, so a restart in the middle
loses nothing: `start()` finishes interrupted transfers whose file made it, puts the others
back in the queue, and removes the temporary files a crash left behind (and nothing else).
Each step is announced through `on_event(kind, item)`: `ingested`, `review_required`,
`approved`, `rejected`, `failed`. A file queued with `tmdb_unavailable` (TMDb kept failing)
is tried again when it is seen again.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..availability import log_failure
from ..errors import VideodromeError
from ..identify.score import Decision, Scored, Verdict
from ..plex.fix_match import MatchFix
from ..plex.scan import PlexSync, Verification
from ..store.items import Item, ItemStatus
from .catch_up import PlexCatchUp
from .errors import ReviewError, TransferError
from .events import Event
from .extras import scan_for_extra
from .fs import cleanup_temporaries
from .match_review import MatchFollowUp, is_mismatch_review
from .organise import BATCH_PREFIX
from .outcomes import ALREADY_HANDLED, Outcome, Settled
from .plan import AUTO_INGEST_OFF, Action, PlannedFile
from .sources import SourceFile, source_file
from .versions import Decision as VersionDecision, check_grouped
from .waiting import (
    PLEX_NOT_CHECKED,
    held_for_review,
    no_longer_waits,
    waiting_for_plex,
    waiting_for_tmdb,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..blocking import BlockingRunner
    from ..identify.identifier import Identification, Identifier
    from ..identify.score import Thresholds
    from ..store.database import Store
    from ..tmdb.client import TMDbClient
    from .organise import Organiser
    from .pipeline import Pipeline

_LOGGER = logging.getLogger(__name__)

VERSION = VersionDecision.VERSION

PLEX_SCAN_FAILED = "plex_scan_failed"

type EventSink = Callable[[str, Item], None]


class IngestService:
    """One Plex server's ingest: store, pipeline, Plex checks."""

    def __init__(
        self,
        store: Store,
        pipeline: Pipeline,
        identifier: Identifier,
        tmdb: TMDbClient,
        sync: PlexSync | None,
        *,
        run_blocking: BlockingRunner,
        on_event: EventSink | None = None,
        match_fix: MatchFix = MatchFix.OFF,
        upload_posters: bool = False,
    ) -> None:
        """Tie the parts together; `run_blocking` runs SQLite and file work off the loop.

        `match_fix` says what to do when Plex matches a new file to another title, and
        `upload_posters` whether to give Plex TMDb's poster when it has none.
        """
        self.store = store
        self.pipeline = pipeline
        self._identifier = identifier
        self._tmdb = tmdb
        self._sync = sync
        self._run = run_blocking
        self._on_event = on_event or (lambda _kind, _item: None)
        self._busy: set[tuple[int, int]] = set()
        self.organiser: Organiser | None = None  # set by the integration: organise in place
        self._lock = asyncio.Lock()
        self.follow_up = (
            MatchFollowUp(
                sync,
                tmdb,
                self._update,
                self._announce,
                mode=match_fix,
                upload_posters=upload_posters,
            )
            if sync is not None
            else None
        )
        # Held files and unchecked ones, once Plex answers (run by the integration).
        self.catch_up = (
            PlexCatchUp(
                store,
                pipeline,
                self.handle,
                sync,
                self.follow_up,
                update=self._update,
                on_event=self._announce,
                run_blocking=run_blocking,
            )
            if sync is not None and self.follow_up is not None
            else None
        )

    def _announce(self, kind: str, item: Item) -> None:
        # Late-bound: the follow-up announces through whatever `_on_event` is at the time.
        self._on_event(kind, item)

    async def start(self) -> list[Item]:
        """Crash recovery: finish the interrupted transfers that made it, queue the others.

        Items left `transferring` by a crash (or `pending` by a recovery that was itself
        interrupted) are looked at one by one. Their destination folder loses the temporary
        files a crash left there (only files named like Videodrome's own temporaries). An
        item whose video is complete under its final name (the crash came after publishing
        it) is finished: the subtitles not yet beside it follow and it is recorded as
        ingested (Plex not asked: `plex_not_checked`). The others go back to the review queue
        with the error `interrupted`; approving one transfers it again. Renames in place
        (organise) are finished or queued the same way (`Organiser.resume`). Returns the items.
        """
        recovered: list[Item] = await self._run(self.store.recover)
        back: list[Item] = []
        for item in recovered:
            if self.organiser is not None and (item.batch or "").startswith(BATCH_PREFIX):
                # A rename in place cut short: finished if the video was renamed.
                renamed = await self.organiser.resume(item)
                if renamed is not None:
                    back.append(renamed)
                    continue
            elif item.destination:
                destination = Path(item.destination)
                await self._run(
                    lambda f=destination.parent: cleanup_temporaries(f, min_age=0)  # type: ignore[misc]
                )
                if await self.pipeline.resume(Path(item.source), destination) is not None:
                    done = await self._update(
                        item.id,
                        status=ItemStatus.INGESTED,
                        plex_status=PLEX_NOT_CHECKED,
                        error=None,
                    )
                    self.pipeline.library_changed()
                    self._on_event(Event.INGESTED, done)
                    back.append(done)
                    continue
            back.append(await self._update(item.id, status=ItemStatus.REVIEW, error="interrupted"))
        return back

    # --- ingest ------------------------------------------------------------------------------

    async def plan(
        self, path: Path, *, auto: bool = True, thresholds: Thresholds | None = None
    ) -> list[PlannedFile]:
        """What ingesting `path` would do (nothing is changed); see `ingest` for the options."""
        pipeline = self.pipeline if thresholds is None else self.pipeline.deciding_with(thresholds)
        planned = await pipeline.plan(path)
        return planned if auto else held_for_review(planned)

    async def ingest(
        self,
        path: Path,
        *,
        dry_run: bool = False,
        auto: bool = True,
        thresholds: Thresholds | None = None,
    ) -> list[Outcome]:
        """Plan every video at `path`; unless `dry_run`, carry the plan out and record it.

        With `auto` off (the auto-ingest switch), files decided automatically wait in the
        review queue like uncertain ones. `thresholds` decide this call instead of the
        identifier's own.
        """
        planned = await self.plan(path, auto=auto, thresholds=thresholds)
        if dry_run:
            return [Outcome(p, None, "planned") for p in planned]
        return [await self.handle(p) for p in planned]

    async def handle(self, planned: PlannedFile) -> Outcome:
        """Record one planned file and act on it (transfer, queue, or skip)."""
        source = planned.source
        key = (source.device, source.inode)
        async with self._lock:
            handled = await self._run(
                lambda: self.store.find_handled(
                    str(source.path), source.size, source.mtime_ns, source.device, source.inode
                )
            )
            # A file queued because TMDb could not be asked, or held until Plex's library has
            # been read, is handled again once it need not wait, in the same history row.
            retry = handled if handled is not None and no_longer_waits(handled, planned) else None
            if (handled is not None and retry is None) or key in self._busy:
                # Same file seen again (a rescan, the watcher and a service at once): once only.
                return Outcome(planned, handled, ALREADY_HANDLED)
            self._busy.add(key)
        try:
            return await self._handle(planned, retry)
        finally:
            self._busy.discard(key)

    async def _handle(self, planned: PlannedFile, retry: Item | None = None) -> Outcome:
        status = {
            Action.TRANSFER: ItemStatus.TRANSFERRING,
            Action.REVIEW: ItemStatus.REVIEW,
            Action.MANUAL: ItemStatus.REVIEW,
            Action.SKIP: ItemStatus.SKIPPED,
            Action.WAIT: ItemStatus.PENDING,
        }[planned.action]
        if retry is None:
            item = await self._add(planned, status)
        else:
            item = await self._update(retry.id, status=status, **planned.item_fields())
        if status is ItemStatus.REVIEW:
            self._on_event(Event.REVIEW_REQUIRED, item)
            return Outcome(planned, item, str(status))
        if status in {ItemStatus.SKIPPED, ItemStatus.PENDING}:
            return Outcome(planned, item, str(status))
        return await self._transfer(planned, item, Event.INGESTED)

    async def _transfer(self, planned: PlannedFile, item: Item, event: Event) -> Outcome:
        try:
            executed = await self.pipeline.execute(planned)
        except (TransferError, OSError) as err:
            failed = await self._update(item.id, status=ItemStatus.FAILED, error=str(err))
            self._on_event(Event.FAILED, failed)
            return Outcome(planned, failed, str(ItemStatus.FAILED), str(err))
        self.pipeline.library_changed()
        verification = Verification(PLEX_NOT_CHECKED)
        plex_error: str | None = None
        if self._sync is not None and planned.destination is not None:
            try:
                verification = await (
                    scan_for_extra(self._sync, planned.destination)  # no match of its own
                    if planned.extra
                    else self._sync.scan_and_verify(planned.destination, planned.found)
                )
            except VideodromeError as err:
                source = planned.source.path
                log_failure(_LOGGER, err, "Plex scan after ingesting %s failed: %s", source, err)
                # The file is filed; why Plex could not be asked stays with it, for a later scan.
                plex_error = f"{PLEX_SCAN_FAILED}: {err}"
        version = planned.comparison is not None and planned.comparison.decision == VERSION
        if version and self._sync is not None and planned.comparison is not None:
            merge = self.follow_up is not None and self.follow_up.mode is MatchFix.AUTO
            verification = await check_grouped(
                self._sync, planned.comparison, verification, merge=merge
            )
        done = await self._update(
            item.id,
            status=ItemStatus.INGESTED,
            destination=str(executed.video.destination),
            plex_status=verification.status,
            plex_rating_key=verification.rating_key,
            error=plex_error,
        )
        if self.follow_up is not None:
            # Corrects Plex's match or asks a person, as configured; announces `event`.
            done = await self.follow_up.after_ingest(done, verification, planned.found, event)
        else:
            self._on_event(event, done)
        if version:
            self._on_event(Event.UPGRADED, done)  # old and new quality: `done.quality`
        return Outcome(planned, done, str(done.status))

    # --- review ------------------------------------------------------------------------------

    async def approve(
        self,
        item_id: int,
        *,
        tmdb_id: int | None = None,
        media_type: str | None = None,
        season: int | None = None,
        episodes: tuple[int, ...] | None = None,
    ) -> Outcome | Settled:
        """Ingest a queued item, with its best candidate or a person's correction.

        An item already filed whose Plex match waits for a person (`plex_mismatch`) is not
        moved again: approving it settles Plex's match (see match_review.py).
        """
        item = await self._queued(item_id)
        if is_mismatch_review(item) and self.follow_up is not None:
            if media_type or season is not None or episodes:
                raise ReviewError(f"item {item_id} is already filed: choose one of its titles")
            settled = await self.follow_up.approve(item, tmdb_id)
            return Settled(settled, str(settled.status))
        source = await self._run(lambda: source_file(Path(item.source)))
        parsed = await self._identifier.parse(item.source)
        if season is not None or episodes:
            parsed = replace(
                parsed,
                season=season if season is not None else parsed.season,
                episodes=tuple(episodes) if episodes else parsed.episodes,
            )
        chosen = tmdb_id if tmdb_id is not None else item.tmdb_id
        if chosen is None:
            raise ReviewError(f"item {item_id} has no candidate: give a TMDb id")
        kind = media_type or (
            "tv" if (item.kind == "episode" or parsed.season is not None) else "movie"
        )
        if kind == "movie":
            candidate = await self._tmdb.movie(chosen)
        else:
            candidate = (await self._tmdb.tv(chosen)).candidate
        reading = parsed.readings[0] if parsed.readings else None
        scored = Scored(candidate, 1.0, 1.0, 1.0, 1.0, 1.0, candidate.title)
        verdict = Verdict(Decision.AUTO, 1.0, scored, (scored,), ("approved",), reading)
        found: Identification = await self._identifier.complete(parsed, verdict)
        organise = self.organiser is not None and (item.batch or "").startswith(BATCH_PREFIX)
        pipeline = (
            self.organiser.pipeline if self.organiser is not None and organise else self.pipeline
        )
        planned = await pipeline.plan_identified(source, found)
        if organise and self.organiser is not None and planned.destination is not None:
            # A file already in the library: renamed in place, not copied.
            done = await self.organiser.apply(planned, str(item.batch), item)
            if done.status != ItemStatus.ORGANISED:
                raise ReviewError(f"item {item_id} could not be renamed: {done.error}")
            assert done.item is not None  # noqa: S101 (apply records the item it renamed)
            self._on_event(Event.APPROVED, done.item)
            return Outcome(planned, done.item, done.status)
        if planned.action in {Action.SKIP, Action.WAIT} or planned.destination is None:
            raise ReviewError(
                f"item {item_id} cannot be ingested: {', '.join(planned.reasons) or 'no target'}"
            )
        await self._update(item.id, status=ItemStatus.TRANSFERRING, **planned.item_fields())
        refreshed = await self._run(lambda: self.store.get_item(item.id))
        return await self._transfer(
            replace(planned, action=Action.TRANSFER), refreshed, Event.APPROVED
        )

    async def reject(self, item_id: int) -> Item:
        """Take an item out of the queue; the file stays where it is, untouched."""
        item = await self._queued(item_id)
        if is_mismatch_review(item) and self.follow_up is not None:
            return await self.follow_up.reject(item)
        rejected = await self._update(item.id, status=ItemStatus.REJECTED)
        self._on_event(Event.REJECTED, rejected)
        return rejected

    async def _queued(self, item_id: int) -> Item:
        item: Item | None = await self._run(lambda: self.store.get_item(item_id))
        if item is None:
            raise ReviewError(f"there is no item {item_id}")
        if item.status != ItemStatus.REVIEW:
            raise ReviewError(f"item {item_id} is {item.status}, not waiting for review")
        return item

    # --- store helpers -----------------------------------------------------------------------

    async def _add(self, planned: PlannedFile, status: ItemStatus) -> Item:
        fields = planned.new_item_fields()
        added: Item = await self._run(lambda: self.store.add_item(status=status, **fields))
        return added

    async def _update(self, item_id: int, **fields: Any) -> Item:
        updated: Item = await self._run(lambda: self.store.update_item(item_id, **fields))
        return updated


__all__ = [
    "AUTO_INGEST_OFF",
    "PLEX_NOT_CHECKED",
    "Event",
    "IngestService",
    "Outcome",
    "ReviewError",
    "Settled",
    "SourceFile",
    "waiting_for_plex",
    "waiting_for_tmdb",
]
