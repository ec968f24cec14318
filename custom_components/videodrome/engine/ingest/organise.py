"""Organise in place: give files already in the library their Plex names, with undo.

Each video under a library folder is identified as ingest identifies it; files decided
automatically are renamed to their Plex path (subtitles beside them too), uncertain ones wait
in the review queue. A rename never replaces a file and never crosses filesystems (that would
be a copy): `renameat2(RENAME_NOREPLACE)`, or where a filesystem lacks it, a hard link to the
new name and only then the removal of the old name, so a crash between the two leaves the
file reachable under both. Empty folders left behind stay. Every rename is recorded with both
paths and a batch id, before it happens (`transferring`, with the subtitles planned), so a
crash in the middle leaves a trace: `resume()` (run by the ingest service's `start()`)
finishes an item whose video was renamed, and one whose video was not goes back to review.
`undo()` moves files back the same way, and refuses when the old name has been taken since;
an undo cut short by a crash is finished by the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import logging
import os
from pathlib import Path
import stat
from typing import TYPE_CHECKING, Any
import uuid

from ..availability import log_failure
from ..errors import VideodromeError
from ..store.items import Item, ItemStatus
from . import fs
from .errors import CrossFilesystemError, DestinationExistsError, TransferError
from .plan import Action, PlannedFile

if TYPE_CHECKING:
    from ..blocking import BlockingRunner
    from ..plex.scan import PlexSync
    from ..store.database import Store
    from .pipeline import Pipeline

_LOGGER = logging.getLogger(__name__)

ALREADY_ORGANISED = "already_organised"
CROSS_FILESYSTEM = "cross_filesystem"
ORIGINAL_NAME_TAKEN = "original_name_taken"
BATCH_PREFIX = "organise:"


def _existing_ancestor(path: Path) -> Path:
    for parent in (path, *path.parents):
        if parent.exists():
            return parent
    return Path("/")  # pragma: no cover - "/" always exists


def move_noreplace(source: Path, destination: Path) -> None:
    """Rename `source` to `destination` on the same filesystem, never replacing. Blocking."""
    if source.lstat().st_dev != _existing_ancestor(destination.parent).stat().st_dev:
        raise CrossFilesystemError(
            f"{source} and {destination.parent} are on different filesystems: organising "
            "renames files in place and never copies them"
        )
    if os.path.lexists(destination):
        raise DestinationExistsError(f"{destination} exists already; nothing was renamed")
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        if fs.rename_noreplace(source, destination):
            return
    except FileExistsError:
        raise DestinationExistsError(
            f"{destination} appeared meanwhile; nothing was renamed"
        ) from None
    # No RENAME_NOREPLACE here: link first (fails if the name is taken), then drop the old
    # name. A crash in between leaves the file under both names, never under neither.
    try:
        os.link(source, destination)
    except FileExistsError:
        raise DestinationExistsError(f"{destination} appeared meanwhile") from None
    source.unlink()


@dataclass(frozen=True, slots=True)
class Organised:
    """One file's outcome."""

    planned: PlannedFile
    status: str
    item: Item | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The plan, and what happened."""
        record = self.planned.as_json()
        record.update(
            status=self.status,
            item_id=self.item.id if self.item else None,
            batch=self.item.batch if self.item else None,
            error=self.error,
        )
        return record


class Organiser:
    """Renames files inside the library folders to their Plex paths, and back."""

    def __init__(
        self,
        pipeline: Pipeline,
        store: Store,
        sync: PlexSync | None,
        *,
        run_blocking: BlockingRunner,
    ) -> None:
        """Plan with `pipeline` (one without a library lookup: the files are the library)."""
        self.pipeline = pipeline
        self._store = store
        self._sync = sync
        self._run = run_blocking

    async def organise(self, path: Path, *, dry_run: bool = True) -> list[Organised]:
        """Plan every video at `path`; unless `dry_run`, rename the sure ones."""
        planned = [_already_there(p) for p in await self.pipeline.plan(path)]
        if dry_run:
            return [Organised(p, "planned") for p in planned]
        batch = f"{BATCH_PREFIX}{uuid.uuid4().hex[:12]}"
        results: list[Organised] = []
        for item in planned:
            if item.action is Action.TRANSFER:
                results.append(await self.apply(item, batch))
            elif item.action in {Action.REVIEW, Action.MANUAL}:
                queued = await self._record(item, ItemStatus.REVIEW, batch)
                results.append(Organised(item, str(ItemStatus.REVIEW), queued))
            else:
                results.append(Organised(item, str(ItemStatus.SKIPPED)))
        await self._scan(results)
        return results

    async def apply(self, planned: PlannedFile, batch: str, item: Item | None = None) -> Organised:
        """Rename one file (and its subtitles) and record it; an existing item is updated.

        The item is stored as `transferring` before anything moves (with the subtitles it
        plans to move), so a crash between the rename and its record is found on restart.
        A rename that fails leaves a new item `failed`, an existing one as it was.
        """
        destination = planned.destination
        if destination is None:
            return Organised(planned, str(ItemStatus.SKIPPED))
        source = planned.source.path
        pairs = [(str(companion), str(target)) for companion, target in planned.companions]
        before = item
        if item is None:
            item = await self._record(planned, ItemStatus.TRANSFERRING, batch, pairs)
        else:
            item = await self._update(
                item.id,
                status=ItemStatus.TRANSFERRING,
                destination=str(destination),
                batch=batch,
                companions=pairs,
            )
        try:
            await self._run(lambda: move_noreplace(source, destination))
        except (TransferError, OSError) as err:
            if before is None:
                failed = await self._update(item.id, status=ItemStatus.FAILED, error=str(err))
            else:
                failed = await self._update(
                    item.id,
                    status=before.status,
                    destination=before.destination,
                    batch=before.batch,
                    companions=before.companions,
                )
            return Organised(planned, str(ItemStatus.FAILED), failed, str(err))
        moved = await self._move_companions(pairs)
        recorded = await self._update(
            item.id,
            status=ItemStatus.ORGANISED,
            destination=str(destination),
            batch=batch,
            companions=moved,
            error=None,
        )
        return Organised(planned, str(ItemStatus.ORGANISED), recorded)

    async def resume(self, item: Item) -> Item | None:
        """After a crash mid-rename: finish an item whose video was renamed already.

        The video was renamed when its old name is gone and the new name is the same file
        (the inode recorded when it was planned). Then the subtitles still under their old
        names follow, and the item is recorded `organised` with every subtitle that moved.
        None when the video was not renamed: the caller sends the item back to review.
        """
        if not item.destination:
            return None
        source, destination = Path(item.source), Path(item.destination)
        if not await self._run(lambda: _moved(source, destination, item.source_inode)):
            return None
        moved = await self._move_companions(list(item.companions))
        return await self._update(
            item.id, status=ItemStatus.ORGANISED, companions=moved, error=None
        )

    async def _move_companions(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Rename subtitles (those already renamed by a run cut short count as moved)."""
        moved: list[tuple[str, str]] = []
        for old, new in pairs:
            companion, target = Path(old), Path(new)
            try:
                if not await self._run(lambda c=companion, t=target: _already_moved(c, t)):  # type: ignore[misc]
                    await self._run(lambda c=companion, t=target: move_noreplace(c, t))  # type: ignore[misc]
            except (TransferError, OSError) as err:
                _LOGGER.warning("Subtitle %s stays where it is: %s", companion, err)
            else:
                moved.append((old, new))
        return moved

    async def undo(self, *, item_id: int | None = None, batch: str | None = None) -> list[Item]:
        """Put organised files back under their old names (no-clobber); returns the items."""
        if item_id is not None:
            found = await self._run(lambda: self._store.get_item(item_id))
            items = [found] if found is not None else []
        else:
            items = await self._run(
                lambda: [
                    i
                    for i in self._store.history(status=ItemStatus.ORGANISED, limit=100_000)
                    if i.batch == batch
                ]
            )
        if not items:
            raise VideodromeError("nothing organised matches that id or batch")
        undone: list[Item] = []
        for item in items:
            if item.status != ItemStatus.ORGANISED or not item.destination:
                raise VideodromeError(f"item {item.id} is {item.status}, not organised")
            source, current = Path(item.source), Path(item.destination)
            try:
                # Already back under its old name: an undo cut short before its record.
                if not await self._run(
                    lambda i=item, s=source, c=current: _moved(c, s, i.source_inode)  # type: ignore[misc]
                ):
                    await self._run(lambda s=source, c=current: move_noreplace(c, s))  # type: ignore[misc]
            except DestinationExistsError:
                undone.append(
                    await self._run(
                        lambda i=item: self._store.update_item(  # type: ignore[misc]
                            i.id, error=f"{ORIGINAL_NAME_TAKEN}: {i.source}"
                        )
                    )
                )
                continue
            await self._move_companions([(new, old) for old, new in item.companions])
            undone.append(
                await self._run(
                    lambda i=item: self._store.update_item(i.id, status=ItemStatus.UNDONE)  # type: ignore[misc]
                )
            )
        return undone

    async def _record(
        self,
        planned: PlannedFile,
        status: ItemStatus,
        batch: str,
        companions: list[tuple[str, str]] | None = None,
    ) -> Item:
        fields = planned.new_item_fields()
        item: Item = await self._run(
            lambda: self._store.add_item(
                status=status, batch=batch, companions=companions or [], **fields
            )
        )
        return item

    async def _update(self, item_id: int, **fields: Any) -> Item:
        item: Item = await self._run(lambda: self._store.update_item(item_id, **fields))
        return item

    async def _scan(self, results: list[Organised]) -> None:
        """One partial scan per folder a file arrived in or left; then each file's match."""
        sync = self._sync
        if sync is None:
            return
        done = [r for r in results if r.status == ItemStatus.ORGANISED and r.planned.destination]
        scanned: set[Path] = set()
        for result in done:
            destination = result.planned.destination
            assert destination is not None  # noqa: S101 (filtered above)
            try:
                if destination.parent in scanned:
                    located = await sync.section_for(destination)
                    if located is None:
                        continue
                    verification = await sync.verify(
                        located[0], str(located[1]), result.planned.found
                    )
                else:
                    scanned.add(destination.parent)
                    verification = await sync.scan_and_verify(destination, result.planned.found)
            except VideodromeError as err:
                log_failure(_LOGGER, err, "Plex scan after organising failed: %s", err)
                continue
            if result.item is not None:
                await self._run(
                    lambda i=result.item.id, v=verification: self._store.update_item(  # type: ignore[misc]
                        i, plex_status=v.status, plex_rating_key=v.rating_key
                    )
                )
        # The folders files left: Plex forgets the old names there.
        for old in {r.planned.source.path.parent for r in done} - scanned:
            try:
                await sync.scan_folder(old)
            except VideodromeError as err:
                log_failure(_LOGGER, err, "Plex scan of %s failed: %s", old, err)


def _moved(old: Path, new: Path, inode: int | None) -> bool:
    """Whether a rename from `old` to `new` happened: `old` is gone, `new` is that file."""
    try:
        info = new.lstat()
    except OSError:
        return False
    return not os.path.lexists(old) and stat.S_ISREG(info.st_mode) and info.st_ino == inode


def _already_moved(old: Path, new: Path) -> bool:
    """A subtitle renamed before a crash: its old name gone, its new name there."""
    return not os.path.lexists(old) and os.path.lexists(new)


def _already_there(planned: PlannedFile) -> PlannedFile:
    """A file already at its Plex path is left alone (and not "destination_exists")."""
    destination = planned.destination
    if destination is not None and destination == planned.source.path:
        reasons = tuple(
            r for r in planned.reasons if r not in {"destination_exists", "already_ingested"}
        )
        return replace(planned, action=Action.SKIP, reasons=(*reasons, ALREADY_ORGANISED))
    return planned
