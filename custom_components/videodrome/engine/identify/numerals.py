"""Sequel numbers written three ways: "Part 2", "Part II", "Part Two" (and "Rocky 4", "Rocky IV").

Release names and TMDb's titles often write a sequel's number differently. TMDb's search
matches words, so "Rocky 4" finds nothing when the title is "Rocky IV": `query_variants()`
gives the same title with its numbers written the other ways, to search again. Scoring
compares titles with `canonical()`, where every such number is arabic.

Which words are numbers:
- roman numerals from II to XXXIX anywhere ("Rocky IV", "Star Trek II: The Wrath of Khan");
  "I" only after a word that announces a number ("Part I", "Chapter I"): alone it is a pronoun;
- numbers written as words (one to twenty) only after such a word ("Dune: Part Two"): "Ocean's
  Eleven" keeps its eleven;
- arabic numbers from 1 to 39: larger ones are years, or part of the title ("Blade Runner 2049").
"""

from __future__ import annotations

import re

# Words after which a number is a sequel's or a part's number.
ANNOUNCERS = frozenset({"part", "chapter", "volume", "vol", "episode", "book", "pt"})
HIGHEST = 39
_ROMAN_DIGITS = (
    (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip
_SPELLED = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty",
)  # fmt: skip
_WORD_VALUES = {word: index for index, word in enumerate(_SPELLED, start=1)}
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def roman(number: int) -> str:
    """`number` (1 to 39) as an upper-case roman numeral."""
    if not 1 <= number <= HIGHEST:
        raise ValueError(f"{number} is not between 1 and {HIGHEST}")
    out: list[str] = []
    for value, letters in _ROMAN_DIGITS:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out).upper()


_ROMAN_VALUES = {roman(n).casefold(): n for n in range(1, HIGHEST + 1)}


def roman_value(word: str) -> int | None:
    """The value of a roman numeral from I to XXXIX (any case), else None."""
    return _ROMAN_VALUES.get(word.casefold())


def number_value(word: str, previous: str | None) -> int | None:
    """The number a word stands for, given the word before it (None: not a number).

    Roman numerals count from II anywhere and from I after an announcing word ("Part I");
    spelled numbers only after an announcing word; arabic numbers from 1 to 39.
    """
    folded = word.casefold()
    announced = _announced(previous)
    if folded.isdigit() and folded.isascii():
        value = int(folded)
        return value if 1 <= value <= HIGHEST and not folded.startswith("0") else None
    if announced and folded in _WORD_VALUES:
        return _WORD_VALUES[folded]
    roman_number = roman_value(folded)
    if roman_number is None or (roman_number == 1 and not announced):
        return None
    return roman_number


def canonical_words(words: list[str]) -> list[str]:
    """`words` (already folded to lower case) with every number written in arabic digits."""
    out: list[str] = []
    previous: str | None = None
    for word in words:
        value = number_value(word, previous)
        out.append(str(value) if value is not None else word)
        previous = word
    return out


def query_variants(title: str) -> tuple[str, ...]:
    """`title` with its sequel number written the other ways, for another search; () if none.

    At most three: the number in arabic digits, in roman numerals, and (after an announcing
    word) in words. Punctuation is left out (TMDb's search ignores it); so is the original. A
    title with more than one number has no variants: a sequel has one number, and every
    further search costs a request (a name that finds nothing, from anyone, is not worth
    several).
    """
    words = _WORDS.findall(title)
    numbers = [
        (index, value)
        for index, word in enumerate(words)
        if (value := number_value(word, words[index - 1] if index else None)) is not None
    ]
    if len(numbers) != 1:
        return ()
    variants: list[str] = []
    for style in (_as_arabic, _as_roman, _as_words):
        written = list(words)
        for index, value in numbers:
            spelled = style(value, words[index - 1] if index else None)
            if spelled is not None:
                written[index] = spelled
        if written != words:
            variants.append(" ".join(written))
    return tuple(dict.fromkeys(v for v in variants if v.casefold() != " ".join(words).casefold()))


def _announced(previous: str | None) -> bool:
    return previous is not None and previous.casefold() in ANNOUNCERS


def _as_arabic(value: int, _previous: str | None) -> str:
    return str(value)


def _as_roman(value: int, previous: str | None) -> str | None:
    # "Rocky I" is not how anyone writes the first film; "Part I" is.
    return roman(value) if value > 1 or _announced(previous) else None


def _as_words(value: int, previous: str | None) -> str | None:
    if not _announced(previous) or value > len(_SPELLED):
        return None
    return _SPELLED[value - 1].capitalize()
