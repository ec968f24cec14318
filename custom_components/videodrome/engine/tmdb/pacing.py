"""Keeping to TMDb's rate: requests spaced out, and paused for as long as a 429 asks."""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

# The longest pause a `Retry-After` header can impose.
MAX_RETRY_AFTER = 60.0


class RateLimiter:
    """Spaces requests at least `1 / rate` seconds apart; `pause()` holds everyone back."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        """Allow `rate` requests per second."""
        self._interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0

    async def acquire(self) -> None:
        """Wait for the next free slot (slots are handed out in order, without a lock)."""
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """No request before `seconds` from now (TMDb said 429)."""
        self._next = max(self._next, self._clock() + seconds)


def retry_after_seconds(value: str | None) -> float:
    """Seconds from a `Retry-After` header (seconds or an HTTP date); 1 when absent or odd."""
    if not value:
        return 1.0
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except TypeError, ValueError:
            return 1.0
        seconds = when.timestamp() - time.time()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
