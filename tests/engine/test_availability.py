"""Availability: one warning when a service goes, one info when it is back, fed by the clients.

The clock is a plain function the test moves; the clients talk to the real emulators, broken
with their fault knobs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.availability import (
    QUIET,
    Availability,
    duration,
    is_outage,
    log_failure,
)
from custom_components.videodrome.engine.ingest.errors import TransferError
from custom_components.videodrome.engine.plex.client import ClientInfo, PlexClient
from custom_components.videodrome.engine.plex.errors import (
    PlexAuthError,
    PlexConnectionError,
    PlexMatchError,
    PlexNotFoundError,
    PlexProtocolError,
    PlexTimeoutError,
)
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from custom_components.videodrome.engine.tmdb.errors import (
    TMDbAuthError,
    TMDbConnectionError,
    TMDbNotFoundError,
    TMDbProtocolError,
    TMDbRateLimitError,
)
from tests.conftest import PLEX_TOKEN
from tests.emulators.plex import PlexFaults
from tests.emulators.tmdb import TMDbFaults
from tests.engine.conftest import TMDB_KEY

if TYPE_CHECKING:
    import aiohttp

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.tmdb import TMDbEmulator

LOGGER = "custom_components.videodrome.engine.availability"


class Clock:
    """Seconds that the test moves on."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


def _up(tracker: Availability) -> bool:
    """Read afresh each time (mypy would take an asserted property as settled)."""
    return tracker.available


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tracker(clock: Clock, caplog: pytest.LogCaptureFixture) -> Availability:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    return Availability("TMDb", "Home", clock=clock)


def test_an_outage_is_one_warning_and_one_info(
    tracker: Availability, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """However many requests fail meanwhile."""
    tracker.succeeded()
    assert _up(tracker)
    for _ in range(500):
        tracker.failed(TMDbConnectionError("TMDb answered 503 for search/movie"))
        clock.now += 1.2
    assert not _up(tracker)
    assert tracker.reason == "TMDb answered 503 for search/movie"
    tracker.succeeded()
    tracker.succeeded()
    assert _up(tracker)
    assert _lines(caplog, logging.WARNING) == [
        "TMDb (Home) is unavailable: TMDb answered 503 for search/movie"
    ]
    assert _lines(caplog, logging.INFO) == ["TMDb (Home) is available again after 10 min"]
    assert len(_lines(caplog, logging.DEBUG)) == 499  # "still unavailable", one per failure


def test_answers_that_are_refusals_are_not_outages(
    tracker: Availability, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused key or a missing title: TMDb answered (the repair says the rest)."""
    tracker.report(TMDbAuthError("TMDb rejected the API key or token"))
    tracker.report(TMDbNotFoundError("TMDb has nothing at movie/1"))
    assert _up(tracker)
    tracker.report(TMDbRateLimitError("TMDb kept refusing search/tv with 429"))
    assert not _up(tracker)
    tracker.report(TMDbNotFoundError("TMDb has nothing at movie/1"))
    assert _up(tracker)
    assert len(_lines(caplog, logging.WARNING)) == 1
    assert _lines(caplog, logging.INFO) == ["TMDb (Home) is available again after 0 s"]


def test_a_flapping_service_warns_once_per_quiet_period(
    tracker: Availability, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Down and up every minute for an hour: a warning (and its info) per QUIET, no more."""
    error = TMDbConnectionError("cannot reach TMDb for search/movie")
    minutes = 60
    for _ in range(minutes):
        tracker.failed(error)
        clock.now += 30
        tracker.succeeded()
        clock.now += 30
    warnings = _lines(caplog, logging.WARNING)
    assert len(warnings) == minutes * 60 // QUIET
    assert len(_lines(caplog, logging.INFO)) == len(warnings)
    assert all(
        line == "TMDb (Home) is available again after 30 s" for line in _lines(caplog, logging.INFO)
    )


def test_an_outage_starting_soon_after_another_is_announced_late(
    tracker: Availability, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Held back by QUIET, then told with how long it has lasted; its end is told too."""
    error = TMDbConnectionError("TMDb did not answer in time for tv/1399")
    tracker.failed(error)
    clock.now += 60
    tracker.succeeded()
    clock.now += 60
    tracker.failed(error)  # two minutes after the warning: held back
    assert len(_lines(caplog, logging.WARNING)) == 1
    clock.now += QUIET
    tracker.failed(error)  # still down once QUIET has passed: now it is said
    clock.now += 300
    tracker.succeeded()
    assert _lines(caplog, logging.WARNING) == [
        "TMDb (Home) is unavailable: TMDb did not answer in time for tv/1399",
        "TMDb (Home) has been unavailable for 15 min: TMDb did not answer in time for tv/1399",
    ]
    assert _lines(caplog, logging.INFO) == [
        "TMDb (Home) is available again after 1 min",
        "TMDb (Home) is available again after 20 min",
    ]


def test_a_short_outage_that_was_never_announced_ends_quietly(
    tracker: Availability, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    error = PlexConnectionError("cannot reach Plex at plex:32400 (ClientConnectorError)")
    tracker.failed(error)
    tracker.succeeded()
    clock.now += 60
    tracker.failed(error)  # within QUIET of the warning
    clock.now += 60
    tracker.succeeded()
    assert len(_lines(caplog, logging.WARNING)) == 1
    assert len(_lines(caplog, logging.INFO)) == 1
    assert "available again after 1 min" in _lines(caplog, logging.DEBUG)[-1]


def test_without_a_label_the_service_alone_is_named(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    Availability("Plex").failed(PlexTimeoutError("Plex did not answer / in time"))
    assert _lines(caplog, logging.WARNING) == ["Plex is unavailable: Plex did not answer / in time"]


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (TMDbConnectionError("x"), True),
        (TMDbRateLimitError("x"), True),
        (TMDbProtocolError("x"), True),
        (TMDbAuthError("x"), False),
        (TMDbNotFoundError("x"), False),
        (PlexConnectionError("x"), True),
        (PlexTimeoutError("x"), True),
        (PlexProtocolError("x"), True),
        (PlexAuthError("x"), False),
        (PlexNotFoundError("x"), False),
        (PlexMatchError("x"), False),
        (TransferError("x"), False),
        (OSError("x"), False),
    ],
)
def test_what_is_an_outage(error: Exception, outage: bool) -> None:
    assert is_outage(error) is outage


def test_a_files_failure_is_debug_for_an_outage_else_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("custom_components.videodrome.engine.test")
    caplog.set_level(logging.DEBUG, logger=logger.name)
    log_failure(logger, PlexConnectionError("down"), "Plex scan of %s failed: %s", "a", "down")
    log_failure(logger, PlexNotFoundError("gone"), "Plex scan of %s failed: %s", "b", "gone")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, "Plex scan of a failed: down"),
        (logging.WARNING, "Plex scan of b failed: gone"),
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (44.6, "45 s"),
        (60, "1 min"),
        (629, "10 min"),
        (3600, "1 h"),
        (7500, "2 h 5 min"),
    ],
)
def test_durations(seconds: float, text: str) -> None:
    assert duration(seconds) == text


async def test_the_tmdb_client_reports_each_request(
    session: aiohttp.ClientSession,
    tmdb_emulator: TMDbEmulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """503s after the retries: down; an answer (even a 404): back. Cache hits say nothing."""
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    tracker = Availability("TMDb", "Home", clock=clock)
    tmdb = TMDbClient(
        session, api_key=TMDB_KEY, base_url=tmdb_emulator.url, backoff=0, availability=tracker
    )
    await tmdb.search_movie("The Matrix")
    tmdb_emulator.faults = TMDbFaults(fail_next=1000, fail_status=503)
    for year in range(1990, 2000):
        with pytest.raises(TMDbConnectionError):
            await tmdb.search_movie("The Matrix", year)
    assert await tmdb.search_movie("The Matrix")  # from memory: TMDb was not asked
    assert not _up(tracker)
    clock.now += 120
    tmdb_emulator.faults = TMDbFaults()
    with pytest.raises(TMDbNotFoundError):
        await tmdb.movie(999_999_999)
    assert _up(tracker)
    assert _lines(caplog, logging.WARNING) == [
        "TMDb (Home) is unavailable: TMDb answered 503 for search/movie"
    ]
    assert _lines(caplog, logging.INFO) == ["TMDb (Home) is available again after 2 min"]


async def test_a_malformed_tmdb_answer_is_an_outage(
    session: aiohttp.ClientSession, tmdb_emulator: TMDbEmulator
) -> None:
    tracker = Availability("TMDb")
    tmdb = TMDbClient(session, api_key=TMDB_KEY, base_url=tmdb_emulator.url, availability=tracker)
    tmdb_emulator.faults.malformed_next = 1
    with pytest.raises(TMDbProtocolError):
        await tmdb.movie(603)
    assert not _up(tracker)
    assert tracker.reason == "TMDb sent something that is not JSON for movie/603"


async def test_the_plex_client_reports_each_request(
    session: aiohttp.ClientSession,
    plex_emulator: PlexEmulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every endpoint failing, then a refused token and a missing item: Plex answered."""
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    tracker = Availability("Plex", "Home", clock=clock)
    plex = PlexClient(
        url=plex_emulator.url,
        token=PLEX_TOKEN,
        session=session,
        client=ClientInfo(identifier="test"),
        availability=tracker,
    )
    await plex.sections()
    plex_emulator.faults = PlexFaults(fail_next=1000, fail_status=500)
    for _ in range(20):
        with pytest.raises(PlexProtocolError):
            await plex.sessions()
    clock.now += 3600 + 5 * 60
    plex_emulator.faults = PlexFaults()
    with pytest.raises(PlexNotFoundError):
        await plex.metadata(987_654)
    assert _up(tracker)
    assert _lines(caplog, logging.WARNING) == [
        "Plex (Home) is unavailable: Plex answered 500 to /status/sessions"
    ]
    assert _lines(caplog, logging.INFO) == ["Plex (Home) is available again after 1 h 5 min"]
