"""Where the answer to a match request comes from: an id, the history, then identification.

`Matcher.find` asks, in order, until one answers (all of them for "Fix Match…"):
1. an id in the request (`tmdb://`, `imdb://`, `tvdb://`, a legacy agent's guid such as
   `com.plexapp.agents.thetvdb://81189/1/2` (engine/guids.py), or one of Videodrome's GUIDs);
2. the history, by the name Videodrome filed the file under (path folders settle ties);
3. the history, by title (and year, give or take one);
4. identification of the file's name as ingest does it (guessit in an executor job, TMDb,
   scoring), or a TMDb search for the title, within a time limit.
The history's answers score 100: they are what Videodrome decided, with a person's approval
where it mattered. A source that could not be asked (TMDb down, time up) makes the answer
incomplete, and an incomplete answer is not cached. Only as many titles are looked at closely
(a daily show's episode found by its air date) as the answer lists, and file names wait to be
read in the provider's bounded queue (`provider_limits.ParseQueue`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import logging
from typing import TYPE_CHECKING, Final

from ..blocking import BlockingRunner, run_in_default_executor
from ..guids import read_guid
from ..identify.parsed_name import Kind, Reading
from ..identify.score import score
from ..tmdb.errors import TMDbError, TMDbNotFoundError
from .budget import ParseQueue
from .documents import MetadataType, ProviderKind, RatingKey
from .languages import DEFAULT_LANGUAGE
from .metadata import episodes_of, seasons_of
from .requests import (
    MANUAL_RESULTS,
    Found,
    Hit,
    MatchRequest,
    from_history,
    key_at_level,
)

if TYPE_CHECKING:
    from ..identify.identifier import Identifier
    from ..store.database import Store
    from ..store.items import Item
    from ..tmdb.client import ExternalSource, TMDbClient

_LOGGER = logging.getLogger(__name__)

IDENTIFY_TIMEOUT: Final = 8.0  # Plex's own timeout is unknown; stay well under 10 s
HISTORY_LIMIT: Final = 20


@dataclass(slots=True)
class _Finding:
    """What one match request found so far."""

    request: MatchRequest
    language: str
    date_lookups: int  # left; each reads a show and up to two seasons
    found: list[Found] = field(default_factory=list)
    complete: bool = True


class Matcher:
    """Finds what a file Plex asks about is, for the movie or the TV provider."""

    def __init__(
        self,
        kind: ProviderKind,
        tmdb: TMDbClient,
        *,
        store: Store | None = None,
        identifier: Identifier | None = None,
        run_blocking: BlockingRunner | None = None,
        identify_timeout: float = IDENTIFY_TIMEOUT,
        parses: ParseQueue | None = None,
    ) -> None:
        """Look in `store` and identify with `identifier` when given."""
        self.kind: ProviderKind = kind
        self._tmdb = tmdb
        self._store = store
        self._identifier = identifier
        self._run_blocking = run_blocking or run_in_default_executor
        self._identify_timeout = identify_timeout
        self._parses = parses or ParseQueue()

    async def find(
        self, request: MatchRequest, *, language: str = DEFAULT_LANGUAGE
    ) -> tuple[list[Found], bool]:
        """The titles found, best first, and whether every source could be asked.

        A daily show's seasons are read in `language`, as the answer's documents are.
        """
        finding = _Finding(request, language, date_lookups=MANUAL_RESULTS if request.manual else 1)
        for source in (self._from_guid, self._by_file, self._by_title, self._identify):
            if await self._add(finding, await source(request)):
                break
        return finding.found, finding.complete

    async def _add(self, finding: _Finding, hits: list[Hit] | None) -> bool:
        """Add the keys of `hits` at the request's level; whether that is enough (not manual)."""
        request = finding.request
        if hits is None:
            finding.complete = False
            return False
        date = request.date if request.type is MetadataType.EPISODE else None
        for tmdb_id, season, episode, percent in hits:
            key = key_at_level(request, tmdb_id, season, episode)
            if key is None and date and finding.date_lookups > 0:
                finding.date_lookups -= 1
                try:
                    key = await self._aired_on(tmdb_id, date, finding.language)
                except TMDbError as err:
                    _LOGGER.debug("TMDb failed while matching for Plex: %s", err)
                    finding.complete = False
            if key is not None and all(f.key != key for f in finding.found):
                finding.found.append(Found(key, percent))
        return bool(finding.found) and not request.manual

    async def _by_file(self, request: MatchRequest) -> list[Hit]:
        name = request.file_name
        return [] if name is None else await self._history(request, name)

    async def _by_title(self, request: MatchRequest) -> list[Hit]:
        title = request.show_title
        return [] if title is None else await self._history(request, None, title)

    async def _history(
        self, request: MatchRequest, file_name: str | None, title: str | None = None
    ) -> list[Hit]:
        store = self._store
        if store is None:
            return []
        items: list[Item] = await self._run_blocking(
            lambda: store.filed(file_name=file_name, title=title, limit=HISTORY_LIMIT)
        )
        if title is not None and request.year is not None:
            items = [i for i in items if i.year is None or abs(i.year - request.year) <= 1]
        return from_history(request, items, by_file=title is None)

    async def _from_guid(self, request: MatchRequest) -> list[Hit] | None:
        """What an id in the request names (None: TMDb could not be asked)."""
        guid = request.guid
        if not guid:
            return []
        own = RatingKey.from_guid(guid)
        if own is not None:
            if own.provider != self.kind:
                return []
            return [(own.tmdb_id, own.season, own.episode, 100)]
        found = read_guid(guid)
        if found is None:
            return []
        # A season's or an episode's legacy guid names its show, then its numbers.
        season, episode = (*found.numbers, None, None)[:2]
        ids = found.ids
        if ids.tmdb is not None:
            return [(ids.tmdb, season, episode, 100)]
        wanted = "movie" if self.kind == "movie" else "tv"
        if ids.imdb is not None:
            lookup: tuple[str, ExternalSource] = (ids.imdb, "imdb_id")
        elif ids.tvdb is not None:
            lookup = (str(ids.tvdb), "tvdb_id")
        else:
            return []  # an AniDB id: TMDb cannot look it up
        try:
            hits = await self._tmdb.find(*lookup)
        except TMDbError as err:
            _LOGGER.debug("TMDb could not look up %s: %s", guid, err)
            return None
        return [(c.tmdb_id, season, episode, 100) for c in hits if c.media_type == wanted]

    async def _identify(self, request: MatchRequest) -> list[Hit] | None:
        """Identify the file's name (or search its title) as ingest would (None: no time)."""
        try:
            async with asyncio.timeout(self._identify_timeout):
                if request.filename and self._identifier is not None:
                    with self._parses.place():
                        return await self._identify_file(request.filename, self._identifier)
                if request.show_title:
                    return await self._search(request, request.show_title)
        except TimeoutError:
            _LOGGER.debug("Identifying a file for Plex took over %s s", self._identify_timeout)
            return None
        except TMDbError as err:
            _LOGGER.debug("TMDb failed while matching for Plex: %s", err)
            return None
        return []

    async def _identify_file(self, filename: str, identifier: Identifier) -> list[Hit]:
        identification = await identifier.identify(filename)
        wanted = "movie" if self.kind == "movie" else "tv"
        ranked = [s for s in identification.ranked if s.candidate.media_type == wanted]
        season = identification.season
        episode = next(iter(identification.episodes), None)
        return [(s.candidate.tmdb_id, season, episode, _percent(s.score)) for s in ranked]

    async def _search(self, request: MatchRequest, title: str) -> list[Hit]:
        movie = self.kind == "movie"
        search = self._tmdb.search_movie if movie else self._tmdb.search_tv
        results = await search(title, request.year)
        if not results and request.year is not None:
            results = await search(title, None)
        reading = Reading(title, request.year)
        scored = sorted(
            (score(reading, Kind.MOVIE if movie else Kind.EPISODE, c) for c in results),
            key=lambda s: -s.score,
        )
        return [(s.candidate.tmdb_id, None, None, _percent(s.score)) for s in scored]

    async def _aired_on(self, tmdb_id: int, date: str, language: str) -> RatingKey | None:
        """The episode of a show that aired on `date` (a daily show's files say only that).

        It is in the season that started last on or before that day (or, where seasons
        overlap, the one before): two seasons are read at most.
        """
        try:
            show = await self._tmdb.details_json("tv", tmdb_id, language=language)
            started = sorted(
                (
                    (aired, number)
                    for entry in seasons_of(show)
                    if isinstance(aired := entry.get("air_date"), str)
                    and len(aired) == len(date)
                    and aired <= date
                    and isinstance(number := entry.get("season_number"), int)
                ),
                reverse=True,
            )
            for _, number in started[:2]:
                season = await self._tmdb.season_json(tmdb_id, number, language=language)
                for episode in episodes_of(season):
                    if episode.get("air_date") == date:
                        return RatingKey("episode", tmdb_id, number, episode["episode_number"])
        except TMDbNotFoundError:
            return None
        return None


def _percent(value: float) -> int:
    return max(0, min(100, round(value * 100)))
