"""Ingest: plan what happens to each file, then carry the plan out without losing anything.

`Pipeline.plan()` identifies every video under a path, works out where it belongs, and runs
the checks that decide whether it may be filed automatically, each giving a reason code:

- `target_outside_root`: the computed target would leave its library root, lexically or
  through a link inside the library that leads out of it (manual; nothing is written);
- `already_ingested`: the same file is already at the target (skipped);
- `destination_exists`: a different file has that name (review; nothing is replaced);
- `already_in_library`: Plex already holds this title (or this episode) elsewhere (review,
  with the existing file beside the new one);
- `not_the_feature`: a smaller video of the same title in the same folder (skipped; the
  largest is the feature, samples and extras were excluded already).

`Pipeline.execute()` transfers the video and its companions (subtitles) with
`transfer.transfer()`: hardlink, reflink or a verified copy published without clobbering.
Sources are never removed. Blocking work (directory walks, stat, transfers) runs through
`run_blocking` (Home Assistant's executor).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
import logging
import os
from pathlib import Path, PurePosixPath
import stat
from typing import TYPE_CHECKING, Any, Protocol

from ..blocking import BlockingRunner, run_in_default_executor
from ..errors import UnsafePathError
from ..identify.filters import (
    IGNORE_EXTRA,
    IGNORE_NOT_UTF8,
    IGNORE_NOT_VIDEO,
    IGNORE_SAMPLE,
    ignore_reason,
    is_ignored_folder,
)
from ..identify.naming import companion_path
from ..identify.score import Decision
from .errors import DestinationExistsError, TransferError
from .fs import same_content
from .transfer import TransferMode, TransferResult, transfer

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..identify.identifier import Identification, Identifier
    from ..library.records import Existing

_LOGGER = logging.getLogger(__name__)

TARGET_OUTSIDE_ROOT = "target_outside_root"
ALREADY_INGESTED = "already_ingested"
DESTINATION_EXISTS = "destination_exists"
ALREADY_IN_LIBRARY = "already_in_library"
NOT_THE_FEATURE = "not_the_feature"
SUBTITLE_EXTENSIONS = frozenset({".srt", ".ass", ".ssa", ".smi", ".vtt", ".sub", ".idx", ".sup"})
# Candidates kept in the history for the review queue.
CANDIDATES_KEPT = 5
# A folder with more files than this is not a download: walking it is refused, not attempted.
MAX_FILES = 100_000


class Action(StrEnum):
    """What executing a plan does with a file."""

    TRANSFER = "transfer"
    REVIEW = "review"
    MANUAL = "manual"
    SKIP = "skip"


class LibraryLookup(Protocol):
    """Answers "does Plex already have this?" (the library index, or a scan of Plex)."""

    async def find(self, found: Identification) -> Existing | None:
        """The existing copy of the identified movie or episode, if Plex has one."""

    def invalidate(self) -> None:
        """The library changed: answers remembered so far may be stale."""

    async def show_folder(self, found: Identification) -> Path | None:
        """The folder (as Home Assistant sees it) where Plex already keeps this show."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Where files come from and go to, and how they travel."""

    ingest_folders: tuple[Path, ...]
    movies_root: Path
    tv_root: Path
    mode: TransferMode = TransferMode.HARDLINK
    verify_checksum: bool = False

    def root(self, library: str) -> Path:
        """The library root for `movies` or `tv`."""
        return self.movies_root if library == "movies" else self.tv_root


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file found under an ingest folder, with what identifies it on disk."""

    path: Path
    size: int
    mtime_ns: int
    device: int
    inode: int


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """One video and what would happen to it."""

    source: SourceFile
    found: Identification
    action: Action
    reasons: tuple[str, ...]
    destination: Path | None = None
    companions: tuple[tuple[Path, Path], ...] = ()
    existing: Existing | None = None

    def item_fields(self) -> dict[str, Any]:
        """What the history keeps of this plan: the identification, reasons and destination."""
        record = self.found.as_json()
        return {
            "kind": record["kind"],
            "title": record["title"],
            "year": record["year"],
            "season": record["season"],
            "episodes": tuple(record["episodes"]),
            "tmdb_id": record["tmdb_id"],
            "tvdb_id": record["tvdb_id"],
            "imdb_id": record["imdb_id"],
            "confidence": record["confidence"],
            "decision": record["decision"],
            "reasons": tuple(self.reasons),
            "candidates": tuple(record["candidates"][:CANDIDATES_KEPT]),
            "library": record["library"],
            "target": record["target"],
            "destination": str(self.destination) if self.destination else None,
        }

    def new_item_fields(self) -> dict[str, Any]:
        """`item_fields()` with the source file's identity, for a new history row."""
        source = self.source
        return {
            "source": str(source.path),
            "source_size": source.size,
            "source_mtime_ns": source.mtime_ns,
            "source_inode": source.inode,
            "source_device": source.device,
            **self.item_fields(),
        }

    def as_json(self) -> dict[str, Any]:
        """The identification's fields with the plan's."""
        record = self.found.as_json()
        record.update(
            path=str(self.source.path),
            size=self.source.size,
            resolution=self.found.parsed.screen_size,
            action=str(self.action),
            reasons=list(self.reasons),
            destination=str(self.destination) if self.destination else None,
            companions=[str(target) for _, target in self.companions],
            existing=None
            if self.existing is None
            else {
                "rating_key": self.existing.rating_key,
                "title": self.existing.title,
                "file": self.existing.file,
                "resolution": self.existing.resolution,
            },
        )
        return record


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

    @property
    def identifier(self) -> Identifier:
        """The identifier the pipeline uses."""
        return self._identifier

    async def sources(self, path: Path) -> list[SourceFile]:
        """The candidate videos at `path` (a file, or every video below a folder)."""
        return list(await self._run_blocking(lambda: _walk(path)))

    async def plan(self, path: Path) -> list[PlannedFile]:
        """Identify and check every video at `path` (a file or a folder)."""
        found = await self.sources(path)
        planned = [await self.plan_file(source) for source in found]
        return _largest_is_the_feature(planned)

    async def plan_file(self, source: SourceFile) -> PlannedFile:
        """Identify one file and check where it would go."""
        root = next((f for f in self.settings.ingest_folders if _within(source.path, f)), None)
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
        target = found.target
        if found.library == "tv" and self._lookup is not None:
            # A show Plex already has keeps its folder: no second "Show (Year) {tvdb-N}" beside
            # the user's "Show".
            folder = await self._lookup.show_folder(found)
            if folder is not None:
                # Plex's path, normalised: "Show/../Other" must not pass a link named "Show".
                folder = Path(os.path.normpath(folder))  # noqa: ASYNC240 (string work only)
            if folder is not None and _within(folder, root) and folder != root:
                target = PurePosixPath(folder.relative_to(root), *target.parts[1:])
                found = replace(found, target=target)
        destination = root / target
        checked = None
        if ".." not in target.parts and _within(destination, root):
            checked = await self._run_blocking(
                lambda: _check_destination(source.path, destination, root)
            )
        if checked is None:
            # Naming never produces such a target; a folder in the library that is a link
            # leading out of it (or a hostile path from Plex) does.
            return PlannedFile(source, found, Action.MANUAL, (*reasons, TARGET_OUTSIDE_ROOT))
        companions, state = checked
        existing: Existing | None = None
        if state is not None:
            reasons.append(state)
            action = Action.SKIP if state == ALREADY_INGESTED else Action.REVIEW
        elif self._lookup is not None and action in {Action.TRANSFER, Action.REVIEW}:
            existing = await self._lookup.find(found)
            if existing is not None:
                reasons.append(ALREADY_IN_LIBRARY)
                action = Action.REVIEW
        return PlannedFile(
            source, found, action, tuple(reasons), destination, tuple(companions), existing
        )

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

        When `destination` is the source's finished transfer (see `_published`), the
        subtitles not yet beside it follow, and their results are returned (an existing one
        reads `destination_exists`). None when the video is not there: it must be
        transferred again.
        """
        if not await self._run_blocking(lambda: _published(source, destination)):
            return None
        pairs = await self._run_blocking(lambda: _companions(source, destination))
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


def _within(path: Path, root: Path) -> bool:
    """Lexically inside (after normalising `..`), never following links."""
    normal = Path(os.path.normpath(path))
    return normal == Path(os.path.normpath(root)) or normal.is_relative_to(os.path.normpath(root))


def _really_within(path: Path, root: Path) -> bool:
    """Whether `path` stays inside `root` once links are followed, as `mkdir` and `link` would.

    The deepest part of `path` that exists is resolved; what does not exist yet is created
    below it. Blocking.
    """
    missing: list[str] = []
    current = path
    while not current.exists() and current.parent != current:
        missing.append(current.name)
        current = current.parent
    try:
        real = current.resolve().joinpath(*reversed(missing))
        return _within(real, root.resolve())
    except OSError, RuntimeError:  # pragma: no cover (an I/O error resolving existing folders)
        return False


def _check_destination(
    source: Path, destination: Path, root: Path
) -> tuple[list[tuple[Path, Path]], str | None] | None:
    """None when `destination` really lies outside `root`; else its companions and state."""
    if not _really_within(destination, root):
        return None
    return _companions(source, destination), _destination_state(source, destination)


def source_file(path: Path) -> SourceFile:
    """Stat a file (not following a final symlink). Blocking."""
    info = path.lstat()
    return SourceFile(path, info.st_size, info.st_mtime_ns, info.st_dev, info.st_ino)


def _walk(path: Path) -> Iterable[SourceFile]:
    """Candidate videos: the file itself, or the videos below a folder (no links followed)."""
    if path.is_symlink():
        raise UnsafePathError(f"{path} is a symbolic link; links are not followed")
    if path.is_file():
        return [source_file(path)]
    if not path.is_dir():
        raise UnsafePathError(f"{path} does not exist")
    found: list[SourceFile] = []
    seen = 0
    for folder, folders, files in os.walk(path, followlinks=False):
        folders[:] = sorted(f for f in folders if is_ignored_folder(f) is None)
        for name in sorted(files):
            seen += 1
            if seen > MAX_FILES:
                raise UnsafePathError(f"{path} holds more than {MAX_FILES} files")
            file = Path(folder, name)
            reason = ignore_reason(file, path)
            if file.is_symlink() or reason == IGNORE_NOT_VIDEO:
                continue
            if reason == IGNORE_NOT_UTF8:
                _LOGGER.warning("Skipped %r: its name is not valid UTF-8; rename it", file)
                continue
            if reason is None or reason in {IGNORE_SAMPLE, IGNORE_EXTRA}:
                found.append(source_file(file))
    return found


@dataclass(frozen=True, slots=True)
class _Folder:
    """What `_companions` needs to know about a folder: its subtitles and how many videos."""

    subtitles: tuple[Path, ...]
    videos: int


@lru_cache(maxsize=256)
def _folder(folder: Path, _stamp: int) -> _Folder:
    """A folder's subtitles (its own and a Subs/ folder's) and video count.

    Cached by the folder's mtime: planning a thousand files in one folder lists it once.
    """
    try:
        entries = sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink())
        subs = [
            p for p in folder.iterdir() if p.is_dir() and p.name.lower() in {"subs", "subtitles"}
        ]
        entries += [s for d in subs for s in sorted(d.iterdir()) if s.is_file()]
    except OSError:
        return _Folder((), 0)
    subtitles = tuple(p for p in entries if p.suffix.lower() in SUBTITLE_EXTENSIONS)
    videos = sum(1 for p in entries if p.parent == folder and ignore_reason(p) is None)
    return _Folder(subtitles, videos)


def _companions(video: Path, destination: Path) -> list[tuple[Path, Path]]:
    """Subtitles next to the video (named after it, or the folder's only video's)."""
    folder = video.parent
    try:
        stamp = folder.stat().st_mtime_ns
    except OSError:
        return []
    listing = _folder(folder, stamp)
    only_video = listing.videos == 1
    candidates = listing.subtitles
    relative = PurePosixPath(destination.name)
    result: list[tuple[Path, Path]] = []
    for file in candidates:
        if not (file.name.startswith(video.stem) or only_video):
            continue
        stem = video.stem if file.name.startswith(video.stem) else None
        name = companion_path(relative, file.name, source_stem=stem)
        result.append((file, destination.parent / name.name))
    # Two sources with one target name: keep the first, never write twice.
    unique: dict[Path, Path] = {}
    for source, target in result:
        unique.setdefault(target, source)
    return [(source, target) for target, source in unique.items()]


def _published(source: Path, destination: Path) -> bool:
    """Whether `destination` is the finished transfer of `source`. Blocking.

    A hard link is the source's own inode. A copy or clone is given the source's size and
    modification time before it is flushed and published, and `transfer()` publishes only
    complete files, so a regular file with both under the final name is the finished copy;
    nothing is read, however large the file.
    """
    try:
        original, candidate = source.stat(), destination.lstat()
    except OSError:
        return False
    if not stat.S_ISREG(candidate.st_mode):
        return False
    if (original.st_dev, original.st_ino) == (candidate.st_dev, candidate.st_ino):
        return True
    return (original.st_size, original.st_mtime_ns) == (candidate.st_size, candidate.st_mtime_ns)


def _destination_state(source: Path, destination: Path) -> str | None:
    """`already_ingested`, `destination_exists`, or None when the name is free."""
    if not destination.exists() and not destination.is_symlink():
        return None
    if destination.is_file() and same_content(source, destination):
        return ALREADY_INGESTED
    return DESTINATION_EXISTS


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
