"""Sequel numbers written another way than TMDb writes them: "Rocky 4" is "Rocky IV"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.identify.numerals import (
    canonical_words,
    number_value,
    query_variants,
    roman,
    roman_value,
)
from custom_components.videodrome.engine.identify.score import (
    SEQUEL_CAP,
    Decision,
    normalise,
    title_similarity,
)
from tests.emulators.hard_cases import NUMERALS, HardCase

if TYPE_CHECKING:
    from tests.engine.identify.conftest import Start


def test_roman_numerals_both_ways() -> None:
    assert [roman(n) for n in (1, 2, 4, 9, 14, 19, 39)] == [
        "I", "II", "IV", "IX", "XIV", "XIX", "XXXIX",
    ]  # fmt: skip
    assert all(roman_value(roman(n)) == n for n in range(1, 40))
    assert roman_value("iv") == 4
    assert roman_value("XL") is None  # 40 and more are not sequel numbers
    assert roman_value("mix") is None
    with pytest.raises(ValueError, match="between 1 and 39"):
        roman(40)


@pytest.mark.parametrize(
    ("word", "previous", "value"),
    [
        ("IV", "Rocky", 4),
        ("ii", None, 2),
        ("I", "Part", 1),  # "Part I"
        ("I", "Am", None),  # a pronoun
        ("Two", "Part", 2),
        ("two", "Chapter", 2),
        ("Eleven", "Ocean's", None),  # spelled numbers only after "part", "chapter"...
        ("4", "Rocky", 4),
        ("39", None, 39),
        ("40", None, None),
        ("2049", "Runner", None),
        ("07", None, None),
    ],
)
def test_which_words_are_numbers(word: str, previous: str | None, value: int | None) -> None:
    assert number_value(word, previous) == value


def test_canonical_words_are_arabic() -> None:
    assert canonical_words(["dune", "part", "two"]) == ["dune", "part", "2"]
    assert canonical_words(["rocky", "iv"]) == ["rocky", "4"]
    assert canonical_words(["part", "i"]) == ["part", "1"]
    assert canonical_words(["i", "robot"]) == ["i", "robot"]


@pytest.mark.parametrize(
    ("title", "variants"),
    [
        ("Rocky 4", ("Rocky IV",)),
        ("Rocky IV", ("Rocky 4",)),
        ("Dune Part 2", ("Dune Part II", "Dune Part Two")),
        ("Dune: Part Two", ("Dune Part 2", "Dune Part II")),
        ("Harry Potter and the Deathly Hallows Part Ii", (
            "Harry Potter and the Deathly Hallows Part 2",
            "Harry Potter and the Deathly Hallows Part Two",
        )),
        ("Blade Runner 2049", ()),
        ("The Matrix", ()),
        ("Rocky 1", ()),  # nobody writes "Rocky I"; "1" in arabic is the original
        ("Flood 3 12", ()),  # two numbers: not a sequel's
    ],
)  # fmt: skip
def test_query_variants(title: str, variants: tuple[str, ...]) -> None:
    assert query_variants(title) == variants


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Rocky 4", "Rocky IV"),
        ("The Godfather Part 2", "The Godfather Part II"),
        ("Dune Part 2", "Dune: Part Two"),
        (
            "Harry Potter and the Deathly Hallows Part I",
            "Harry Potter and the Deathly Hallows: Part 1",
        ),
        ("Star Trek 2 The Wrath of Khan", "Star Trek II: The Wrath of Khan"),
        ("Rocky XIV", "Rocky 14"),
    ],
)
def test_numbers_written_otherwise_are_the_same_title(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)
    assert title_similarity(a, b) == 1.0


def test_other_numbers_stay_other_titles() -> None:
    assert title_similarity("Rocky 4", "Rocky III") <= SEQUEL_CAP
    assert title_similarity("Dune Part 2", "Dune: Part One") <= SEQUEL_CAP


@pytest.mark.parametrize("case", NUMERALS, ids=lambda c: c.name)
async def test_sequels_written_otherwise_are_found_and_sure(
    hard_tmdb: Start, case: HardCase
) -> None:
    _, identifier = await hard_tmdb("numerals")
    found = await identifier.identify(case.name)
    assert found.match is not None
    assert found.match.tmdb_id == case.tmdb_id
    assert found.decision is Decision.AUTO


async def test_another_spelling_costs_a_search_only_when_the_first_finds_nothing(
    hard_tmdb: Start,
) -> None:
    emulator, identifier = await hard_tmdb("numerals")
    await identifier.identify("Rocky.4.1985.mkv")
    # "Rocky 4" 1985, "Rocky 4" any year (both nothing), then "Rocky IV" 1985.
    assert [r.query["query"] for r in emulator.requests] == ["Rocky 4", "Rocky 4", "Rocky IV"]
    emulator.requests.clear()
    await identifier.identify("Rocky.III.1982.mkv")
    assert [r.query["query"] for r in emulator.requests] == ["Rocky III"]
