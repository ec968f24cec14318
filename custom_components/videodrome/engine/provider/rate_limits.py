"""Bounds for a service anyone on the network may call: caches, rate limits, log throttles.

- `TTLCache` and `ClientRateLimiter` hold at most `max_entries` keys (the least recently used
  go first), so a flood of distinct requests or client addresses cannot grow memory without
  bound;
- `BookingLimiter` keeps one kind of traffic to its share of a rate, booking slots ahead;
- `Throttle` lets one event in `interval` seconds through (for log lines a client can cause).

All read time from an injected clock, so tests drive time instead of sleeping.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable


class TTLCache[K: Hashable, V]:
    """Values that expire `ttl` seconds after they were put."""

    def __init__(
        self, ttl: float, *, max_entries: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Keep values for `ttl` seconds, at most `max_entries` of them."""
        if ttl <= 0 or max_entries < 1:
            raise ValueError("a TTL cache needs a positive ttl and room for one entry")
        self.ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value for `key`, unless it is missing or has expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        """Remember `value` for `ttl` seconds (the cache's own TTL when None)."""
        self._entries[key] = (self._clock() + (self.ttl if ttl is None else ttl), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def __len__(self) -> int:
        """How many entries are held (expired ones included until they are looked up)."""
        return len(self._entries)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class ClientRateLimiter:
    """A token bucket per client: `burst` requests at once, then `rate` per second."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        max_clients: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Refill every client's bucket at `rate` tokens per second, up to `burst`."""
        if rate <= 0 or burst < 1 or max_clients < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least one")
        self.rate = rate
        self.burst = burst
        self._max = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def admit(self, client: str) -> float:
        """Take a token for `client`: 0 when admitted, else the seconds until one is free."""
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(self.burst, now)
            # A client forgotten to make room starts again with a full bucket: the bound on
            # memory matters more than the few requests that lets through.
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        else:
            elapsed = max(now - bucket.updated, 0.0)
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
            bucket.updated = now
            self._buckets.move_to_end(client)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


class BookingLimiter:
    """A token bucket that books slots ahead: `burst` at once, then `rate` a second at most.

    Over any `t` seconds at most `burst + rate * t` slots start, however many ask. A slot up to
    `max_wait` seconds away is booked (the caller waits for it); a later one is refused.
    """

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        max_wait: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Refill at `rate` tokens per second up to `burst`; book at most `max_wait` ahead."""
        if rate <= 0 or burst < 1 or max_wait < 0:
            raise ValueError("a booking limiter needs a positive rate and a burst of at least one")
        self.rate = rate
        self.burst = burst
        self.max_wait = max_wait
        self._clock = clock
        self._tokens = burst
        self._updated = clock()

    def book(self) -> tuple[bool, float]:
        """(True, seconds until the booked slot) or (False, seconds until one may be booked)."""
        now = self._clock()
        elapsed = max(now - self._updated, 0.0)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._updated = now
        wait = max(1.0 - self._tokens, 0.0) / self.rate
        if wait > self.max_wait:
            return False, wait - self.max_wait
        self._tokens -= 1.0
        return True, wait


class Throttle:
    """One event per `interval` seconds; the others are counted until the next one passes."""

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        """Let an event through at most every `interval` seconds."""
        self.interval = interval
        self._clock = clock
        self._next = float("-inf")
        self._held = 0

    def ready(self) -> int | None:
        """None: hold this event back. Else how many were held back since the last one."""
        now = self._clock()
        if now < self._next:
            self._held += 1
            return None
        self._next = now + self.interval
        held, self._held = self._held, 0
        return held
