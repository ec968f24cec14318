"""Where the answer to a match request comes from: an id, the history, then identification.

`Matcher.find` asks, in order, until one answers (all of them for "Fix Match…"):
1. an id in the request (`tmdb://`, `imdb://`, `tvdb://`, or one of Videodrome's GUIDs);
2. the history, by the name Videodrome filed the file under (path folders settle ties);
3. the history, by title (and year, give or take one);
4. identification of the file's name as ingest does it (guessit in an executor job, TMDb,
   scoring), or a TMDb search for the title, within a time limit.
The history's answers score 100: they are what Videodrome decided, with a person's approval
where it mattered. A source that could not be asked (TMDb down, time up) makes the answer
incomplete, and an incomplete answer is not cached.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

from .blocking import BlockingRunner, run_in_default_executor
from .errors import TMDbError, TMDbNotFoundError
from .parse import Kind, Reading
from .provider_docs import MetadataType, ProviderKind, RatingKey
from .provider_match import Found, Hit, MatchRequest, from_history, key_at_level
from .provider_metadata import episodes_of, seasons_of
from .score import score

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .identify import Identifier
    from .store import Item, Store
    from .tmdb import ExternalSource, TMDbClient

_LOGGER = logging.getLogger(__name__)

IDENTIFY_TIMEOUT: Final = 8.0  # Plex's own timeout is unknown; stay well under 10 s
HISTORY_LIMIT: Final = 20


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
    ) -> None:
        """Look in `store` and identify with `identifier` when given."""
        self.kind: ProviderKind = kind
        self._tmdb = tmdb
        self._store = store
        self._identifier = identifier
        self._run_blocking = run_blocking or run_in_default_executor
        self._identify_timeout = identify_timeout

    async def find(self, request: MatchRequest) -> tuple[list[Found], bool]:
        """The titles found, best first, and whether every source could be asked."""
        found: list[Found] = []
        complete = True

        def add(more: list[Found] | None) -> bool:
            nonlocal complete
            if more is None:
                complete = False
                return False
            for candidate in more:
                if all(f.key != candidate.key for f in found):
                    found.append(candidate)
            return bool(found) and not request.manual

        if add(await self._from_guid(request)):
            return found, complete
        if (name := request.file_name) is not None and add(await self._history(request, name)):
            return found, complete
        if (title := request.show_title) is not None and add(
            await self._history(request, None, title)
        ):
            return found, complete
        add(await self._identify(request))
        return found, complete

    async def _history(
        self, request: MatchRequest, file_name: str | None, title: str | None = None
    ) -> list[Found]:
        store = self._store
        if store is None:
            return []
        items: list[Item] = await self._run_blocking(
            lambda: store.filed(file_name=file_name, title=title, limit=HISTORY_LIMIT)
        )
        if title is not None and request.year is not None:
            items = [i for i in items if i.year is None or abs(i.year - request.year) <= 1]
        return await self._keys(request, from_history(request, items, by_file=title is None))

    async def _from_guid(self, request: MatchRequest) -> list[Found] | None:
        """What an id in the request names (None: TMDb could not be asked)."""
        guid = request.guid
        if not guid:
            return []
        own = RatingKey.from_guid(guid)
        if own is not None:
            if own.provider != self.kind:
                return []
            return await self._keys(request, [(own.tmdb_id, own.season, own.episode, 100)])
        scheme, _, value = guid.partition("://")
        value = value.split("?")[0].strip("/")
        wanted = "movie" if self.kind == "movie" else "tv"
        if scheme == "tmdb" and value.isascii() and value.isdigit():
            return await self._keys(request, [(int(value), None, None, 100)])
        if scheme in {"imdb", "tvdb"} and value.isascii() and value.isalnum():
            source: ExternalSource = "imdb_id" if scheme == "imdb" else "tvdb_id"
            try:
                hits = await self._tmdb.find(value, source)
            except TMDbError as err:
                _LOGGER.debug("TMDb could not look up %s: %s", guid, err)
                return None
            return await self._keys(
                request, [(c.tmdb_id, None, None, 100) for c in hits if c.media_type == wanted]
            )
        return []

    async def _identify(self, request: MatchRequest) -> list[Found] | None:
        """Identify the file's name (or search its title) as ingest would (None: no time)."""
        try:
            async with asyncio.timeout(self._identify_timeout):
                if request.filename and self._identifier is not None:
                    return await self._identify_file(request, self._identifier)
                if request.show_title:
                    return await self._search(request, request.show_title)
        except TimeoutError:
            _LOGGER.info("Identifying a file for Plex took over %s s", self._identify_timeout)
            return None
        except TMDbError as err:
            _LOGGER.debug("TMDb failed while matching for Plex: %s", err)
            return None
        return []

    async def _identify_file(self, request: MatchRequest, identifier: Identifier) -> list[Found]:
        assert request.filename is not None  # noqa: S101 (checked by the caller)
        identification = await identifier.identify(request.filename)
        wanted = "movie" if self.kind == "movie" else "tv"
        ranked = [s for s in identification.ranked if s.candidate.media_type == wanted]
        season = identification.season
        episode = next(iter(identification.episodes), None)
        return await self._keys(
            request, [(s.candidate.tmdb_id, season, episode, _percent(s.score)) for s in ranked]
        )

    async def _search(self, request: MatchRequest, title: str) -> list[Found]:
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
        return await self._keys(
            request, [(s.candidate.tmdb_id, None, None, _percent(s.score)) for s in scored]
        )

    async def _keys(self, request: MatchRequest, hits: Iterable[Hit]) -> list[Found]:
        """Keys at the request's level for (TMDb id, season, episode, score) hits."""
        found: list[Found] = []
        for tmdb_id, season, episode, percent in hits:
            key = key_at_level(request, tmdb_id, season, episode)
            if key is None and request.type is MetadataType.EPISODE and request.date:
                key = await self._aired_on(tmdb_id, request.date)
            if key is not None:
                found.append(Found(key, percent))
        return found

    async def _aired_on(self, tmdb_id: int, date: str) -> RatingKey | None:
        """The episode of a show that aired on `date` (a daily show's files say only that)."""
        try:
            show = await self._tmdb.details_json("tv", tmdb_id)
            for entry in seasons_of(show):
                number = int(entry.get("season_number") or 0)
                for episode in episodes_of(await self._tmdb.season_json(tmdb_id, number)):
                    if episode.get("air_date") == date:
                        return RatingKey("episode", tmdb_id, number, episode["episode_number"])
        except TMDbNotFoundError:
            return None
        return None


def _percent(value: float) -> int:
    return max(0, min(100, round(value * 100)))
