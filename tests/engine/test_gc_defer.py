"""The full-collection deferral, against Python's real garbage collector."""

from __future__ import annotations

from collections import deque
import gc
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.gc_defer import (
    DEFERRED_THRESHOLD,
    MAX_HOLD,
    MIDDLE_SPACING,
    OLDEST,
    FullCollectionDeferral,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# Low thresholds, so that a few thousand objects start collections of every generation.
TEST_THRESHOLDS = (200, 5, 5)
HELD = (200, 5 * MIDDLE_SPACING, DEFERRED_THRESHOLD)


@pytest.fixture(autouse=True)
def collector() -> Iterator[None]:
    """Known thresholds for each test; the process's own thresholds and callbacks afterwards."""
    thresholds = gc.get_threshold()
    callbacks = list(gc.callbacks)
    gc.set_threshold(*TEST_THRESHOLDS)
    yield
    gc.set_threshold(*thresholds)
    gc.callbacks[:] = callbacks


class Clock:
    """Seconds that a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _full_collections() -> int:
    return int(gc.get_stats()[OLDEST]["collections"])


def _promote(kept: list[list[Any]], cycles: int = 20_000) -> None:
    """Make `cycles` reference cycles; keep every other one (they get promoted)."""
    for n in range(cycles):
        cycle: list[Any] = []
        cycle.append(cycle)
        if n % 2 == 0:
            kept.append(cycle)


def _rounds_until_a_full_collection(
    kept: list[list[Any]], limit: int = 100, work: Callable[[list[list[Any]]], None] = _promote
) -> int:
    """How many rounds of `work` it takes for Python to start a full collection."""
    fulls = _full_collections()
    for rounds in range(1, limit + 1):
        work(kept)
        if _full_collections() > fulls:
            return rounds
    raise AssertionError(f"no full collection after {limit} rounds")


class InFlight:
    """Work that keeps nothing: each round, cyclic garbage (what makes young collections run)
    and objects that stay alive for a while, then are dropped (requests, rows waiting for a
    commit). Only a middle collection that runs while they are alive moves them."""

    def __init__(self) -> None:
        self.alive: deque[list[Any]] = deque(maxlen=3000)

    def __call__(self, _kept: list[list[Any]]) -> None:  # keeps nothing
        for _ in range(400):
            cycle: list[Any] = []
            cycle.append(cycle)
        for _ in range(100):
            self.alive.append([])


def test_a_hold_defers_full_collections_and_the_release_puts_the_thresholds_back() -> None:
    deferral = FullCollectionDeferral()
    assert not deferral.deferring()
    deferral.hold("worker")
    assert deferral.deferring()
    assert deferral.holders == 1
    # Young collections go on as before, middle ones less often; the oldest generation waits.
    assert gc.get_threshold() == HELD
    deferral.hold("worker")  # the next file: nothing changes
    assert deferral.deferrals == 1
    deferral.release("worker")
    assert not deferral.deferring()
    assert gc.get_threshold() == TEST_THRESHOLDS


def test_no_full_collection_runs_while_held_and_one_runs_after() -> None:
    kept: list[list[Any]] = []
    needed = _rounds_until_a_full_collection(kept)  # what starts one without the deferral
    deferral = FullCollectionDeferral()
    deferral.hold("worker")
    fulls = _full_collections()
    young, middle = (gc.get_stats()[n]["collections"] for n in (0, 1))
    for _ in range(3 * needed):
        _promote(kept)
    assert gc.get_stats()[0]["collections"] > young  # young and middle collections went on
    assert gc.get_stats()[1]["collections"] > middle
    assert _full_collections() == fulls
    deferral.release("worker")
    # What the burst kept was moved to the oldest generation all the same: one is due.
    assert _rounds_until_a_full_collection(kept) <= needed


def test_in_flight_work_under_a_hold_leaves_no_full_collection_due() -> None:
    """Spacing out middle collections is what keeps a burst from running up a full collection
    that would start as soon as the thresholds go back; deferring full ones alone does not."""
    kept: list[list[Any]] = []
    work = InFlight()
    gc.collect()
    needed = _rounds_until_a_full_collection(kept, work=work)  # without the deferral

    gc.collect()  # the oldest generation's count starts again
    deferral = FullCollectionDeferral()
    deferral.hold("worker")
    fulls = _full_collections()
    for _ in range(3 * needed):
        work(kept)
    assert _full_collections() == fulls
    deferral.release("worker")
    assert not kept
    # Three times the work that started one, and most of the way to the next is still ahead.
    spaced = _rounds_until_a_full_collection(kept, work=work)
    assert spaced > needed // 4

    # The same burst with only the oldest generation's threshold raised runs one up at once.
    gc.collect()
    gc.set_threshold(TEST_THRESHOLDS[0], TEST_THRESHOLDS[1], DEFERRED_THRESHOLD)
    for _ in range(3 * needed):
        work(kept)
    gc.set_threshold(*TEST_THRESHOLDS)
    assert _rounds_until_a_full_collection(kept, work=work) < spaced


def test_the_last_holder_to_let_go_puts_the_thresholds_back() -> None:
    deferral = FullCollectionDeferral()
    deferral.hold("first entry")
    deferral.hold("second entry")
    assert deferral.holders == 2
    deferral.release("first entry")
    assert deferral.deferring()
    assert gc.get_threshold() == HELD
    deferral.release("second entry")
    assert not deferral.deferring()
    assert gc.get_threshold() == TEST_THRESHOLDS


def test_releasing_without_a_hold_changes_nothing() -> None:
    deferral = FullCollectionDeferral()
    deferral.release("nobody")
    assert not deferral.deferring()
    assert gc.get_threshold() == TEST_THRESHOLDS


@pytest.mark.parametrize(
    "theirs",
    [(1000, 20, 30), (1000, *HELD[1:]), (200, 7, DEFERRED_THRESHOLD)],
    ids=["all three", "young only", "middle only"],
)
def test_thresholds_changed_by_someone_else_meanwhile_are_kept(
    theirs: tuple[int, int, int],
) -> None:
    deferral = FullCollectionDeferral()
    deferral.hold("worker")
    gc.set_threshold(*theirs)  # another part of the process tunes the collector
    deferral.release("worker")
    assert not deferral.deferring()
    assert gc.get_threshold() == theirs


def test_a_long_hold_lets_one_full_collection_run_then_defers_again() -> None:
    clock = Clock()
    deferral = FullCollectionDeferral(max_hold=60.0, clock=clock)
    deferral.hold("worker")
    clock.now += 59.0
    deferral.hold("worker")
    assert deferral.deferring()
    clock.now += 1.0
    deferral.hold("worker")  # held for max_hold: the thresholds go back
    assert not deferral.deferring()
    assert gc.get_threshold() == TEST_THRESHOLDS
    assert deferral.overdue_releases == 1
    # Until a full collection has run, further files do not defer again ...
    deferral.hold("worker")
    assert not deferral.deferring()
    gc.collect(1)  # a middle collection is not the one waited for
    deferral.hold("worker")
    assert not deferral.deferring()
    # ... and once one has, the next file defers again, with a fresh max_hold.
    gc.collect()
    deferral.hold("worker")
    assert deferral.deferring()
    assert deferral.deferrals == 2
    assert all(getattr(cb, "__self__", None) is not deferral for cb in gc.callbacks)
    clock.now += 59.0
    deferral.hold("worker")
    assert deferral.deferring()


def test_a_long_hold_lets_go_even_with_every_holder_gone() -> None:
    """Released while waiting for the overdue collection: nothing to restore, nothing held."""
    clock = Clock()
    deferral = FullCollectionDeferral(max_hold=60.0, clock=clock)
    deferral.hold("worker")
    clock.now += 61.0
    deferral.hold("worker")
    deferral.release("worker")
    assert deferral.holders == 0
    assert not deferral.deferring()
    assert gc.get_threshold() == TEST_THRESHOLDS


def test_max_hold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_hold"):
        FullCollectionDeferral(max_hold=0)
    assert FullCollectionDeferral().max_hold == MAX_HOLD
