"""Which readings of a name are searched, and how each finds its TMDb candidates.

One search per reading (title and year), and more requests only when the first answer does
not hold the title the name says:
- no result for the year: the search again without it (release years differ by country);
- a sequel's number written another way ("Rocky 4" where TMDb says "Rocky IV", "Part 2"
  where it says "Part Two"): the search again with the number written the other ways,
  stopping at the first that finds the title (numerals.py);
- found, but by a title the results do not show (a release named in another language, or by
  an alternative title): the details of the first `ENRICH` results, with their alternative
  titles and their translations' titles appended to that one request, cached like any TMDb
  answer.
"""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from .numerals import query_variants
from .parsed_name import Kind, Reading
from .score import MIN_AUTO_TITLE, title_similarity
from .title_forms import rejoined_title

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ..tmdb.client import TMDbClient
    from ..tmdb.models import Candidate
    from .parsed_name import ParsedName

    type Search = Callable[[str, int | None], Awaitable[tuple[Candidate, ...]]]

# Details (with alternative titles and translations) are fetched for this many candidates
# when no search result's own title matches the name well.
ENRICH = 3


def readings(parsed: ParsedName) -> tuple[Reading, ...]:
    """The readings to search, in order: guessit's, with a hyphenated first word rejoined.

    `Spider-Man.2002.mkv` is read "Man" by release group "Spider"; the readings built on that
    title become "Spider-Man" (title_forms.py), and keep their place.
    """
    stem = PurePosixPath(parsed.path.replace("\\", "/")).stem
    title = parsed.title
    joined = rejoined_title(stem, title, parsed.release_group)
    if joined is None or title is None:
        return parsed.readings
    return tuple(
        Reading(joined + r.title[len(title) :], r.year) if r.title.startswith(title) else r
        for r in parsed.readings
    )


async def find_candidates(tmdb: TMDbClient, kind: Kind, reading: Reading) -> tuple[Candidate, ...]:
    """TMDb's candidates for one reading (see the module's docstring for the extra requests)."""
    search: Search = tmdb.search_movie if kind is Kind.MOVIE else tmdb.search_tv
    results = await _search(search, reading.title, reading.year)
    if best_title(reading, results) < MIN_AUTO_TITLE:
        for variant in query_variants(reading.title):
            found = await _search(search, variant, reading.year)
            results = tuple({c.tmdb_id: c for c in (*results, *found)}.values())
            if best_title(reading, found) >= MIN_AUTO_TITLE:
                break
    if results and best_title(reading, results) < MIN_AUTO_TITLE:
        # TMDb found it by a title its search results do not carry: fetch those.
        first = results[:ENRICH]
        if kind is Kind.MOVIE:
            enriched = await asyncio.gather(
                *(tmdb.movie(c.tmdb_id, translations=True) for c in first)
            )
        else:
            shows = await asyncio.gather(*(tmdb.tv(c.tmdb_id, translations=True) for c in first))
            enriched = [show.candidate for show in shows]
        results = (*enriched, *results[ENRICH:])
    return results


async def _search(search: Search, title: str, year: int | None) -> tuple[Candidate, ...]:
    results = await search(title, year)
    if not results and year is not None:
        # Release years differ between countries: a year off by one finds nothing.
        results = await search(title, None)
    return results


def best_title(reading: Reading, results: tuple[Candidate, ...]) -> float:
    """How well the best of `results` matches the reading's title (0 when there are none)."""
    return max((title_similarity(reading.title, t) for c in results for t in c.titles), default=0)
