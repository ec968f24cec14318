"""What clients of the metadata provider can make it do: bounded, because anyone may ask.

Plex calls the provider without authentication, so whoever knows its address decides what it
asks. Three bounds keep that from costing ingest anything:

- `MAX_TMDB_REQUESTS` requests go out to TMDb for one provider request, at most (answers from a
  cache are free). A request that needs more is refused once it has made them, with
  `ProviderBusyError` (503): what it fetched stays cached, so asking again continues where it
  stopped. Plex stores what a provider answers (an empty match is "no match", a partial page
  is missing episodes), so a refusal is better than an answer cut short.
- All provider requests together keep to `TMDB_SHARE` of TMDb's rate (`tmdb.DEFAULT_RATE`),
  with a bucket of their own consulted before the shared client's limiter, so ingest always
  has the rest. A slot up to `MAX_WAIT` seconds away is waited for; a later one is refused
  (503 with Retry-After).
- File names read for the provider wait in a queue of `MAX_QUEUED_PARSES` (its own guessit
  process reads them, at a lower priority, see `identify/guessit_process.py`); past it, 503.

The Stash provider is bounded the same way (`StashLimits`): at most `MAX_STASH_REQUESTS`
requests to Stash for one provider request (a match reads at most that many pages), all of
them within `STASH_RATE` requests a second, so that a flood of requests cannot keep Stash's
database busy (a search by file name is a scan of its files' paths).
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from dataclasses import dataclass, field
import time
from typing import TYPE_CHECKING, Final, Self

from ..stash.client import MAX_PAGES, request_gate as stash_request_gate
from ..tmdb.client import DEFAULT_RATE, request_gate
from .errors import ProviderBusyError
from .rate_limits import BookingLimiter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

MAX_TMDB_REQUESTS: Final = 3
TMDB_SHARE: Final = 0.25
MAX_WAIT: Final = 2.0
MAX_QUEUED_PARSES: Final = 4
PARSE_RETRY_AFTER: Final = 2.0  # guessit's time limit for one name
MAX_STASH_REQUESTS: Final = MAX_PAGES
STASH_RATE: Final = 40.0
STASH_BURST: Final = 80.0


class RequestBudget:
    """The requests one provider request may still make: the gate of TMDb's or Stash's client.

    (`tmdb.client.request_gate`, `stash.client.request_gate`.)
    """

    def __init__(
        self, share: BookingLimiter, limit: int = MAX_TMDB_REQUESTS, service: str = "TMDb"
    ) -> None:
        """At most `limit` requests, each within the provider's `share` of `service`'s rate."""
        self._share = share
        self.limit = limit
        self.service = service
        self.made = 0

    async def __call__(self, path: str) -> None:
        """Let one more request go out (after its slot in the share), or refuse it."""
        del path  # every request costs the same
        if self.made >= self.limit:
            raise ProviderBusyError(
                f"this answer needs more {self.service} requests: ask again", 1.0
            )
        booked, seconds = self._share.book()
        if not booked:
            raise ProviderBusyError(f"the provider's share of {self.service} is used up", seconds)
        self.made += 1
        if seconds > 0:
            await asyncio.sleep(seconds)


class ParseQueue:
    """File names waiting to be read (and being read) for the provider: a bounded queue."""

    def __init__(self, size: int = MAX_QUEUED_PARSES) -> None:
        """Hold at most `size` names."""
        self.size = size
        self.queued = 0

    @contextmanager
    def place(self) -> Iterator[None]:
        """Hold a place while a name is read; ProviderBusyError when there is none."""
        if self.queued >= self.size:
            raise ProviderBusyError("too many file names wait to be read", PARSE_RETRY_AFTER)
        self.queued += 1
        try:
            yield
        finally:
            self.queued -= 1


@dataclass(slots=True)
class ProviderLimits:
    """The bounds the providers of one TMDb client share (the movie and the TV provider)."""

    share: BookingLimiter
    parses: ParseQueue = field(default_factory=ParseQueue)
    max_requests: int = MAX_TMDB_REQUESTS

    @classmethod
    def create(cls, clock: Callable[[], float] = time.monotonic) -> Self:
        """`TMDB_SHARE` of TMDb's rate, a burst of one request's worth."""
        share = BookingLimiter(
            TMDB_SHARE * DEFAULT_RATE, MAX_TMDB_REQUESTS, max_wait=MAX_WAIT, clock=clock
        )
        return cls(share)

    @contextmanager
    def metered(self) -> Iterator[RequestBudget]:
        """Within: every request to TMDb from this context (and tasks it starts) is budgeted."""
        budget = RequestBudget(self.share, self.max_requests)
        token = request_gate.set(budget)
        try:
            yield budget
        finally:
            request_gate.reset(token)


@dataclass(slots=True)
class StashLimits:
    """The bounds of one Stash provider: its rate of requests to Stash, and per request."""

    share: BookingLimiter
    max_requests: int = MAX_STASH_REQUESTS

    @classmethod
    def create(cls, clock: Callable[[], float] = time.monotonic, rate: float = STASH_RATE) -> Self:
        """`rate` requests a second (`STASH_BURST` at once), a slot up to `MAX_WAIT` ahead."""
        return cls(BookingLimiter(rate, STASH_BURST, max_wait=MAX_WAIT, clock=clock))

    @contextmanager
    def metered(self) -> Iterator[RequestBudget]:
        """Within: every request to Stash from this context is budgeted."""
        budget = RequestBudget(self.share, self.max_requests, service="Stash")
        token = stash_request_gate.set(budget)
        try:
            yield budget
        finally:
            stash_request_gate.reset(token)
