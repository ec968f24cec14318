"""Keep Python's full garbage collections out of a burst of files.

Python's collector is generational. A young collection looks at the objects made since the
last one, a middle collection at those that survived young ones; each takes a few milliseconds.
A full collection looks at every object of the process: in Home Assistant, with the recorder
and a few hundred entities, about 400,000 objects and 0.2-0.3 s on a 2-core machine, during
which nothing else runs (no automation, no frontend, no Z-Wave).

Python starts a full collection once the objects that middle collections moved into the oldest
generation since the last full one reach a quarter of it, counted when they move, whether they
are still alive or not. A middle collection moves whatever is alive at that moment: during a
burst, mostly what is in flight (recorder rows waiting for their commit, events, requests), and
the same in-flight work is counted again at each middle collection. At Python's defaults (one
middle collection every 10 young ones), a burst of 10,000 files counted enough to start four.

While a holder (an entry's watcher, from the arrival of a burst of files until the last one
is filed) has files to work through, `FullCollectionDeferral`:
- runs middle collections `MIDDLE_SPACING` times less often, so what is in flight is counted
  that many times less often (what the burst keeps is counted all the same); young collections
  go on as before;
- raises the oldest generation's threshold, so that no full collection starts meanwhile.
When the last holder lets go, the thresholds in place before are put back. A full collection
then starts only if what was moved since the last one has reached the quarter (bench.load_ha,
10,000 files, counted from a full collection just before the drop: the burst moved 76 % of
the quarter, and no full collection ran).

Bounds:
- A hold lasts at most `max_hold` seconds. Then the thresholds are put back until one full
  collection has run (cyclic garbage in the oldest generation waits no longer than that),
  and the next `hold()` defers again.
- Thresholds someone else changed while we held are left as they are.

It is process-wide, so there is one (`DEFERRAL`) shared by every config entry.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

# The oldest generation's threshold while deferring: more middle collections than a process
# runs in years (one every few seconds at most).
DEFERRED_THRESHOLD = 1 << 30
# While deferring, middle collections run this many times less often (Python's default: one
# every 10 young collections; then one every 200).
MIDDLE_SPACING = 20
MAX_HOLD = 30 * 60.0  # seconds
OLDEST = 2


class FullCollectionDeferral:
    """Holders defer full collections; the last one to let go restores the thresholds."""

    def __init__(
        self, *, max_hold: float = MAX_HOLD, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """At most `max_hold` seconds at a time, measured with `clock`."""
        if max_hold <= 0:
            raise ValueError("max_hold must be positive")
        self.max_hold = max_hold
        self._clock = clock
        self._holders: set[object] = set()
        self._saved: tuple[int, int, int] | None = None  # the thresholds to put back
        self._deferred: tuple[int, int, int] | None = None  # the thresholds we set
        self._since = 0.0
        self._waiting_for_full = False  # max_hold passed: let one full collection run
        self.deferrals = 0  # how many times full collections were deferred (diagnostics)
        self.overdue_releases = 0  # how many times max_hold let one run mid-burst

    def deferring(self) -> bool:
        """Whether full collections are deferred now."""
        return self._saved is not None

    @property
    def holders(self) -> int:
        """How many holders hold the deferral."""
        return len(self._holders)

    def hold(self, holder: object) -> None:
        """`holder` has work: defer full collections (again, once an overdue one has run)."""
        self._holders.add(holder)
        if self._saved is not None:
            if self._clock() - self._since >= self.max_hold:
                self._restore("held for max_hold: one full collection may run")
                self.overdue_releases += 1
                self._waiting_for_full = True
                gc.callbacks.append(self._on_collection)
            return
        if self._waiting_for_full:
            return
        self._drop_callback()
        self._defer()

    def release(self, holder: object) -> None:
        """`holder` is done; the last one to let go puts the thresholds back."""
        self._holders.discard(holder)
        if not self._holders:
            self._restore("no more files to work through")

    def _defer(self) -> None:
        thresholds = gc.get_threshold()
        deferred = (thresholds[0], thresholds[1] * MIDDLE_SPACING, DEFERRED_THRESHOLD)
        self._saved = thresholds
        self._deferred = deferred
        self._since = self._clock()
        self.deferrals += 1
        gc.set_threshold(*deferred)
        _LOGGER.debug("Deferring full garbage collections (thresholds were %s)", thresholds)

    def _restore(self, why: str) -> None:
        """Put the saved thresholds back, if deferring (else nothing to do)."""
        saved, self._saved = self._saved, None
        if saved is None:
            return
        held = self._clock() - self._since
        current = gc.get_threshold()
        if current != self._deferred:
            _LOGGER.debug("Garbage collector thresholds changed meanwhile (%s): kept", current)
            return
        gc.set_threshold(saved[0], saved[1], saved[2])
        _LOGGER.debug("Full garbage collections resume after %.0f s: %s", held, why)

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        """A gc callback: once a full collection has run, `hold()` may defer again.

        It stays registered until then: removing it while Python goes through the callbacks
        would skip the next one. The next `hold()` that defers removes it.
        """
        if phase == "stop" and info.get("generation") == OLDEST:
            self._waiting_for_full = False

    def _drop_callback(self) -> None:
        if self._on_collection in gc.callbacks:
            gc.callbacks.remove(self._on_collection)


DEFERRAL = FullCollectionDeferral()
