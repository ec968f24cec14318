"""Whether TMDb or Plex answers: one line in the log when it goes, one when it is back.

While a service is down, every waiting file fails the same way at every rescan; logging each
of those is a flood that hides everything else. So the clients (`PlexClient`, `TMDbClient`)
tell an `Availability` how each request ended, and it logs the transitions only: a warning
when the service stops answering (with the reason, whose text never holds a token or key:
the engine's errors are built from request paths) and an info when it answers again (with how
long it was away). What happened to each file is for debug level (`log_failure`).

A service that flaps (an answer, a failure, an answer...) would still make a pair of lines
per flap, so after a warning the next one waits `QUIET` seconds: an outage that starts within
them is announced once they have passed, if it is still going on, and its end only if it was.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from .errors import ServiceAnswerError, ServiceError

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

# After a warning, the least time before the next: a flapping service warns once per QUIET.
QUIET = 15 * 60.0
_MINUTE = 60
_HOUR = 3600


def is_outage(err: BaseException) -> bool:
    """Whether an error means the service is not answering as it should.

    Unreachable, timed out, 5xx, rate limited past the retries, malformed answers: yes. A
    refused token or key (the repair and reauthentication flows say so), something that does
    not exist, or a match Plex would not take: the service answered, so no.
    """
    return isinstance(err, ServiceError) and not isinstance(err, ServiceAnswerError)


def log_failure(logger: logging.Logger, err: BaseException, message: str, *args: object) -> None:
    """Log one file's failure: debug for an outage (its client's `Availability` says it once).

    Anything else (a file Plex has no library for, a title TMDb does not know) stays a warning.
    """
    logger.log(logging.DEBUG if is_outage(err) else logging.WARNING, message, *args)


def duration(seconds: float) -> str:
    """`45 s`, `10 min`, `2 h 5 min`."""
    whole = max(round(seconds), 0)
    if whole < _MINUTE:
        return f"{whole} s"
    minutes = round(whole / _MINUTE)
    if minutes < _HOUR // _MINUTE:
        return f"{minutes} min"
    hours, rest = divmod(minutes, _HOUR // _MINUTE)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


class Availability:
    """One service's state for one config entry, fed by its client after every request.

    Called on the event loop only (the clients are async). `clock` is seconds; the
    integration passes Home Assistant's, so tests can move it forward.
    """

    def __init__(
        self,
        service: str,
        label: str | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger = _LOGGER,
    ) -> None:
        """Track `service` ("TMDb", "Plex"); `label` (the entry's title) names whose it is."""
        self.name = f"{service} ({label})" if label else service
        self._clock = clock
        self._logger = logger
        self.down_since: float | None = None  # None: answering
        self._announced = False  # this outage was logged as a warning
        self._warned_at: float | None = None
        self.reason: str | None = None  # the first failure of the current outage
        # Told True when the service answers again after failing, False when it stops
        # answering (called on the event loop, at once: they should only schedule work).
        self.listeners: list[Callable[[bool], None]] = []

    @property
    def available(self) -> bool:
        """Whether the last request got an answer."""
        return self.down_since is None

    def report(self, err: BaseException | None) -> None:
        """How a request ended: None (an answer) or its error (an outage or not)."""
        if err is None or not is_outage(err):
            self.succeeded()
        else:
            self.failed(err)

    def failed(self, err: BaseException) -> None:
        """A request got no proper answer: warn if that starts an outage (see QUIET)."""
        now = self._clock()
        if self.down_since is None:
            self.down_since = now
            self._announced = False
            self.reason = str(err)
            self._tell(available=False)
        if self._announced:
            self._logger.debug("%s still unavailable: %s", self.name, err)
            return
        if self._warned_at is not None and now - self._warned_at < QUIET:
            self._logger.debug("%s unavailable again (warned recently): %s", self.name, err)
            return
        self._announced = True
        self._warned_at = now
        if now - self.down_since < 1:
            self._logger.warning("%s is unavailable: %s", self.name, err)
        else:
            self._logger.warning(
                "%s has been unavailable for %s: %s",
                self.name,
                duration(now - self.down_since),
                err,
            )

    def succeeded(self) -> None:
        """A request got an answer: if an announced outage ends, say how long it lasted."""
        if self.down_since is None:
            return
        away = self._clock() - self.down_since
        level = logging.INFO if self._announced else logging.DEBUG
        self._logger.log(level, "%s is available again after %s", self.name, duration(away))
        self.down_since = None
        self._announced = False
        self.reason = None
        self._tell(available=True)

    def _tell(self, *, available: bool) -> None:
        for listener in list(self.listeners):
            listener(available)
