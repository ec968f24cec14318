"""Titles written with other letters and punctuation: `WALL·E`, `Spider-Man`, `Æon Flux`, `Wołyń`.

Two things go wrong with such titles, and this module holds the fix for each:

- Comparing: Unicode's decomposition takes accents off (`Amélie` is `Amelie`) but leaves
  letters that are not an accented Latin letter as they are, so `Hævnen` never equalled
  `Haevnen`. `fold()` writes them the way release names (and TMDb's search, which folds like
  a search engine's ASCII folding) do: æ as ae, œ as oe, ø as o, ł as l, ð as d, þ as th,
  the dotless i as i, and every apostrophe-like mark (typographic ones included) as
  nothing (`Ocean's` is `Oceans`).
- Reading: guessit takes a leading `Word-` for a release group, so `Spider-Man.2002.mkv` is
  read as "Man" by group "Spider" (`Ant-Man`, `Kon-Tiki`, `Shang-Chi`, `WALL-E` in a folder
  of that name). `rejoined_title()` puts the word back in front of the title.
"""

from __future__ import annotations

from functools import lru_cache
import re
import unicodedata

# Letters Unicode does not decompose into a base letter and a mark, written as release names
# (and search engines' ASCII folding) write them. Upper case is folded to lower first.
_LETTERS = str.maketrans(
    {
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",  # dotless i
        "ħ": "h",
        "ŧ": "t",
        "ŋ": "ng",
        "ĸ": "k",
        "\u017f": "s",  # long s
    }
)
# Marks that join the parts of one word: gone, not a space ("Ocean's" is "Oceans").
_JOINERS = re.compile("['\u2018\u2019\u02bc\u00b4`]")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """`text` without case, accents, ligatures or apostrophes: what a release name would say.

    Punctuation other than apostrophes is kept for the caller to treat (a middle dot, a
    hyphen or a colon separates words).
    """
    text = text.casefold().translate(_LETTERS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _JOINERS.sub("", text.translate(_LETTERS))


def rejoined_title(stem: str, title: str | None, release_group: str | None) -> str | None:
    """`Group-Title` when guessit split a hyphenated word at the name's start into both.

    `stem` is the file name without its extension (or the folder's name it came from).
    None when the name does not start that way: `Movie.2019-GROUP` keeps its group.
    """
    if not title or not release_group or "-" in release_group:
        return None
    prefix = f"{release_group}-"
    if not stem.startswith(prefix):
        return None
    rest = stem[len(prefix) :]
    first = title.split(maxsplit=1)[0]
    if not rest.casefold().startswith(first.casefold()):
        return None
    return f"{release_group}-{title}"
