"""How the TMDb emulator searches: word-prefix matching over every title a work is known by.

TMDb's search ignores case, accents and punctuation (and folds letters such as æ or ł to
ASCII, the way a search engine's ASCII folding does), matches each query word against the start
of a word of the title, the original title or an alternative title (all query words within one
of them), filters by year when asked, and pages by 20. The emulator ranks the matches by
popularity, highest first, as TMDb mostly does.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import re
from typing import TYPE_CHECKING
import unicodedata

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["PAGE_SIZE", "Page", "SearchIndex", "matches", "words"]

PAGE_SIZE = 20
_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")  # "Ocean's" is one word: "oceans"
_WORD = re.compile(r"[^\W_]+")  # letters and digits
# Letters without a decomposition, folded as Lucene's ASCIIFoldingFilter folds them.
_FOLDED = str.maketrans(
    {"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)


def words(text: str) -> tuple[str, ...]:
    """The words of `text`, folded: no case, no accents, no punctuation."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    folded = _APOSTROPHES.sub("", bare.casefold().translate(_FOLDED))
    return tuple(_WORD.findall(folded))


def matches(query: Sequence[str], title: Sequence[str]) -> bool:
    """Whether every query word starts some word of the title."""
    return all(any(word.startswith(q) for word in title) for q in query)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of search results, numbered from 1."""

    page: int
    ids: tuple[int, ...]
    total_results: int

    @property
    def total_pages(self) -> int:
        """How many pages there are (TMDb says 1 even when nothing matched)."""
        return max(1, math.ceil(self.total_results / PAGE_SIZE))


@dataclass(slots=True)
class _Entry:
    titles: tuple[tuple[str, ...], ...]
    year: int | None
    popularity: float


class SearchIndex:
    """The folded titles of movies (or shows), by TMDb id, ready to search."""

    def __init__(self) -> None:
        """Start empty."""
        self._entries: dict[int, _Entry] = {}

    def add(self, tmdb_id: int, titles: Iterable[str], year: int | None, popularity: float) -> None:
        """Index (or re-index) a work under every title it is known by."""
        folded = tuple(dict.fromkeys(w for w in (words(t) for t in titles) if w))
        self._entries[tmdb_id] = _Entry(folded, year, popularity)

    def search(self, query: str, year: int | None = None, page: int = 1) -> Page:
        """The ids on `page` of the works matching `query` (and `year`), most popular first."""
        wanted = words(query)
        found = (
            sorted(
                (
                    (tmdb_id, entry)
                    for tmdb_id, entry in self._entries.items()
                    if (year is None or entry.year == year)
                    and any(matches(wanted, title) for title in entry.titles)
                ),
                key=lambda item: (-item[1].popularity, item[0]),
            )
            if wanted
            else []
        )
        start = (page - 1) * PAGE_SIZE
        return Page(page, tuple(i for i, _ in found[start : start + PAGE_SIZE]), len(found))
