"""Sure without popularity: what the file and TMDb agree on stands in for votes.

The baseline weights popularity 15 % (score.py). A title TMDb knows but few people voted on,
or an answer whose figures were zeroed (TMDbLib's recordings of TMDb: popularity 0, no votes),
loses those points however certain everything else is: `Breaking.Bad.S01E01.Pilot.mkv` finds
the right show at 0.79 (exact and unique title, a runner-up at 0.64, season 1 episode 1
exists and TMDb calls it "Pilot", like the name) and waited for a person.

`confirm_episode()` gives the popularity component the value of that evidence instead, when
the evidence is worth more than the votes:
- the episode exists on TMDb (the season and number the name gives): 0.5;
- and the name's episode title is TMDb's title of that episode: 1.0.
An episode title in the name that is not TMDb's is no evidence at all. Only a verdict whose
one doubt was its confidence is promoted, and only with an exact title (a close runner-up,
an ambiguous title, a wrong year keep their review). Films have no such evidence in their
names; a film's runtime against the file's length would be one, but the engine does not read
the file's length, so films keep the baseline's popularity.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .score import (
    BELOW_AUTO_THRESHOLD,
    MIN_AUTO_TITLE,
    SAME_TITLE,
    WEIGHT_POPULARITY,
    Decision,
    title_similarity,
)

if TYPE_CHECKING:
    from .score import Thresholds, Verdict

# Reason code of an automatic decision that the episode made sure.
EPISODE_CONFIRMED = "episode_confirmed"
EPISODE_EXISTS = 0.5
EPISODE_TITLE_AGREES = 1.0


def episode_evidence(named: str | None, on_tmdb: str | None) -> float:
    """0..1: what the episode says (`named` in the file name, `on_tmdb` None: not on TMDb)."""
    if on_tmdb is None:
        return 0.0
    if named is None:
        return EPISODE_EXISTS
    if title_similarity(named, on_tmdb) >= MIN_AUTO_TITLE:
        return EPISODE_TITLE_AGREES
    return 0.0  # the name says another episode: something is off


def confirm_episode(
    verdict: Verdict, thresholds: Thresholds, named: str | None, on_tmdb: str | None
) -> Verdict:
    """`verdict`, decided automatically when the episode's evidence makes it sure."""
    best = verdict.best
    if (
        best is None
        or verdict.decision is not Decision.REVIEW
        or set(verdict.reasons) != {BELOW_AUTO_THRESHOLD}
        or best.title < SAME_TITLE
    ):
        return verdict
    evidence = episode_evidence(named, on_tmdb)
    if evidence <= best.popularity:
        return verdict
    confidence = round(best.score + WEIGHT_POPULARITY * (evidence - best.popularity), 4)
    if confidence < thresholds.auto:
        return verdict
    return replace(
        verdict, decision=Decision.AUTO, confidence=confidence, reasons=(EPISODE_CONFIRMED,)
    )
