"""Names in another language than TMDb's en-US title: alternative titles and translations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.identify.score import Decision
from custom_components.videodrome.engine.tmdb.models import Candidate
from tests.emulators.hard_cases import OTHER_LANGUAGES, HardCase

if TYPE_CHECKING:
    from tests.engine.identify.conftest import Start

FIXTURES = Path(__file__).parents[2] / "fixtures" / "tmdb"


def _recorded(name: str) -> dict[str, object]:
    body: dict[str, object] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["Response"][
        "BodyAsJson"
    ]
    return body


def test_translated_titles_are_read_from_tmdbs_answer() -> None:
    """TMDb's recorded translations (A Good Day to Die Hard, Breaking Bad), appended."""
    movie = _recorded("movie.json")
    translations = {k: v for k, v in _recorded("movie_translations.json").items() if k != "id"}
    candidate = Candidate.from_json({**movie, "translations": translations}, "movie")
    assert candidate is not None
    assert candidate.translated_titles is not None
    assert "Stirb langsam - Ein guter Tag zum Sterben" in candidate.translated_titles
    assert "" not in candidate.translated_titles  # the original's own entry has no title
    assert "Stirb langsam - Ein guter Tag zum Sterben" in candidate.titles
    show = _recorded("tv.json")
    tv = {k: v for k, v in _recorded("tv_translations.json").items() if k != "id"}
    breaking = Candidate.from_json({**show, "translations": tv}, "tv")
    assert breaking is not None
    assert breaking.translated_titles is not None
    russian = "\u0412\u043e \u0432\u0441\u0435 \u0442\u044f\u0436\u043a\u0438\u0435"
    assert russian in breaking.translated_titles  # a show's title is its `name`
    plain = Candidate.from_json(movie, "movie")
    assert plain is not None
    assert plain.translated_titles is None  # not asked for
    junk = Candidate.from_json({**movie, "translations": "junk"}, "movie")
    assert junk is not None
    assert junk.translated_titles == ()


@pytest.mark.parametrize("case", OTHER_LANGUAGES, ids=lambda c: c.name)
async def test_names_in_other_languages_are_found_and_sure(
    hard_tmdb: Start, case: HardCase
) -> None:
    _, identifier = await hard_tmdb("other_languages")
    found = await identifier.identify(case.name)
    assert found.match is not None
    assert found.match.tmdb_id == case.tmdb_id
    assert found.decision is Decision.AUTO, found.reasons
    if case.media_type == "tv":
        assert (found.season, found.episodes) == (case.season, case.episodes)


async def test_translations_come_with_the_details_not_in_requests_of_their_own(
    hard_tmdb: Start,
) -> None:
    emulator, identifier = await hard_tmdb("other_languages")
    await identifier.identify("Stirb.Langsam.1988.German.DL.1080p.BluRay.x264-GRP.mkv")
    kinds = [r.path.split("/")[2] for r in emulator.requests]
    assert kinds == ["search", "movie"]  # one search, the one result's details
    details = emulator.requests[1]
    assert details.query["append_to_response"] == "alternative_titles,external_ids,translations"
    assert emulator.counts["movie/translations"] == 0


async def test_a_show_named_in_another_language_is_completed_from_the_same_answer(
    hard_tmdb: Start,
) -> None:
    emulator, identifier = await hard_tmdb("other_languages")
    found = await identifier.identify("Haus.des.Geldes.S01E01.German.1080p.WEB.mkv")
    assert found.decision is Decision.AUTO
    assert found.target is not None
    assert found.target.parts[0].startswith("Money Heist (2017)")  # TMDb's en-US title
    assert emulator.counts == {"search/tv": 1, "tv": 1, "tv/season": 1}


async def test_a_title_the_results_carry_costs_no_details(hard_tmdb: Start) -> None:
    emulator, identifier = await hard_tmdb("other_languages")
    found = await identifier.identify("Die.Hard.1988.1080p.mkv")
    assert found.decision is Decision.AUTO
    assert emulator.counts == {"search/movie": 1}
