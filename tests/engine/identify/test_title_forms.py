"""Punctuation and letters that are not ASCII: `Spider-Man`, `WALL·E`, `Hævnen`, `Wołyń`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.identify.candidates import readings
from custom_components.videodrome.engine.identify.parse import parse
from custom_components.videodrome.engine.identify.parsed_name import Reading
from custom_components.videodrome.engine.identify.score import Decision, title_similarity
from custom_components.videodrome.engine.identify.title_forms import fold, rejoined_title
from tests.emulators.hard_cases import PUNCTUATION, HardCase

if TYPE_CHECKING:
    from tests.engine.identify.conftest import Start


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hævnen", "haevnen"),
        ("Æon Flux", "aeon flux"),
        ("Cœurs", "coeurs"),
        ("Død snø", "dod sno"),
        ("Wołyń", "wolyn"),
        ("Kona fer í stríð", "kona fer i strid"),
        ("Þrymskviða", "thrymskvida"),
        ("K\u0131\u015f Uykusu", "kis uykusu"),  # a dotless i
        ("Straße", "strasse"),
        ("Ocean\u2019s Eleven", "oceans eleven"),
        ("Don't", "dont"),
        ("WALL·E", "wall·e"),  # other punctuation is the caller's
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("release", "title"),
    [
        ("Haevnen", "Hævnen"),
        ("Aeon Flux", "Æon Flux"),
        ("Dod Sno", "Død snø"),
        ("Wolyn", "Wołyń"),
        ("Chlopi", "Chłopi"),
        ("Kona fer i strid", "Kona fer í stríð"),
        ("Dyrid", "Dýrið"),
        ("Coeurs", "Cœurs"),
        ("WALL E", "WALL·E"),
        ("WALLE", "WALL·E"),
        ("Spiderman", "Spider-Man"),
        ("Tick Tick Boom", "tick, tick... BOOM!"),
        ("Ocean's Eleven", "Ocean\u2019s Eleven"),
    ],
)
def test_the_same_title_written_otherwise(release: str, title: str) -> None:
    assert title_similarity(release, title) == 1.0


@pytest.mark.parametrize(
    ("stem", "title", "group", "joined"),
    [
        ("Spider-Man.2002.1080p", "Man", "Spider", "Spider-Man"),
        ("Ant-Man.and.the.Wasp.2018", "Man and the Wasp", "Ant", "Ant-Man and the Wasp"),
        ("Kon-Tiki.2012", "Tiki", "Kon", "Kon-Tiki"),
        ("Movie.2019.1080p-GRP", "Movie", "GRP", None),  # a group at the end stays one
        ("Spider-Man.2002", "Man", None, None),
        ("Spider-Man.2002", None, "Spider", None),
        ("X-Y-Man.2002", "Man", "X-Y", None),
        ("Spider-Woman.2002", "Man", "Spider", None),  # guessit's title is not what follows
    ],
)
def test_rejoined_title(
    stem: str, title: str | None, group: str | None, joined: str | None
) -> None:
    assert rejoined_title(stem, title, group) == joined


def test_readings_rejoin_the_word_guessit_split_off() -> None:
    parsed = parse("Spider-Man.2002.1080p.mkv")
    assert parsed.title == "Man"  # guessit's reading: group "Spider"
    assert readings(parsed)[0] == Reading("Spider-Man", 2002)
    assert all(r.title.startswith("Spider-Man") for r in readings(parsed))
    plain = parse("The.Matrix.1999.1080p.BluRay.x264-GRP.mkv")
    assert readings(plain) == plain.readings


@pytest.mark.parametrize("case", PUNCTUATION, ids=lambda c: c.name)
async def test_titles_with_punctuation_and_letters_are_sure(
    hard_tmdb: Start, case: HardCase
) -> None:
    _, identifier = await hard_tmdb("punctuation")
    found = await identifier.identify(case.name)
    assert found.match is not None
    assert found.match.tmdb_id == case.tmdb_id
    assert found.decision is Decision.AUTO, found.reasons
