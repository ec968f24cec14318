"""Stash's answers, remembered for a while: a lifetime in seconds (0: not at all), bounded.

Holds bytes (a GraphQL answer as Stash sent it, an image), so that what it keeps costs the
garbage collector nothing to scan. Bounded by entries and by bytes: the least recently used
go first. The provider layer has a TTL cache of its own (provider/rate_limits.py); this one
sits below it, where the client can use it, and weighs what it holds.
"""

from __future__ import annotations

from collections import OrderedDict
import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

DEFAULT_TTL: Final = 300.0
MAX_ENTRIES: Final = 1024
MAX_BYTES: Final = 32 * 1024 * 1024


class AnswerCache:
    """Bytes by key, each kept `ttl` seconds after it was put."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep answers `ttl` seconds (0 turns the cache off)."""
        if ttl < 0 or max_entries < 1 or max_bytes < 1:
            raise ValueError("a cache lifetime is 0 (off) or more seconds, with room for one")
        self.ttl = ttl
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0

    @property
    def enabled(self) -> bool:
        """Whether anything is kept at all."""
        return self.ttl > 0

    @property
    def size(self) -> int:
        """How many bytes the entries hold (expired ones until they are looked up)."""
        return self._bytes

    def get(self, key: Hashable) -> bytes | None:
        """The answer for `key`, unless there is none or it has expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, body = entry
        if self._clock() >= expires:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return body

    def put(self, key: Hashable, body: bytes) -> None:
        """Remember `body` (not when the cache is off, nor when it is too big to keep)."""
        if not self.enabled or len(body) > self._max_bytes // 4:
            return
        self._drop(key)
        self._entries[key] = (self._clock() + self.ttl, body)
        self._bytes += len(body)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        """How many entries are held (expired ones until they are looked up)."""
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1])
