"""The TTL cache, the rate limits and the log throttle, with time driven by the test."""

from __future__ import annotations

import pytest

from custom_components.videodrome.engine.provider.rate_limits import (
    BookingLimiter,
    ClientRateLimiter,
    Throttle,
    TTLCache,
)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_values_expire_after_their_ttl() -> None:
    clock = Clock()
    cache: TTLCache[str, int] = TTLCache(60, clock=clock)
    cache.put("a", 1)
    cache.put("b", 2, ttl=5)
    clock.now += 4.9
    assert (cache.get("a"), cache.get("b")) == (1, 2)
    clock.now += 0.1
    assert cache.get("b") is None
    assert cache.get("a") == 1
    clock.now += 55
    assert cache.get("a") is None
    assert len(cache) == 0
    assert cache.get("never") is None


def test_cache_holds_at_most_max_entries_least_recent_out() -> None:
    cache: TTLCache[int, int] = TTLCache(60, max_entries=2, clock=Clock())
    cache.put(1, 1)
    cache.put(2, 2)
    assert cache.get(1) == 1  # 1 is now the most recent
    cache.put(3, 3)
    assert cache.get(2) is None
    assert (cache.get(1), cache.get(3)) == (1, 3)
    cache.clear()
    assert len(cache) == 0


def test_cache_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        TTLCache(0)
    with pytest.raises(ValueError, match="positive"):
        TTLCache(1, max_entries=0)


def test_each_client_gets_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = ClientRateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.admit("a") for _ in range(3)] == [0, 0, 0]
    wait = limiter.admit("a")
    assert wait == pytest.approx(0.5)
    assert limiter.admit("b") == 0  # another client has its own bucket
    clock.now += 0.5
    assert limiter.admit("a") == 0
    assert limiter.admit("a") > 0
    clock.now += 100  # refills up to the burst, not beyond
    assert [limiter.admit("a") for _ in range(4)][-1] > 0


def test_clock_going_back_refills_nothing() -> None:
    clock = Clock()
    limiter = ClientRateLimiter(rate=1, burst=1, clock=clock)
    assert limiter.admit("a") == 0
    clock.now -= 50
    assert limiter.admit("a") == pytest.approx(1.0)


def test_clients_beyond_the_bound_are_forgotten() -> None:
    clock = Clock()
    limiter = ClientRateLimiter(rate=1, burst=1, max_clients=2, clock=clock)
    assert limiter.admit("a") == 0
    assert limiter.admit("a") > 0
    limiter.admit("b")
    limiter.admit("c")  # "a" is forgotten to make room
    assert limiter.admit("a") == 0


def test_limiter_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        ClientRateLimiter(0, 1)
    with pytest.raises(ValueError, match="positive"):
        ClientRateLimiter(1, 0.5)


def test_booking_a_burst_then_slots_spaced_by_the_rate() -> None:
    clock = Clock()
    limiter = BookingLimiter(rate=10, burst=3, max_wait=0.25, clock=clock)
    assert [limiter.book() for _ in range(3)] == [(True, 0.0)] * 3
    assert [(ok, round(wait, 3)) for ok, wait in (limiter.book(), limiter.book())] == [
        (True, 0.1),
        (True, 0.2),
    ]
    # The next slot is 0.3 s away, past the 0.25 s a caller may wait: refused, nothing booked.
    ok, retry = limiter.book()
    assert (ok, round(retry, 3)) == (False, 0.05)
    clock.now += 0.06
    ok, wait = limiter.book()
    assert (ok, round(wait, 3)) == (True, 0.24)


def test_booked_slots_never_exceed_burst_plus_rate() -> None:
    """However many ask, over any t seconds at most burst + rate * t slots start."""
    clock = Clock()
    limiter = BookingLimiter(rate=10, burst=3, max_wait=2, clock=clock)
    starts: list[float] = []
    for _ in range(200):  # 20 s of asking, 100 times a second
        for _ in range(10):
            ok, wait = limiter.book()
            if ok:
                starts.append(clock.now + wait)
        clock.now += 0.1
    starts.sort()
    for i, first in enumerate(starts):
        for window in (0.5, 1.0, 5.0):
            inside = sum(1 for t in starts[i:] if t < first + window)
            assert inside <= 3 + 10 * window + 1e-9
    assert len(starts) >= 10 * 20  # and the rate is used, not wasted


def test_booking_refuses_nonsense() -> None:
    for rate, burst, max_wait in ((0, 1, 1), (1, 0.5, 1), (1, 1, -1)):
        with pytest.raises(ValueError, match="booking limiter"):
            BookingLimiter(rate, burst, max_wait=max_wait)


def test_throttle_lets_one_event_through_per_interval_and_counts_the_rest() -> None:
    clock = Clock()
    throttle = Throttle(60, clock=clock)
    assert throttle.ready() == 0
    assert [throttle.ready() for _ in range(5)] == [None] * 5
    clock.now += 59.9
    assert throttle.ready() is None
    clock.now += 0.1
    assert throttle.ready() == 6
    assert throttle.ready() is None
