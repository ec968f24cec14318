"""Scoring and deciding: normalisation, the weighted baseline, and the rules for doubt."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.parsed_name import Kind, ParsedName, Reading
from custom_components.videodrome.engine.identify.score import (
    AMBIGUOUS_WITHOUT_YEAR,
    BELOW_AUTO_THRESHOLD,
    CLOSE_RUNNER_UP,
    ID_HINT,
    ID_HINT_UNCONFIRMED,
    ID_HINT_YEAR_MISMATCH,
    LOW_CONFIDENCE,
    NO_CANDIDATES,
    TITLE_MISMATCH,
    YEAR_MISMATCH,
    Decision,
    Thresholds,
    Verdict,
    better,
    decide,
    normalise,
    popularity_score,
    score,
    skip_verdict,
    title_similarity,
    type_score,
    year_score,
)
from custom_components.videodrome.engine.tmdb.models import Candidate


def movie(tmdb_id: int, title: str, year: int | None, **kwargs: Any) -> Candidate:
    """A movie candidate; popular unless told otherwise."""
    kwargs.setdefault("vote_count", 20000)
    kwargs.setdefault("vote_average", 8.0)
    return Candidate("movie", tmdb_id, title, kwargs.pop("original_title", title), year, **kwargs)


def show(tmdb_id: int, title: str, year: int | None, **kwargs: Any) -> Candidate:
    """A TV candidate; popular unless told otherwise."""
    kwargs.setdefault("vote_count", 5000)
    kwargs.setdefault("vote_average", 8.0)
    return Candidate("tv", tmdb_id, title, title, year, **kwargs)


DUNE_1984 = movie(841, "Dune", 1984, vote_count=3000)
DUNE_2021 = movie(438631, "Dune", 2021)
THE_OFFICE_US = show(2316, "The Office", 2005, origin_country=("US",))
THE_OFFICE_UK = show(2996, "The Office", 2001, origin_country=("GB",))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Matrix", "matrix"),
        ("Amélie", "amelie"),
        ("Léon: The Professional", "leon the professional"),
        ("Fast & Furious", "fast and furious"),
        ("Rocky II", "rocky 2"),
        ("Star Wars: Episode IV - A New Hope", "star wars episode 4 a new hope"),
        ("Ocean's Eleven", "oceans eleven"),
        ("  Spaced   Out  ", "spaced out"),
        ("Le Fabuleux Destin d'Amélie Poulain", "fabuleux destin damelie poulain"),
        ("The_Office", "office"),
    ],
)
def test_normalise(title: str, expected: str) -> None:
    """Case, accents, punctuation, articles, & and roman numerals stop mattering."""
    assert normalise(title) == expected


def test_title_similarity() -> None:
    """Identical after normalisation is 1; different titles score lower; empty is 0."""
    assert title_similarity("The Matrix", "Matrix") == 1.0
    assert title_similarity("Dune Part Two", "Dune: Part Two") == 1.0
    assert title_similarity("Rocky 2", "Rocky II") == 1.0
    assert title_similarity("The Matrix", "The Matrix Reloaded") < 0.6
    assert title_similarity("Hero", "Heroes") < 0.95
    assert title_similarity("Matrix The", "The Matrix") > 0.5
    assert title_similarity("Spiderman", "Spider-Man") == 1.0
    assert title_similarity("Halloween II", "Halloween") <= 0.8
    assert title_similarity("Blade Runner", "Blade Runner 2049") <= 0.8
    assert title_similarity("", "The Matrix") == 0.0
    assert title_similarity("!!!", "The Matrix") == 0.0


def test_year_score() -> None:
    """Exact, within one, missing (movie and TV), wrong."""
    assert year_score(1999, 1999) == 1.0
    assert year_score(1999, 2000) == 0.7
    assert year_score(None, 1999) == 0.6
    assert year_score(1999, None) == 0.6
    assert year_score(None, 1999, 0.8) == 0.8
    assert year_score(1999, 2005) == 0.0


def test_popularity_score() -> None:
    """Logarithmic in votes, a little rating; bounded to 0..1."""
    unknown = popularity_score(movie(1, "X", 2000, vote_count=0, vote_average=0))
    modest = popularity_score(movie(1, "X", 2000, vote_count=100, vote_average=6))
    famous = popularity_score(movie(1, "X", 2000, vote_count=30000, vote_average=8.7))
    assert unknown == 0.0
    assert 0.3 < modest < 0.6
    assert 0.95 < famous <= 1.0


def test_type_score() -> None:
    """Same kind 1, unknown 0.5, other kind 0."""
    assert type_score(Kind.MOVIE, DUNE_2021) == 1.0
    assert type_score(Kind.EPISODE, DUNE_2021) == 0.0
    assert type_score(Kind.UNKNOWN, DUNE_2021) == 0.5
    assert type_score(Kind.EPISODE, THE_OFFICE_US) == 1.0


def test_score_is_the_weighted_baseline() -> None:
    """40% title, 30% year, 15% popularity, 15% type."""
    scored = score(Reading("The Matrix", 1999), Kind.MOVIE, movie(603, "The Matrix", 1999))
    expected = 0.4 * 1 + 0.3 * 1 + 0.15 * scored.popularity + 0.15 * 1
    assert scored.score == pytest.approx(expected, abs=1e-4)
    assert scored.matched_title == "The Matrix"


def test_score_takes_the_best_of_all_titles() -> None:
    """Original and alternative titles count."""
    amelie = movie(
        194,
        "Amélie",
        2001,
        original_title="Le Fabuleux Destin d'Amélie Poulain",
        alternative_titles=("Amelie from Montmartre",),
    )
    scored = score(Reading("Le Fabuleux Destin d Amelie Poulain", 2001), Kind.MOVIE, amelie)
    assert scored.title == 1.0
    assert scored.matched_title == "Le Fabuleux Destin d'Amélie Poulain"


def _parsed(name: str) -> ParsedName:
    return parse(name)


def test_clear_winner_is_auto() -> None:
    """One exact match with its year, far ahead of the rest."""
    parsed = _parsed("The.Matrix.1999.1080p.mkv")
    reloaded = movie(604, "The Matrix Reloaded", 2003)
    verdict = decide(parsed, parsed.readings[0], (movie(603, "The Matrix", 1999), reloaded))
    assert verdict.decision is Decision.AUTO
    assert verdict.best is not None
    assert verdict.best.candidate.tmdb_id == 603
    assert verdict.reasons == ()
    assert verdict.confidence >= 0.85


def test_remake_with_year_is_auto() -> None:
    """The year picks the right Dune."""
    parsed = _parsed("Dune.1984.1080p.mkv")
    verdict = decide(parsed, parsed.readings[0], (DUNE_2021, DUNE_1984))
    assert verdict.decision is Decision.AUTO
    assert verdict.best is not None
    assert verdict.best.candidate.tmdb_id == 841


def test_remake_without_year_goes_to_review() -> None:
    """Dune without a year: two films share the title, nobody may pick one automatically."""
    parsed = _parsed("Dune.mkv")
    verdict = decide(parsed, parsed.readings[0], (DUNE_2021, DUNE_1984))
    assert verdict.decision is Decision.REVIEW
    assert AMBIGUOUS_WITHOUT_YEAR in verdict.reasons
    assert len(verdict.ranked) == 2


def test_country_in_the_name_settles_a_shared_title() -> None:
    """The Office US against UK: the country decides; without it, review."""
    us = _parsed("The.Office.US.S02E01.mkv")
    verdict = decide(us, us.readings[0], (THE_OFFICE_UK, THE_OFFICE_US))
    assert verdict.decision is Decision.AUTO
    assert verdict.best is not None
    assert verdict.best.candidate.tmdb_id == 2316
    plain = _parsed("The.Office.S02E01.mkv")
    verdict = decide(plain, plain.readings[0], (THE_OFFICE_UK, THE_OFFICE_US))
    assert verdict.decision is Decision.REVIEW
    assert AMBIGUOUS_WITHOUT_YEAR in verdict.reasons


def test_close_runner_up_goes_to_review() -> None:
    """Two different titles scoring within the margin."""
    parsed = _parsed("Heroes.2006.mkv")
    verdict = decide(parsed, parsed.readings[0], (show(1, "Heroes", 2006), show(2, "Heroes", 2007)))
    assert verdict.decision is not Decision.AUTO
    assert CLOSE_RUNNER_UP in verdict.reasons


def test_a_runner_up_with_another_title_is_no_rival() -> None:
    """Exact title and year beat a close score from a plainly different title."""
    parsed = _parsed("Deadpool.2.2018.mkv")
    best = movie(383498, "Deadpool 2", 2018, vote_count=300)
    spin_off = movie(9, "Deadpool 2: Origins", 2018, vote_count=30000, vote_average=9)
    verdict = decide(parsed, parsed.readings[0], (best, spin_off))
    assert verdict.ranked[0].score - verdict.ranked[1].score < 0.1
    assert verdict.decision is Decision.AUTO
    twin = movie(10, "Deadpool 2", 2018, vote_count=250)
    verdict = decide(parsed, parsed.readings[0], (best, twin))
    assert CLOSE_RUNNER_UP in verdict.reasons


def test_wrong_year_is_not_auto() -> None:
    """A title that exists only in another year."""
    parsed = _parsed("The.Matrix.2010.mkv")
    verdict = decide(parsed, parsed.readings[0], (movie(603, "The Matrix", 1999),))
    assert verdict.decision is Decision.MANUAL
    assert YEAR_MISMATCH in verdict.reasons
    unsure = _parsed("The.Matrix.2000.mkv")  # within one year: release dates differ by country
    verdict = decide(unsure, unsure.readings[0], (movie(603, "The Matrix", 1999),))
    assert verdict.decision is Decision.AUTO
    popular_only = _parsed("Matrix.1999.mkv")
    verdict = decide(
        popular_only, popular_only.readings[0], (movie(9, "Matrix X", 1999, vote_count=0),)
    )
    assert verdict.decision is Decision.REVIEW
    assert verdict.reasons == (TITLE_MISMATCH, BELOW_AUTO_THRESHOLD)


def test_title_mismatch_is_never_auto() -> None:
    """Year, popularity and type cannot make up for a different title."""
    parsed = _parsed("Halloween.II.2009.mkv")
    verdict = decide(parsed, parsed.readings[0], (movie(2082, "Halloween", 2009),))
    assert verdict.decision is not Decision.AUTO
    assert TITLE_MISMATCH in verdict.reasons


def test_low_confidence_is_manual() -> None:
    """Nothing alike: manual."""
    parsed = _parsed("Some.Obscure.Thing.1950.mkv")
    verdict = decide(parsed, parsed.readings[0], (movie(1, "Other", 2020, vote_count=0),))
    assert verdict.decision is Decision.MANUAL
    assert LOW_CONFIDENCE in verdict.reasons


def test_no_candidates_is_manual() -> None:
    """TMDb found nothing."""
    parsed = _parsed("Nothing.2019.mkv")
    verdict = decide(parsed, parsed.readings[0], ())
    assert (verdict.decision, verdict.reasons, verdict.best) == (
        Decision.MANUAL,
        (NO_CANDIDATES,),
        None,
    )


def test_duplicates_are_counted_once() -> None:
    """A candidate found twice is not its own runner-up."""
    parsed = _parsed("The.Matrix.1999.mkv")
    matrix = movie(603, "The Matrix", 1999)
    verdict = decide(parsed, parsed.readings[0], (matrix, matrix))
    assert verdict.decision is Decision.AUTO
    assert len(verdict.ranked) == 1


def test_id_hint_with_agreeing_year_decides() -> None:
    """`{tmdb-603}` with 1999 in the name."""
    parsed = _parsed("The Matrix (1999) {tmdb-603}.mkv")
    matrix = movie(603, "The Matrix", 1999)
    verdict = decide(parsed, parsed.readings[0], (), hinted=matrix)
    assert (verdict.decision, verdict.confidence, verdict.reasons) == (
        Decision.AUTO,
        1.0,
        (ID_HINT,),
    )


def test_id_hint_with_another_year_goes_to_review() -> None:
    """An ID that contradicts the year in the name is a doubt, not a decision."""
    parsed = _parsed("The Matrix (2005) {tmdb-603}.mkv")
    matrix = movie(603, "The Matrix", 1999)
    verdict = decide(parsed, parsed.readings[0], (movie(1, "The Matrix", 2005),), hinted=matrix)
    assert verdict.decision is Decision.REVIEW
    assert verdict.reasons == (ID_HINT_YEAR_MISMATCH,)
    assert verdict.confidence < 0.85
    assert [s.candidate.tmdb_id for s in verdict.ranked] == [603, 1]


def test_id_hint_without_year_needs_the_title() -> None:
    """No year to confirm and a different title: a mistyped ID is likelier than a match."""
    parsed = _parsed("Completely Different {tmdb-603}.mkv")
    verdict = decide(parsed, parsed.readings[0], (), hinted=movie(603, "The Matrix", 1999))
    assert verdict.decision is Decision.REVIEW
    assert verdict.reasons == (ID_HINT_UNCONFIRMED,)
    same = _parsed("The Matrix {tmdb-603}.mkv")
    verdict = decide(same, same.readings[0], (), hinted=movie(603, "The Matrix", 1999))
    assert verdict.decision is Decision.AUTO


def test_id_hint_of_the_wrong_kind_is_ignored() -> None:
    """A movie ID on an episode name falls back to the search results."""
    parsed = _parsed("The.Office.US.S01E01 {tmdb-603}.mkv")
    verdict = decide(
        parsed, parsed.readings[0], (THE_OFFICE_US,), hinted=movie(603, "The Matrix", 1999)
    )
    assert verdict.best is not None
    assert verdict.best.candidate.tmdb_id == 2316


def test_thresholds_are_configurable_and_checked() -> None:
    """A stricter auto threshold sends more to review; nonsense thresholds are refused."""
    parsed = _parsed("The.Matrix.1999.mkv")
    strict = Thresholds(auto=0.999, review=0.5)
    verdict = decide(parsed, parsed.readings[0], (movie(603, "The Matrix", 1999),), strict)
    assert verdict.decision is Decision.REVIEW
    with pytest.raises(ValueError, match="thresholds"):
        Thresholds(auto=0.5, review=0.9)
    with pytest.raises(ValueError, match="margin"):
        Thresholds(margin=2)


def test_better_prefers_decisions_then_confidence() -> None:
    """Auto beats review beats manual; among equals the higher confidence wins."""
    auto = Verdict(Decision.AUTO, 0.86, None)
    review = Verdict(Decision.REVIEW, 0.84, None)
    review_high = Verdict(Decision.REVIEW, 0.845, None)
    manual = Verdict(Decision.MANUAL, 0.1, None)
    assert better(review, auto) is auto
    assert better(manual, review) is review
    assert better(review, review_high) is review_high


@pytest.mark.parametrize(
    ("name", "decision", "reasons"),
    [
        ("Movie.2019.sample.mkv", Decision.SKIP, ("sample",)),
        ("Movie.2019.mkv.part", Decision.SKIP, ("partial_download",)),
        ("Movie.2019.nfo", Decision.SKIP, ("not_video",)),
        ("", Decision.MANUAL, ("empty_name",)),
        ("1080p.mkv", Decision.MANUAL, ("no_title",)),
    ],
)
def test_skip_verdict(name: str, decision: Decision, reasons: tuple[str, ...]) -> None:
    """Files that are not identified at all get their decision without TMDb."""
    verdict = skip_verdict(parse(name))
    assert verdict is not None
    assert (verdict.decision, verdict.reasons) == (decision, reasons)


def test_skip_verdict_for_a_no_title_without_reasons() -> None:
    """An unknown name with no reason recorded still says why."""
    verdict = skip_verdict(ParsedName(path="x", kind=Kind.UNKNOWN))
    assert verdict is not None
    assert verdict.reasons == ("no_title",)
    assert skip_verdict(parse("The.Matrix.1999.mkv")) is None
