"""What a plan is: the settings it is made under, each file's action and the reasons for it.

`Pipeline.plan()` (pipeline.py) identifies every video under a path, works out where it
belongs, and runs the checks that decide whether it may be filed automatically, each giving a
reason code:

- `target_outside_root`: the computed target would leave its library root, lexically or
  through a link inside the library that leads out of it (manual; nothing is written);
- `already_ingested`: the same file is already at the target (skipped);
- `destination_exists`: a different file has that name (review; nothing is replaced);
- `already_in_library`: Plex already holds this title (or this episode) elsewhere (review,
  with the existing file beside the new one);
- `not_the_feature`: a smaller video of the same title in the same folder (skipped; the
  largest is the feature, samples and extras were excluded already);
- `waiting_for_plex`: Plex's library has not been read yet, so whether Plex already holds
  the title is not known (the file waits, `pending`, and is filed once the library is read:
  engine/ingest/catch_up.py);
- `library_incomplete`: not in the library index, but a library section that could hold it
  could not be read (review: "not there" may be wrong);
- `auto_ingest_off`: decided automatically, but automatic filing is off (review;
  waiting.py's `held_for_review`);
- `better_copy` / `duplicate_not_better`: Plex holds it, and this copy is better (filed as a
  version beside Plex's, or asked about) or not (asked about, or skipped): versions.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from ..identify.quality import from_path
from .transfer import TransferMode

if TYPE_CHECKING:
    from pathlib import Path

    from ..identify.identifier import Identification
    from ..library.records import Existing
    from .sources import SourceFile
    from .versions import Comparison

TARGET_OUTSIDE_ROOT = "target_outside_root"
ALREADY_INGESTED = "already_ingested"
DESTINATION_EXISTS = "destination_exists"
ALREADY_IN_LIBRARY = "already_in_library"
NOT_THE_FEATURE = "not_the_feature"
WAITING_FOR_PLEX = "waiting_for_plex"
LIBRARY_INCOMPLETE = "library_incomplete"
AUTO_INGEST_OFF = "auto_ingest_off"
# Candidates kept in the history for the review queue.
CANDIDATES_KEPT = 5


class Action(StrEnum):
    """What executing a plan does with a file."""

    TRANSFER = "transfer"
    REVIEW = "review"
    MANUAL = "manual"
    SKIP = "skip"
    WAIT = "wait"  # until Plex's library has been read (`waiting_for_plex`)


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
    file_extras: bool = True  # trailers, featurettes... filed with their film (extras.py)
    when_held: str = "ask"  # versions.WhenHeld: a copy of what Plex has (Home Assistant: version)

    def root(self, library: str) -> Path:
        """The library root for `movies` or `tv`."""
        return self.movies_root if library == "movies" else self.tv_root


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
    extra: str | None = None  # the Plex extras folder of an extra filed with its film
    comparison: Comparison | None = None  # against Plex's copy, when it has one (versions.py)

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
            "quality": self.comparison.as_json() if self.comparison else None,
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
            quality=quality_report(str(self.source.path), self.comparison),
        )
        return record


def quality_report(path: str, comparison: Comparison | None) -> dict[str, Any]:
    """What plan and identify say of a copy's quality: against Plex's copy, or on its own."""
    if comparison is not None:
        return comparison.as_json()
    return {"decision": None, "better": None, "new": from_path(path).as_json(), "existing": None}
