"""Sure without popularity: the episode's existence and title stand in for votes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.identify.evidence import (
    EPISODE_CONFIRMED,
    EPISODE_EXISTS,
    EPISODE_TITLE_AGREES,
    confirm_episode,
    episode_evidence,
)
from custom_components.videodrome.engine.identify.identifier import Identifier
from custom_components.videodrome.engine.identify.parsed_name import Reading
from custom_components.videodrome.engine.identify.score import (
    BELOW_AUTO_THRESHOLD,
    CLOSE_RUNNER_UP,
    Decision,
    Scored,
    Thresholds,
    Verdict,
)
from custom_components.videodrome.engine.tmdb.client import TMDbClient
from custom_components.videodrome.engine.tmdb.models import Candidate
from tests.emulators.hard_cases import NO_POPULARITY, HardCase
from tests.emulators.tmdb_recorded import WIREMOCK, RecordedTMDb

if TYPE_CHECKING:
    import aiohttp

    from tests.engine.identify.conftest import Start

SHOW = Candidate("tv", 1396, "Breaking Bad", "Breaking Bad", 2008)


def _verdict(
    title: float = 1.0, popularity: float = 0.0, reasons: tuple[str, ...] = (BELOW_AUTO_THRESHOLD,)
) -> Verdict:
    total = round(0.4 * title + 0.3 * 0.8 + 0.15 * popularity + 0.15, 4)
    best = Scored(SHOW, total, title, 0.8, popularity, 1.0, SHOW.title)
    decision = Decision.REVIEW if total >= 0.7 else Decision.MANUAL
    return Verdict(decision, total, best, (best,), reasons, Reading("Breaking Bad", None))


@pytest.mark.parametrize(
    ("named", "on_tmdb", "evidence"),
    [
        ("Pilot", "Pilot", EPISODE_TITLE_AGREES),
        ("pilot", "Pilot", EPISODE_TITLE_AGREES),
        ("Cats in the Bag", "Cat's in the Bag...", EPISODE_TITLE_AGREES),
        (None, "Pilot", EPISODE_EXISTS),
        ("Pilot", "Cat's in the Bag...", 0.0),  # the name says another episode
        ("Pilot", None, 0.0),  # TMDb does not have it
        (None, None, 0.0),
    ],
)
def test_episode_evidence(named: str | None, on_tmdb: str | None, evidence: float) -> None:
    assert episode_evidence(named, on_tmdb) == evidence


def test_an_agreeing_episode_makes_a_title_without_popularity_sure() -> None:
    verdict = _verdict()
    assert verdict.confidence == pytest.approx(0.79)
    sure = confirm_episode(verdict, Thresholds(), "Pilot", "Pilot")
    assert sure.decision is Decision.AUTO
    assert sure.confidence == pytest.approx(0.94)
    assert sure.reasons == (EPISODE_CONFIRMED,)
    existing = confirm_episode(verdict, Thresholds(), None, "Pilot")
    assert existing.decision is Decision.AUTO
    assert existing.confidence == pytest.approx(0.865)


@pytest.mark.parametrize(
    ("verdict", "named", "on_tmdb"),
    [
        (_verdict(), "Pilot", "Cat's in the Bag..."),  # another episode's title
        (_verdict(), "Pilot", None),  # no such episode
        (_verdict(reasons=(CLOSE_RUNNER_UP, BELOW_AUTO_THRESHOLD)), "Pilot", "Pilot"),
        (_verdict(title=0.92), "Pilot", "Pilot"),  # not the exact title
        (_verdict(popularity=1.0), "Pilot", "Pilot"),  # already counted in full
    ],
)
def test_what_the_evidence_does_not_settle(
    verdict: Verdict, named: str | None, on_tmdb: str | None
) -> None:
    assert confirm_episode(verdict, Thresholds(), named, on_tmdb) is verdict


def test_the_threshold_still_rules() -> None:
    strict = Thresholds(auto=0.95, review=0.7)
    assert confirm_episode(_verdict(), strict, "Pilot", "Pilot").decision is Decision.REVIEW
    manual = _verdict(title=0.1)
    assert confirm_episode(manual, Thresholds(), "Pilot", "Pilot") is manual


@pytest.mark.parametrize("case", NO_POPULARITY, ids=lambda c: c.name)
async def test_episodes_of_shows_without_popularity(hard_tmdb: Start, case: HardCase) -> None:
    _, identifier = await hard_tmdb("no_popularity")
    found = await identifier.identify(case.name)
    assert found.match is not None
    assert found.match.tmdb_id == case.tmdb_id
    assert (found.season, found.episodes) == (case.season, case.episodes)
    if case.expected_auto:
        assert found.decision is Decision.AUTO, found.reasons
        assert EPISODE_CONFIRMED in found.reasons
    else:
        assert found.decision is Decision.REVIEW


@pytest.mark.skipif(not WIREMOCK.is_dir(), reason="needs ../shared/corpora/tmdblib-wiremock")
async def test_against_tmdbs_own_recorded_answers(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    """TMDbLib's recordings of TMDb: popularity 0, no votes; Breaking Bad S01E01 is sure."""
    async with RecordedTMDb() as recorded:
        tmdb = TMDbClient(session, api_key="any", base_url=recorded.url)
        identifier = Identifier(tmdb)
        found = await identifier.identify("Breaking.Bad.S01E01.Pilot.720p.BluRay.x264-GRP.mkv")
        assert found.match is not None
        assert found.match.tmdb_id == 1396
        assert found.ranked[0].popularity == 0.0
        assert found.ranked[0].score == pytest.approx(0.79)  # the baseline's figure
        assert found.ranked[1].score < 0.7  # a runner-up far behind
        assert found.decision is Decision.AUTO
        assert found.reasons == (EPISODE_CONFIRMED,)
        assert found.episode_title == "Pilot"
        wrong = await identifier.identify("Breaking.Bad.S01E02.Pilot.720p.mkv")
        assert wrong.decision is Decision.REVIEW  # S01E02 is not called "Pilot"
        assert recorded.counts["/3/search/tv"] == 1
