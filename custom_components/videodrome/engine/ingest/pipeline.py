"""Ingest: plan what happens to each file, then carry the plan out without losing anything.

`Pipeline.plan()` identifies every video under a path (sources.py), works out where it
belongs and checks that place (destination.py), giving each file an action and the reason
codes plan.py lists. `Pipeline.execute()` transfers the video and its companions (subtitles)
with `transfer.transfer()`: hardlink, reflink or a verified copy published without
clobbering. Sources are never removed. Blocking work (directory walks, stat, transfers) runs
through `run_blocking` (Home Assistant's executor).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import logging
import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..blocking import BlockingRunner, run_in_default_executor
from ..identify.score import Decision
from ..library.errors import LibraryIncompleteError, LibraryNotLoadedError
from .destination import check_destination, is_published, within
from .errors import DestinationExistsError, TransferError
from .extras import as_extra, is_extra, plan_extras, plex_folder
from .plan import (
    ALREADY_IN_LIBRARY,
    ALREADY_INGESTED,
    DESTINATION_EXISTS,
    LIBRARY_INCOMPLETE,
    NOT_THE_FEATURE,
    TARGET_OUTSIDE_ROOT,
    WAITING_FOR_PLEX,
    Action,
    PlannedFile,
)
from .sources import find_companions, find_sources
from .transfer import TransferResult, transfer
from .versions import WhenHeld, consider

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..identify.identifier import Identification, Identifier
    from ..identify.score import Thresholds
    from ..library.records import Existing
    from .plan import LibraryLookup, Settings
    from .sources import SourceFile

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Executed:
    """What a transfer did: the video's result and each companion's (None when skipped)."""

    planned: PlannedFile
    video: TransferResult
    companions: tuple[tuple[Path, str | None], ...] = field(default=())


class Pipeline:
    """Plans and executes ingests for one set of folders."""

    def __init__(
        self,
        identifier: Identifier,
        settings: Settings,
        *,
        lookup: LibraryLookup | None = None,
        run_blocking: BlockingRunner | None = None,
    ) -> None:
        """Identify with `identifier`; ask `lookup` whether Plex already has a title."""
        self._identifier = identifier
        self.settings = settings
        self._lookup = lookup
        self._run_blocking = run_blocking or run_in_default_executor

    def library_changed(self) -> None:
        """Something was added to the library: the lookup must ask again."""
        if self._lookup is not None:
            self._lookup.invalidate()

    def deciding_with(self, thresholds: Thresholds) -> Pipeline:
        """This pipeline with its identifier deciding with other `thresholds` (for one call)."""
        return Pipeline(
            self._identifier.deciding_with(thresholds),
            self.settings,
            lookup=self._lookup,
            run_blocking=self._run_blocking,
        )

    @property
    def identifier(self) -> Identifier:
        """The identifier the pipeline uses."""
        return self._identifier

    async def sources(self, path: Path) -> list[SourceFile]:
        """The candidate videos at `path` (a file, or every video below a folder)."""
        return list(await self._run_blocking(lambda: find_sources(path)))

    async def plan(self, path: Path) -> list[PlannedFile]:
        """Identify and check every video at `path` (a file or a folder)."""
        found = await self.sources(path)
        planned = _largest_is_the_feature([await self.plan_file(source) for source in found])
        if self.settings.file_extras:
            planned = await plan_extras(self, planned, self._run_blocking)
        return planned

    async def plan_file(self, source: SourceFile) -> PlannedFile:
        """Identify one file and check where it would go."""
        root = next((f for f in self.settings.ingest_folders if within(source.path, f)), None)
        found = await self._identifier.identify(source.path, root=root)
        return await self.plan_identified(source, found)

    async def plan_identified(self, source: SourceFile, found: Identification) -> PlannedFile:
        """Check where an identified file would go (also after a person corrected the match)."""
        action = {
            Decision.AUTO: Action.TRANSFER,
            Decision.REVIEW: Action.REVIEW,
            Decision.MANUAL: Action.MANUAL,
            Decision.SKIP: Action.SKIP,
        }[found.decision]
        reasons = list(found.reasons)
        if found.target is None or found.library is None:
            return PlannedFile(source, found, action, tuple(reasons))
        root = self.settings.root(found.library)
        # An extra with its film's identification goes to the film's extras folder.
        extra = plex_folder(source.path, found.parsed.extra) if is_extra(found.parsed) else None
        found = as_extra(found, source.path) if extra is not None else await self._in_show(found)
        target = found.target
        assert target is not None  # noqa: S101 (checked above; retargeting keeps one)
        destination = root / target
        checked = None
        if ".." not in target.parts and within(destination, root):
            checked = await self._run_blocking(
                lambda: check_destination(source.path, destination, root)
            )
        if checked is None:
            # Naming never produces such a target; a folder in the library that is a link
            # leading out of it (or a hostile path from Plex) does.
            return PlannedFile(source, found, Action.MANUAL, (*reasons, TARGET_OUTSIDE_ROOT))
        companions, state = checked
        existing: Existing | None = None
        checks = self._lookup is not None and action in {Action.TRANSFER, Action.REVIEW}
        # A different file under the planned name may be Plex's copy: a version may go beside.
        taken = state == DESTINATION_EXISTS and self.settings.when_held != WhenHeld.ASK
        if state is not None and not (taken and checks and not extra):
            reasons.append(state)
            action = Action.SKIP if state == ALREADY_INGESTED else Action.REVIEW
        elif self._lookup is not None and checks and not extra:
            decided = action
            action, existing = await self._check_library(self._lookup, found, action, reasons)
            if existing is None and taken:
                reasons.append(DESTINATION_EXISTS)
                action = Action.REVIEW
            elif existing is not None:  # better or not, filed as a version or not: versions.py
                held = await consider(
                    WhenHeld(self.settings.when_held),
                    found,
                    source.path,
                    existing,
                    action=decided,
                    reasons=tuple(reasons),
                    planned=destination,
                    root=root,
                    run_blocking=self._run_blocking,
                )
                if held.destination is not None:  # a version: where it goes, from the root
                    relative = PurePosixPath(held.destination.relative_to(root).as_posix())
                    found = replace(found, target=relative)
                return PlannedFile(
                    source,
                    found,
                    held.action,
                    held.reasons,
                    held.destination or destination,
                    held.companions if held.destination else tuple(companions),
                    existing,
                    comparison=held.comparison,
                )
        return PlannedFile(
            source, found, action, tuple(reasons), destination, tuple(companions), existing, extra
        )

    @staticmethod
    async def _check_library(
        lookup: LibraryLookup, found: Identification, action: Action, reasons: list[str]
    ) -> tuple[Action, Existing | None]:
        """Whether Plex already holds the title: the action it leaves, and Plex's copy.

        Adds the reason to `reasons`. When the library cannot say, a file that would be filed
        waits (`waiting_for_plex`: the library has not been read yet; filing now could make a
        duplicate, or a second folder beside a show Plex has) or goes to review
        (`library_incomplete`: a section that could hold it could not be read).
        """
        try:
            existing = await lookup.find(found)
        except LibraryNotLoadedError:
            if action is not Action.TRANSFER:
                return action, None
            reasons.append(WAITING_FOR_PLEX)
            return Action.WAIT, None
        except LibraryIncompleteError:
            reasons.append(LIBRARY_INCOMPLETE)
            return Action.REVIEW, None
        if existing is None:
            return action, None
        reasons.append(ALREADY_IN_LIBRARY)
        return Action.REVIEW, existing

    async def _in_show(self, found: Identification) -> Identification:
        """An episode of a show Plex already has keeps that show's folder.

        No second "Show (Year) {tvdb-N}" beside the user's "Show".
        """
        if found.library != "tv" or self._lookup is None or found.target is None:
            return found
        root = self.settings.tv_root
        folder = await self._lookup.show_folder(found)
        if folder is not None:
            # Plex's path, normalised: "Show/../Other" must not pass a link named "Show".
            folder = Path(os.path.normpath(folder))  # noqa: ASYNC240 (string work only)
        if folder is not None and within(folder, root) and folder != root:
            target = PurePosixPath(folder.relative_to(root), *found.target.parts[1:])
            return replace(found, target=target)
        return found

    async def execute(self, planned: PlannedFile) -> Executed:
        """Transfer the video, then its companions; raises TransferError for the video only."""
        destination = planned.destination
        if destination is None:
            raise TransferError(f"{planned.source.path} has no destination to transfer to")
        settings = self.settings
        video: TransferResult = await self._run_blocking(
            lambda: transfer(
                planned.source.path,
                destination,
                settings.mode,
                verify_checksum=settings.verify_checksum,
            )
        )
        return Executed(planned, video, await self._transfer_companions(planned.companions))

    async def resume(
        self, source: Path, destination: Path
    ) -> tuple[tuple[Path, str | None], ...] | None:
        """After a crash: finish a transfer whose video had already reached `destination`.

        When `destination` is the source's finished transfer (see `is_published()` in
        destination.py), the subtitles not yet beside it follow, and their results are
        returned (an existing one reads `destination_exists`). None when the video is not
        there: it must be transferred again.
        """
        if not await self._run_blocking(lambda: is_published(source, destination)):
            return None
        pairs = await self._run_blocking(lambda: find_companions(source, destination))
        return await self._transfer_companions(pairs)

    async def _transfer_companions(
        self, pairs: Iterable[tuple[Path, Path]]
    ) -> tuple[tuple[Path, str | None], ...]:
        """Transfer subtitles; each target with None, or why it was not transferred."""
        mode = self.settings.mode
        done: list[tuple[Path, str | None]] = []
        for source, target in pairs:
            try:
                await self._run_blocking(
                    lambda s=source, t=target: transfer(s, t, mode)  # type: ignore[misc]
                )
            except DestinationExistsError:
                done.append((target, "destination_exists"))
            except TransferError as err:
                _LOGGER.warning("Companion %s not transferred: %s", source, err)
                done.append((target, str(err)))
            else:
                done.append((target, None))
        return tuple(done)


def _largest_is_the_feature(planned: list[PlannedFile]) -> list[PlannedFile]:
    """Several videos of one movie (not parts) in one folder: only the largest is filed."""
    groups: dict[tuple[Path, int, int | None], list[PlannedFile]] = {}
    for item in planned:
        match = item.found.match
        if match is None or match.media_type != "movie":
            continue
        key = (item.source.path.parent, match.tmdb_id, item.found.parsed.part)
        groups.setdefault(key, []).append(item)
    losers: set[Path] = set()
    for group in groups.values():
        if len(group) > 1:
            feature = max(group, key=lambda p: p.source.size)
            losers.update(p.source.path for p in group if p is not feature)
    return [
        replace(p, action=Action.SKIP, reasons=(*p.reasons, NOT_THE_FEATURE))
        if p.source.path in losers
        else p
        for p in planned
    ]
