"""What a load of the library came to: each section's state, what is kept, when to try again.

Sections load independently (reading.py): one that fails leaves the others answering. Each
section's outcome is a `SectionLoad`: `complete`, `partial` (paging ended before Plex's total),
`failed` (nothing of it in the index) or `stale` (it could not be read again, and what it held
at its last complete read is kept). An index with a `partial` or `failed` section is
incomplete: "not found" from it may be wrong, and it says so. `settle()` decides what a new
snapshot takes from a load and what it keeps from the old one; `Backoff` says when to try a
failed or partial load again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

    from .reading import SectionContents, SectionRead
    from .records import Kind

# After a failed or partial load, the first retry (s); each next waits twice as long, up to
# RETRY_CAP; after the retry at the cap, the regular rebuild takes over.
RETRY_FIRST = 30.0
RETRY_CAP = 600.0


class LoadState(StrEnum):
    """How the last read of a section went."""

    COMPLETE = "complete"  # every item Plex listed is in the index
    PARTIAL = "partial"  # paging ended before Plex's total: some items are missing
    FAILED = "failed"  # it could not be read: none of its items are in the index
    STALE = "stale"  # it could not be read again: what it held before is kept

    @property
    def incomplete(self) -> bool:
        """Whether items of the section may be missing from the index."""
        return self in {LoadState.PARTIAL, LoadState.FAILED}


@dataclass(frozen=True, slots=True)
class SectionLoad:
    """One library section as the index holds it."""

    key: int
    kind: Kind
    title: str
    state: LoadState
    items: int = 0  # movies or shows held
    episodes: int = 0
    error: str | None = None  # why the last read did not complete

    def as_json(self) -> dict[str, Any]:
        """For diagnostics, service answers and the command line."""
        return {
            "id": self.key,
            "type": self.kind,
            "title": self.title,
            "state": self.state.value,
            "items": self.items,
            "episodes": self.episodes,
            "error": self.error,
        }


@dataclass(slots=True)
class Settled:
    """What a new snapshot is made of after a load."""

    fetched: dict[tuple[int, Kind], SectionContents] = field(default_factory=dict)
    dropped: set[int] = field(default_factory=set)  # sections gone from Plex
    kept: set[int] = field(default_factory=set)  # sections whose old contents stay
    loads: dict[int, SectionLoad] = field(default_factory=dict)


def settle(
    reads: Iterable[SectionRead],
    held: Collection[int],
    before: Mapping[int, SectionLoad],
    *,
    listed: Collection[int] | None = None,
) -> Settled:
    """Take what was read completely; where a read failed or stopped short, keep what was held.

    `held` are the sections the old snapshot holds and `before` their states. A section read
    in part replaces one held in part, never one held complete (which is kept, `stale`). With
    `listed` (every section Plex lists now), held sections no longer listed are dropped.
    """
    settled = Settled()
    for read in reads:
        old = None
        if read.key in held:  # held without a record (an index swapped in whole): complete
            old = before.get(read.key) or replace(read.load, state=LoadState.COMPLETE)
        whole_before = old is not None and not old.state.incomplete
        complete = read.load.state is LoadState.COMPLETE
        if read.contents is not None and (complete or not whole_before):
            settled.fetched[read.key, read.kind] = read.contents
            settled.loads[read.key] = read.load
        elif old is not None:
            settled.kept.add(read.key)
            state = LoadState.STALE if whole_before else old.state
            settled.loads[read.key] = replace(old, state=state, error=read.load.error)
        else:
            settled.loads[read.key] = read.load
    if listed is not None:
        settled.dropped = {key for key in held if key not in listed}
    return settled


@dataclass(slots=True)
class Backoff:
    """When to try a failed or partial load again: `first` s, doubling up to `cap`, then stop.

    `next_delay()` gives 30, 60, 120, 240, 480, 600 s (by default) and then None: from there
    the regular rebuild tries again. `reset()` after a load that completed.
    """

    first: float = RETRY_FIRST
    cap: float = RETRY_CAP
    failures: int = 0
    _spent: bool = False

    def next_delay(self) -> float | None:
        """Seconds until the next try, or None when the retries are spent."""
        if self._spent:
            return None
        delay = min(self.first * 2.0**self.failures, self.cap)
        self.failures += 1
        self._spent = delay >= self.cap
        return delay

    def reset(self) -> None:
        """A load completed: the next failure starts from `first` again."""
        self.failures = 0
        self._spent = False
