"""The TTL cache and the per-client rate limit, with time driven by the test."""

from __future__ import annotations

import pytest

from custom_components.videodrome.engine.limits import ClientRateLimiter, TTLCache


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
