"""Reading library sections from Plex, page by page, each section on its own.

A section that cannot be read is reported, not fatal: the others are read all the same, and
each section's outcome is a `SectionLoad` (loading.py decides what the index keeps). Paging
stops at a page that brings nothing new: a server that ignores X-Plex-Container-Start repeats
its first page for every offset, and paging on to `totalSize` would read that page again and
again. A section whose paging stopped before Plex's total was read only in part.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, cast

from ..plex.client import new_items
from ..plex.errors import PlexAuthError, PlexError
from ..plex.models import TYPE_EPISODE, TYPE_MOVIE, TYPE_SHOW
from .loading import LoadState, SectionLoad
from .parsing import SECTION_KINDS, parse_episode, parse_item

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping

    from ..plex.client import PlexClient
    from ..plex.models import LibrarySection
    from .records import Episode, Item, Kind

type SectionContents = tuple[list[Item], list[Episode]]  # a section's items and episodes

# Pages asked for at once per listing, before looking whether they brought anything new: a
# server that ignores the offset costs at most this many repeated pages.
PAGES_PER_WAVE = 16


class _Page(Enum):
    NEW = "new"  # items not read before
    REPEATS = "repeats"  # only items read before
    EMPTY = "empty"


class _Keyed(Protocol):
    @property
    def rating_key(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Listing[T: _Keyed]:
    """What paging through one listing read, and whether it reached Plex's total."""

    records: list[T]
    complete: bool


@dataclass(frozen=True, slots=True)
class SectionRead:
    """One section as read from Plex: its contents (None when it failed) and its outcome."""

    key: int
    kind: Kind
    contents: SectionContents | None
    load: SectionLoad
    error: PlexError | None = None


async def _listing[T: _Keyed](
    client: PlexClient,
    *,
    section: int,
    libtype: int,
    parse: Callable[[Mapping[str, Any]], T | None],
    page_size: int,
    limit: asyncio.Semaphore,
) -> Listing[T]:
    """Every item of one type in a section: the first page, then the rest in waves.

    Items already read on an earlier page are left out. After a wave in which a page was
    empty or brought nothing new, the listing ends: asking on would bring the same again.
    """
    seen: set[object] = set()
    listed = 0  # distinct items read so far (parsed or not)

    async def page(start: int) -> tuple[_Page, list[T], int]:
        """What the page brought, the new items' records, and Plex's total."""
        nonlocal listed
        async with limit:
            got = await client.section_items(
                section, libtype=libtype, start=start, size=page_size, include_guids=True
            )
        fresh = new_items(got.items, seen)  # parsed as they come: no raw JSON kept
        listed += len(fresh)
        records = [record for raw in fresh if (record := parse(raw)) is not None]
        brought = _Page.NEW if fresh else _Page.REPEATS if got.items else _Page.EMPTY
        return brought, records, got.total_size

    _brought, records, total = await page(0)
    starts = range(page_size, total, page_size)
    for wave in range(0, len(starts), PAGES_PER_WAVE):
        pages = await _all(*(page(start) for start in starts[wave : wave + PAGES_PER_WAVE]))
        for _brought, more, _total in pages:
            records.extend(more)
        brought = {outcome for outcome, _more, _total in pages}
        if _Page.REPEATS in brought:
            client.paging_stopped(section, listed, total)
            break
        if _Page.EMPTY in brought:  # fewer items than Plex said: deleted meanwhile
            break
    return Listing(records, complete=listed >= total)


async def _read_contents(
    client: PlexClient, key: int, kind: Kind, page_size: int, limit: asyncio.Semaphore
) -> tuple[SectionContents, bool]:
    """A section's items (and a show section's episodes), and whether every one was read."""
    if kind == "movie":
        movies = await _listing(
            client,
            section=key,
            libtype=TYPE_MOVIE,
            parse=lambda raw: parse_item(raw, key, "movie"),
            page_size=page_size,
            limit=limit,
        )
        return (movies.records, []), movies.complete
    shows, episodes = await _both(
        _listing(
            client,
            section=key,
            libtype=TYPE_SHOW,
            parse=lambda raw: parse_item(raw, key, "show"),
            page_size=page_size,
            limit=limit,
        ),
        _listing(
            client,
            section=key,
            libtype=TYPE_EPISODE,
            parse=parse_episode,
            page_size=page_size,
            limit=limit,
        ),
    )
    return (shows.records, episodes.records), shows.complete and episodes.complete


async def read_section(
    client: PlexClient, section: LibrarySection, page_size: int, limit: asyncio.Semaphore
) -> SectionRead:
    """One movie or show section, or why it could not be read.

    A refused token is not one section's problem: PlexAuthError goes to the caller.
    """
    kind = SECTION_KINDS[section.type]
    try:
        contents, complete = await _read_contents(client, section.key, kind, page_size, limit)
    except PlexAuthError:
        raise
    except PlexError as err:
        load = SectionLoad(section.key, kind, section.title, LoadState.FAILED, error=str(err))
        return SectionRead(section.key, kind, None, load, err)
    items, episodes = contents
    state = LoadState.COMPLETE if complete else LoadState.PARTIAL
    error = None if complete else PARTIAL_ERROR
    load = SectionLoad(section.key, kind, section.title, state, len(items), len(episodes), error)
    return SectionRead(section.key, kind, contents, load)


PARTIAL_ERROR = "paging ended before Plex's total: only part of the library was read"


async def read_sections(
    client: PlexClient,
    sections: Iterable[LibrarySection],
    *,
    page_size: int,
    concurrency: int,
) -> list[SectionRead]:
    """Read these sections (the movie and show ones among them) concurrently, each alone."""
    if page_size < 1:
        raise ValueError("page_size must be positive")
    limit = asyncio.Semaphore(concurrency)
    wanted = [section for section in sections if section.type in SECTION_KINDS]
    return await _all(*(read_section(client, section, page_size, limit) for section in wanted))


async def _all[T](*awaitables: Awaitable[T]) -> list[T]:
    """Every result, or the first error once all have ended: none is left running unawaited."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return cast("list[T]", results)


async def _both[A, B](first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Both results, or the first error once both have ended (as `_all`)."""
    one, two = await asyncio.gather(first, second, return_exceptions=True)
    for result in (one, two):
        if isinstance(result, BaseException):
            raise result
    return cast("A", one), cast("B", two)
