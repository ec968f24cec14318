"""How sure are we? Candidates scored against a parsed name, and the decision that follows.

The baseline the product was specified with, kept as the weights: title similarity 40%
(rapidfuzz's normalised Indel ratio, a Levenshtein-family measure), year 30% (exact, within
one, missing), popularity 15% (vote count and rating), media type 15%. Thresholds: auto at
0.85 and above, review from 0.70, manual below (configurable).

On top of the weights, the rules that make an automatic decision trustworthy. A wrong
automatic decision files a film under the wrong name, so every doubt sends the file to review
with a reason code the review queue can show:
- `close_runner_up`: another candidate scores within `margin` of the best;
- `ambiguous_without_year`: no year in the name and several candidates carry the same title
  (Dune, The Thing, Halloween; The Office US/UK unless the name says which country);
- `title_mismatch`: the best title is not close enough to what the name says, whatever the
  other components add up to;
- `id_hint_year_mismatch`: an ID in the name points at a title from another year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
import math
import re
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from .numerals import canonical_words
from .parsed_name import Kind, ParsedName, Reading
from .title_forms import fold

if TYPE_CHECKING:
    from ..tmdb.models import Candidate

WEIGHT_TITLE = 0.40
WEIGHT_YEAR = 0.30
WEIGHT_POPULARITY = 0.15
WEIGHT_TYPE = 0.15

YEAR_EXACT = 1.0
YEAR_WITHIN_ONE = 0.7
# A film's name nearly always carries its year, so one without is less certain; an episode's
# name rarely does (the show's remakes are caught by the ambiguity rule instead).
YEAR_MISSING = 0.6
YEAR_MISSING_TV = 0.8
YEAR_WRONG = 0.0
# Ten thousand votes is a film everyone knows; the scale is logarithmic below that.
POPULAR_VOTES = 10_000
# Below this title similarity nothing is decided automatically.
MIN_AUTO_TITLE = 0.90
# Titles whose numbers differ are at most this similar.
SEQUEL_CAP = 0.8
# Titles this similar are "the same title" for the ambiguity rule.
SAME_TITLE = 0.95

# Reason codes, for the review queue and the CLI.
NO_CANDIDATES = "no_candidates"
CLOSE_RUNNER_UP = "close_runner_up"
AMBIGUOUS_WITHOUT_YEAR = "ambiguous_without_year"
ID_HINT = "id_hint"
ID_HINT_YEAR_MISMATCH = "id_hint_year_mismatch"
ID_HINT_UNCONFIRMED = "id_hint_unconfirmed"
TITLE_MISMATCH = "title_mismatch"
YEAR_MISMATCH = "year_mismatch"
BELOW_AUTO_THRESHOLD = "below_auto_threshold"
LOW_CONFIDENCE = "low_confidence"
SKIP_REASONS = frozenset({"sample", "extra", "partial_download", "not_video"})


class Decision(StrEnum):
    """What happens to a file."""

    AUTO = "auto"
    REVIEW = "review"
    MANUAL = "manual"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where the decisions change; `margin` is the lead the best candidate needs for auto."""

    auto: float = 0.85
    review: float = 0.70
    margin: float = 0.10

    def __post_init__(self) -> None:
        """Refuse thresholds that make no sense."""
        if not 0 <= self.review <= self.auto <= 1:
            raise ValueError("thresholds must satisfy 0 <= review <= auto <= 1")
        if not 0 <= self.margin <= 1:
            raise ValueError("margin must be between 0 and 1")

    @classmethod
    def for_auto(cls, auto: float) -> Thresholds:
        """The defaults with the automatic decision at `auto` (review lowered to it if above)."""
        return cls(auto=auto, review=min(cls().review, auto))


@dataclass(frozen=True, slots=True)
class Scored:
    """One candidate with its score and the parts of it."""

    candidate: Candidate
    score: float
    title: float
    year: float
    popularity: float
    media_type: float
    matched_title: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision for one reading of a name, with the ranked candidates behind it."""

    decision: Decision
    confidence: float
    best: Scored | None
    ranked: tuple[Scored, ...] = ()
    reasons: tuple[str, ...] = ()
    reading: Reading | None = field(default=None, compare=False)


_ARTICLES = re.compile(r"^(?:the|a|an|le|la|les|l|el|los|las|il|lo|gli|der|die|das|de|het)\s+")
_NON_WORD = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def normalise(title: str) -> str:
    """A title reduced to what matters for comparison.

    Case, accents and ligatures (title_forms.py), punctuation, a leading article, `&` against
    `and`, and how a sequel's number is written ("Rocky II" is "Rocky 2", "Part Two" is
    "Part 2": numerals.py) no longer matter.
    """
    text = fold(title).replace("&", " and ")
    text = _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()
    text = _ARTICLES.sub("", text)
    return " ".join(canonical_words(text.split(" ")))


def title_similarity(a: str, b: str) -> float:
    """0..1: how alike two titles are after normalisation (word order counts a little)."""
    left, right = normalise(a), normalise(b)
    if not left or not right:
        return 0.0
    if left == right or left.replace(" ", "") == right.replace(" ", ""):
        return 1.0  # "Spider-Man" is "Spiderman", "d'Amélie" is "d Amelie"
    similarity = max(fuzz.ratio(left, right), fuzz.token_sort_ratio(left, right) * 0.95) / 100
    if _numbers(left) != _numbers(right):
        # "Halloween II" is not "Halloween", however alike the letters: sequels differ by a number.
        similarity = min(similarity, SEQUEL_CAP)
    return similarity


def _numbers(normalised: str) -> list[str]:
    return sorted(word for word in normalised.split(" ") if word.isdigit())


def year_score(wanted: int | None, found: int | None, missing: float = YEAR_MISSING) -> float:
    """Exact year 1, within one 0.7 (release dates differ by country), `missing`, else 0."""
    if wanted is None or found is None:
        return missing
    difference = abs(wanted - found)
    if difference == 0:
        return YEAR_EXACT
    return YEAR_WITHIN_ONE if difference == 1 else YEAR_WRONG


def popularity_score(candidate: Candidate) -> float:
    """0..1 from the vote count (logarithmic) and, a little, the rating."""
    votes = min(1.0, math.log10(1 + candidate.vote_count) / math.log10(1 + POPULAR_VOTES))
    rating = min(max(candidate.vote_average / 10, 0.0), 1.0)
    return 0.8 * votes + 0.2 * rating


def type_score(kind: Kind, candidate: Candidate) -> float:
    """1 when the name's kind is the candidate's, 0.5 when the name does not say, else 0."""
    if kind is Kind.UNKNOWN:
        return 0.5
    wanted = "movie" if kind is Kind.MOVIE else "tv"
    return 1.0 if candidate.media_type == wanted else 0.0


def score(reading: Reading, kind: Kind, candidate: Candidate) -> Scored:
    """Score one candidate against one reading of a name."""
    title, matched = max(
        ((title_similarity(reading.title, t), t) for t in candidate.titles),
        key=lambda pair: pair[0],
        default=(0.0, candidate.title),
    )
    missing = YEAR_MISSING_TV if candidate.media_type == "tv" else YEAR_MISSING
    year = year_score(reading.year, candidate.year, missing)
    popularity = popularity_score(candidate)
    media = type_score(kind, candidate)
    total = (
        WEIGHT_TITLE * title
        + WEIGHT_YEAR * year
        + WEIGHT_POPULARITY * popularity
        + WEIGHT_TYPE * media
    )
    return Scored(candidate, round(total, 4), title, year, popularity, media, matched)


def decide(
    parsed: ParsedName,
    reading: Reading,
    candidates: tuple[Candidate, ...],
    thresholds: Thresholds = Thresholds(),
    *,
    hinted: Candidate | None = None,
) -> Verdict:
    """Score the candidates for one reading and decide; `hinted` is what an ID in the name named."""
    if hinted is not None:
        verdict = _decide_hinted(parsed, reading, hinted, candidates, thresholds)
        if verdict is not None:
            return verdict
    unique = tuple({c.tmdb_id: c for c in candidates}.values())
    if parsed.country:
        # "The Office (US)": a country in the name settles which show it is.
        local = tuple(c for c in unique if parsed.country in c.origin_country)
        unique = local or unique
    ranked = tuple(sorted((score(reading, parsed.kind, c) for c in unique), key=_rank))
    if not ranked:
        return Verdict(Decision.MANUAL, 0.0, None, (), (NO_CANDIDATES,), reading)
    best = ranked[0]
    reasons: list[str] = []
    if best.title < MIN_AUTO_TITLE:
        reasons.append(TITLE_MISMATCH)
    if best.year == YEAR_WRONG:
        reasons.append(YEAR_MISMATCH)
    if reading.year is None and _same_title_count(ranked, best) > 1:
        reasons.append(AMBIGUOUS_WITHOUT_YEAR)
    if len(ranked) > 1 and best.score - ranked[1].score < thresholds.margin:
        runner_up = ranked[1]
        # A runner-up with a plainly different title ("Deadpool 2: Origins" against an exact
        # "Deadpool 2" of the right year) is no rival; one with the same title is.
        if best.title < SAME_TITLE or runner_up.title >= MIN_AUTO_TITLE or best.year < YEAR_EXACT:
            reasons.append(CLOSE_RUNNER_UP)
    return _verdict(best.score, best, ranked, reasons, thresholds=thresholds, reading=reading)


def _decide_hinted(
    parsed: ParsedName,
    reading: Reading,
    hinted: Candidate,
    candidates: tuple[Candidate, ...],
    thresholds: Thresholds,
) -> Verdict | None:
    """An ID in the name decides, when its year agrees; otherwise it is one more doubt."""
    scored = score(reading, parsed.kind, hinted)
    others = tuple(
        score(reading, parsed.kind, c) for c in candidates if c.tmdb_id != hinted.tmdb_id
    )
    ranked = (scored, *sorted(others, key=_rank))
    if reading.year is not None and scored.year == YEAR_WRONG:
        return Verdict(
            Decision.REVIEW,
            min(scored.score, thresholds.auto - 0.01),
            scored,
            ranked,
            (ID_HINT_YEAR_MISMATCH,),
            reading,
        )
    if scored.media_type == 0.0:
        return None  # a movie id on an episode (or the reverse): ignore the hint
    if reading.year is None and scored.title < MIN_AUTO_TITLE:
        # No year to confirm it and a title that does not: a mistyped id looks like this.
        return Verdict(
            Decision.REVIEW,
            min(scored.score, thresholds.auto - 0.01),
            scored,
            ranked,
            (ID_HINT_UNCONFIRMED,),
            reading,
        )
    return Verdict(Decision.AUTO, 1.0, scored, ranked, (ID_HINT,), reading)


def _verdict(
    confidence: float,
    best: Scored,
    ranked: tuple[Scored, ...],
    reasons: list[str],
    *,
    thresholds: Thresholds,
    reading: Reading,
) -> Verdict:
    if confidence >= thresholds.auto and not reasons:
        decision = Decision.AUTO
    elif confidence >= thresholds.review:
        decision = Decision.REVIEW
        if confidence < thresholds.auto:
            reasons.append(BELOW_AUTO_THRESHOLD)
    else:
        decision = Decision.MANUAL
        reasons.append(LOW_CONFIDENCE)
    return Verdict(decision, confidence, best, ranked, tuple(reasons), reading)


def _rank(scored: Scored) -> tuple[float, float, int]:
    return (-scored.score, -scored.title, scored.candidate.tmdb_id)


def _same_title_count(ranked: tuple[Scored, ...], best: Scored) -> int:
    wanted = normalise(best.matched_title)
    return sum(
        1
        for s in ranked
        if s.title >= SAME_TITLE and title_similarity(wanted, s.matched_title) >= SAME_TITLE
    )


def better(first: Verdict, second: Verdict) -> Verdict:
    """The more useful of two verdicts (for two readings of one name)."""
    order = {Decision.AUTO: 0, Decision.REVIEW: 1, Decision.MANUAL: 2, Decision.SKIP: 3}
    return min((first, second), key=lambda v: (order[v.decision], -v.confidence))


def skip_verdict(parsed: ParsedName) -> Verdict | None:
    """A verdict without TMDb for files that are not identified at all, or None."""
    skip = tuple(r for r in parsed.reasons if r in SKIP_REASONS)
    if skip:
        return Verdict(Decision.SKIP, 0.0, None, (), skip)
    if parsed.kind is Kind.UNKNOWN or not parsed.readings:
        return Verdict(Decision.MANUAL, 0.0, None, (), parsed.reasons or ("no_title",))
    return None
