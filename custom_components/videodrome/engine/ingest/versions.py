"""A copy of something Plex already has: better or not, and where a better one is filed.

Plex shows several files of one film (or one episode) as **versions** of the same item when
they sit in the same folder: `Dune (2021) {tmdb-438631}/Dune (2021) - 2160p Remux.mkv`
beside `Dune (2021).mkv`. The option "When Plex already has it" (`WhenHeld`) says what
happens to a new copy of a film or episode Plex holds:

- `version` (the default in Home Assistant): a better copy (identify/quality.py's rule; a
  PROPER or REPACK of the same quality counts) is filed as a version beside Plex's copy
  (`better_copy`); one that is not better waits for a person (`already_in_library` and
  `duplicate_not_better`);
- `ask`: every copy waits for a person (`already_in_library`), as before issue 25;
- `skip`: a better copy is filed as a version; one that is not better is skipped
  (`duplicate_not_better`), its source untouched.

Nothing is ever replaced or deleted: the older copy stays where it is, and a version's name
is one no file in that folder has. A version goes only where Home Assistant sees Plex's
copy, inside the library root; when it cannot (no path mapping covers Plex's path, the
folder lies outside the root, a film in parts), the copy waits for a person.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..availability import log_failure
from ..errors import VideodromeError
from ..identify.quality import Quality, from_media, from_path, is_better
from ..plex.scan import PLEX_MATCHED, Verification
from .destination import check_destination, within
from .plan import ALREADY_IN_LIBRARY, DESTINATION_EXISTS, Action

if TYPE_CHECKING:
    from ..blocking import BlockingRunner
    from ..identify.identifier import Identification
    from ..library.records import Existing
    from ..plex.scan import PlexSync

_LOGGER = logging.getLogger(__name__)

BETTER_COPY = "better_copy"
# Plex matched a version to the right title but made it an item of its own (not merged).
PLEX_NOT_GROUPED = "plex_not_grouped"
DUPLICATE_NOT_BETTER = "duplicate_not_better"
# Names tried for a version before it waits for a person: "… - 2160p", "… - 2160p (2)" …
MAX_NAME_TRIES = 9


class WhenHeld(StrEnum):
    """What to do with a copy of something Plex already has (the option)."""

    VERSION = "version"  # better: a new version; not better: ask
    ASK = "ask"  # always ask (review)
    SKIP = "skip"  # better: a new version; not better: skipped


class Decision(StrEnum):
    """What was decided for the copy, as the plan, the history and the events say it."""

    VERSION = "version"  # filed (or to be filed) as a version beside Plex's copy
    ASK = "ask"  # waits for a person
    SKIP = "skip"  # not better: left where it is


@dataclass(frozen=True, slots=True)
class Comparison:
    """The new copy's quality against the one Plex holds, and what was decided."""

    new: Quality
    existing: Quality
    better: bool
    decision: Decision
    existing_file: str | None = None  # as Plex sees it
    existing_key: str | None = None  # the rating key of Plex's item (the film or the episode)

    def as_json(self) -> dict[str, Any]:
        """For the plan, the history (the `quality` column), events and the review card."""
        return {
            "decision": str(self.decision),
            "better": self.better,
            "new": self.new.as_json(),
            "existing": {
                **self.existing.as_json(),
                "file": self.existing_file,
                "rating_key": self.existing_key,
            },
        }


@dataclass(frozen=True, slots=True)
class Held:
    """A planned file's action, reasons and destination once Plex's copy was considered."""

    action: Action
    reasons: tuple[str, ...]
    comparison: Comparison
    destination: Path | None = None  # a version's (None: the plan's stays)
    companions: tuple[tuple[Path, Path], ...] = ()


def compare(source: Path, existing: Existing) -> tuple[Quality, Quality, bool]:
    """The new copy's quality (its name, else its folder's), Plex's copy's, and "better?"."""
    new = from_path(str(source))
    old = from_media(
        existing.file,
        resolution=existing.resolution,
        codec=existing.video_codec,
        bitrate=existing.bitrate,
        container=existing.container,
    )
    return new, old, is_better(new, old)


async def consider(
    when_held: WhenHeld,
    found: Identification,
    source: Path,
    existing: Existing,
    *,
    action: Action,
    reasons: tuple[str, ...],
    planned: Path,
    root: Path,
    run_blocking: BlockingRunner,
) -> Held:
    """Decide for a copy of something Plex holds (`action`: what identification alone decided).

    `reasons` already say `already_in_library`; `planned` is where the copy would go had Plex
    not held it. A better copy decided automatically is given a version's destination.
    """
    new, old, better = compare(source, existing)

    def held(decision: Decision, action: Action, reasons: tuple[str, ...]) -> Held:
        comparison = Comparison(new, old, better, decision, existing.file, existing.rating_key)
        return Held(action, reasons, comparison)

    if when_held is WhenHeld.ASK:
        return held(Decision.ASK, Action.REVIEW, reasons)
    if not better:
        if when_held is WhenHeld.SKIP:
            kept = tuple(r for r in reasons if r != ALREADY_IN_LIBRARY)
            return held(Decision.SKIP, Action.SKIP, (*kept, DUPLICATE_NOT_BETTER))
        return held(Decision.ASK, Action.REVIEW, (*reasons, DUPLICATE_NOT_BETTER))
    if action is not Action.TRANSFER or found.parsed.part is not None:
        # Uncertain identification (or a film in parts): a person decides; approving files it.
        return held(Decision.ASK, Action.REVIEW, (*reasons, BETTER_COPY))
    # Where Home Assistant sees Plex's copy; without a path mapping, Plex's own path (used
    # only when it lies inside the library root, that is when both see the same path).
    local = existing.local_file or existing.file
    folder = Path(local).parent if local else None
    if folder is None or not within(folder, root) or folder == root:
        return held(Decision.ASK, Action.REVIEW, (*reasons, BETTER_COPY))
    name = version_name(planned.name, found, new)
    placed = await run_blocking(lambda: _place(source, folder, name, root))
    if placed is None:
        return held(Decision.ASK, Action.REVIEW, (*reasons, BETTER_COPY))
    destination, companions, state = placed
    if state is not None:  # this very copy is there already, as a version
        return held(Decision.SKIP, Action.SKIP, (*reasons, state))
    kept = tuple(r for r in reasons if r != ALREADY_IN_LIBRARY)
    comparison = Comparison(new, old, better, Decision.VERSION, existing.file, existing.rating_key)
    return Held(Action.TRANSFER, (*kept, BETTER_COPY), comparison, destination, companions)


def version_name(planned: str, found: Identification, quality: Quality) -> str:
    """The planned file name with the copy's quality as its suffix: `Dune (2021) - 2160p.mkv`.

    Naming (identify/naming.py) puts the name's screen size and source at the end, `- 1080p
    BluRay` for a film and `[1080p BluRay]` for an episode: that is replaced by the label of
    the quality model, which also names a PROPER (`720p HDTV Proper`), keeping each kind's form.
    """
    stem, ext = os.path.splitext(planned)  # noqa: PTH122 (a name, not a path)
    parsed = found.parsed
    tail = " ".join(part for part in (parsed.screen_size, parsed.source) if part)
    episode = found.library == "tv"
    for suffix in (f" [{tail}]", f" - {tail}") if tail else ():
        if stem.endswith(suffix):
            stem = stem.removesuffix(suffix)
            break
    label = quality.label()
    return f"{stem} [{label}]{ext}" if episode else f"{stem} - {label}{ext}"


def _place(
    source: Path, folder: Path, name: str, root: Path
) -> tuple[Path, tuple[tuple[Path, Path], ...], str | None] | None:
    """A free name in `folder` for the version and its companions; None when there is none.

    The state is `already_ingested` when the same file is already under a version's name.
    Blocking.
    """
    stem, ext = os.path.splitext(name)  # noqa: PTH122 (a name, not a path)
    for attempt in range(1, MAX_NAME_TRIES + 1):
        candidate = folder / (name if attempt == 1 else f"{stem} ({attempt}){ext}")
        checked = check_destination(source, candidate, root)
        if checked is None:
            return None  # the folder leads out of the library root
        companions, state = checked
        if state != DESTINATION_EXISTS:
            return candidate, tuple(companions), state
    return None


async def check_grouped(
    sync: PlexSync, comparison: Comparison, verification: Verification, *, merge: bool
) -> Verification:
    """After Plex's check of a version: whether it is under the same item as Plex's copy.

    Plex groups a version with the copy in the same folder; one it matched on its own is an
    item of its own. Then, as a wrong match is (`MatchFix.AUTO`, `merge`), Plex is asked to
    merge it into the item that holds the older copy; otherwise, or when Plex refuses, it
    is recorded: `plex_not_grouped`.
    """
    new_key, old_key = verification.rating_key, comparison.existing_key
    if verification.status != PLEX_MATCHED or new_key is None or old_key is None:
        return verification
    if new_key == old_key:
        return verification
    if merge:
        try:
            await sync.client.merge(int(old_key), [int(new_key)])
        except (VideodromeError, ValueError) as err:
            log_failure(
                _LOGGER, err, "Plex could not merge item %s into %s: %s", new_key, old_key, err
            )
        else:
            return replace(verification, rating_key=old_key)
    return replace(verification, status=PLEX_NOT_GROUPED)
