"""Videodrome as a Plex custom metadata provider: what Plex asks, answered from what it knows.

One `MetadataProvider` per kind (movie, tv). `match` answers "what is this file?" from the
ingest history first (the file name Videodrome filed it under, then its title: what was
decided, with a person's approval where it mattered), then by identifying the name the way
ingest does (guessit in an executor job, TMDb, scoring), within a time limit; unknown is an
empty list. `metadata`, `children`, `grandchildren`, `images` and `extras` serve TMDb's data
under the keys of `provider_docs`. Answers are JSON bytes, cached for a while; only TMDb's
public metadata goes into them, never a path or a key.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import logging
import time
from typing import TYPE_CHECKING, Any, Final

import orjson

from .blocking import BlockingRunner, run_in_default_executor
from .errors import ProviderNotFoundError, TMDbError, TMDbNotFoundError
from .limits import TTLCache
from .parse import Kind, Reading
from .provider_docs import (
    PROVIDER_TYPES,
    MetadataType,
    Page,
    ProviderKind,
    RatingKey,
    all_images,
    container,
    episode_metadata,
    episodes_of,
    media_provider,
    movie_metadata,
    season_metadata,
    seasons_of,
    show_metadata,
)
from .provider_match import MANUAL_RESULTS, Found, Hit, MatchRequest, from_history, key_at_level
from .score import score

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from .identify import Identifier
    from .store import Item, Store
    from .tmdb import ExternalSource, TMDbClient

_LOGGER = logging.getLogger(__name__)

METADATA_TTL: Final = 3600.0
# Shorter: a file ingested a minute ago must be found when Plex scans it.
MATCH_TTL: Final = 300.0
IDENTIFY_TIMEOUT: Final = 8.0  # Plex's own timeout is unknown; stay well under 10 s
HISTORY_LIMIT: Final = 20


@dataclass(frozen=True, slots=True)
class Answer:
    """A response body (JSON) and the headers that go with it."""

    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def json(self) -> Any:
        """The body, decoded (for tests and logs)."""
        return orjson.loads(self.body)


def _answer(document: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(orjson.dumps(document), headers)


class MetadataProvider:
    """The movie or the TV provider, over one TMDb client and (optionally) one history."""

    def __init__(
        self,
        kind: ProviderKind,
        tmdb: TMDbClient,
        *,
        store: Store | None = None,
        identifier: Identifier | None = None,
        run_blocking: BlockingRunner | None = None,
        version: str = "1.0.0",
        clock: Callable[[], float] = time.monotonic,
        identify_timeout: float = IDENTIFY_TIMEOUT,
    ) -> None:
        """Serve `kind` from `tmdb`; match from `store` and `identifier` when given."""
        self.kind: ProviderKind = kind
        self._tmdb = tmdb
        self._store = store
        self._identifier = identifier
        self._run_blocking = run_blocking or run_in_default_executor
        self._identify_timeout = identify_timeout
        self._root = _answer(media_provider(kind, version))
        # Bounded: anyone reaching the provider chooses what is asked. A show's episodes are
        # the largest entries (about 1.5 kB each), hence the smaller bound on lists.
        self._answers: TTLCache[tuple[Any, ...], Answer] = TTLCache(
            METADATA_TTL, max_entries=512, clock=clock
        )
        self._matches: TTLCache[tuple[MatchRequest, str | None], Answer] = TTLCache(
            MATCH_TTL, max_entries=1024, clock=clock
        )
        self._lists: TTLCache[tuple[str, RatingKey, str | None], list[dict[str, Any]]] = TTLCache(
            METADATA_TTL, max_entries=64, clock=clock
        )

    @property
    def types(self) -> tuple[MetadataType, ...]:
        """The metadata types this provider declares."""
        return PROVIDER_TYPES[self.kind]

    def root(self) -> Answer:
        """The `MediaProvider` document."""
        return self._root

    def forget_matches(self) -> None:
        """The history changed: answer the next match requests afresh."""
        self._matches.clear()

    # ---- matches --------------------------------------------------------------------------

    async def match(self, request: MatchRequest, *, language: str | None = None) -> Answer:
        """The titles a file may be, best first: one, or up to five for "Fix Match…".

        Titles are found in TMDb's default language; their documents are in `language`.
        """
        cached = self._matches.get((request, language))
        if cached is not None:
            return cached
        found, complete = await self._find(request) if request.type in self.types else ([], True)
        documents: list[dict[str, Any]] = []
        for candidate in found:
            if len(documents) >= (MANUAL_RESULTS if request.manual else 1):
                break
            try:
                document = await self._document(candidate.key, request.include_children, language)
            except ProviderNotFoundError:
                continue  # TMDb does not know it (any more): the next candidate
            documents.append(document | {"score": candidate.score})
        answer = _answer(container(self.kind, documents))
        if complete:  # an answer cut short by TMDb's failure is not remembered
            self._matches.put((request, language), answer)
        return answer

    async def _find(self, request: MatchRequest) -> tuple[list[Found], bool]:
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
            show = await self._details("tv", tmdb_id)
            for entry in seasons_of(show):
                number = int(entry.get("season_number") or 0)
                for episode in episodes_of(await self._season_json(tmdb_id, number)):
                    if episode.get("air_date") == date:
                        return RatingKey("episode", tmdb_id, number, episode["episode_number"])
        except ProviderNotFoundError:
            return None
        return None

    # ---- metadata -------------------------------------------------------------------------

    def _key(self, text: str) -> RatingKey:
        key = RatingKey.parse(text)
        if key is None or key.provider != self.kind:
            raise ProviderNotFoundError(text)
        return key

    async def metadata(
        self, rating_key: str, *, include_children: bool = False, language: str | None = None
    ) -> Answer:
        """One title, with its children (seasons, episodes) when asked."""
        key = self._key(rating_key)
        cache_key = ("metadata", key, include_children, language)
        if (cached := self._answers.get(cache_key)) is not None:
            return cached
        document = await self._document(key, include_children, language)
        answer = _answer(container(self.kind, [document]))
        self._answers.put(cache_key, answer)
        return answer

    async def children(self, rating_key: str, page: Page, *, language: str | None = None) -> Answer:
        """A show's seasons or a season's episodes, a page at a time."""
        return await self._paged("children", rating_key, page, language)

    async def grandchildren(
        self, rating_key: str, page: Page, *, language: str | None = None
    ) -> Answer:
        """A show's episodes, every season's, a page at a time."""
        return await self._paged("grandchildren", rating_key, page, language)

    async def images(self, rating_key: str, *, language: str | None = None) -> Answer:
        """Every image of a title."""
        key = self._key(rating_key)
        cache_key = ("images", key, language)
        if (cached := self._answers.get(cache_key)) is not None:
            return cached
        images = all_images(await self._document(key, False, language))
        answer = _answer(container(self.kind, images, element="Image"))
        self._answers.put(cache_key, answer)
        return answer

    async def extras(self, rating_key: str) -> Answer:
        """No extras (PMS asks anyway): an empty list for a title that exists."""
        key = self._key(rating_key)
        await self._document(key, False)
        return _answer(container(self.kind, []))

    async def _paged(
        self, relation: str, rating_key: str, page: Page, language: str | None
    ) -> Answer:
        key = self._key(rating_key)
        items = self._lists.get((relation, key, language))
        if items is None:
            if relation == "children":
                items = await self._children(key, language)
            else:
                items = await self._grand(key, language)
            self._lists.put((relation, key, language), items)
        shown = page.of(items)
        headers = (
            ("X-Plex-Container-Start", str(page.start)),
            ("X-Plex-Container-Total-Size", str(len(items))),
        )
        return _answer(container(self.kind, shown, offset=page.start, total=len(items)), headers)

    async def _children(self, key: RatingKey, language: str | None) -> list[dict[str, Any]]:
        if key.type == "show":
            show = await self._details("tv", key.tmdb_id, language)
            return [season_metadata(show, s) for s in seasons_of(show)]
        if key.type == "season":
            show, season = await self._season(key, language)
            return [episode_metadata(show, key.season or 0, e) for e in episodes_of(season)]
        await self._document(key, False, language)  # 404 when it does not exist
        return []

    async def _grand(self, key: RatingKey, language: str | None) -> list[dict[str, Any]]:
        if key.type != "show":
            await self._document(key, False, language)
            return []
        show = await self._details("tv", key.tmdb_id, language)
        numbers = [n for s in seasons_of(show) if (n := s.get("season_number")) is not None]
        seasons = await asyncio.gather(
            *(self._season_json(key.tmdb_id, n, language) for n in numbers)
        )
        return [
            episode_metadata(show, number, episode)
            for number, season in zip(numbers, seasons, strict=True)
            for episode in episodes_of(season)
        ]

    async def _document(
        self, key: RatingKey, include_children: bool, language: str | None = None
    ) -> dict[str, Any]:
        """The Metadata object of a title (404 when TMDb does not know it)."""
        if key.type == "movie":
            return movie_metadata(await self._details("movie", key.tmdb_id, language))
        if key.type == "show":
            show = await self._details("tv", key.tmdb_id, language)
            document = show_metadata(show)
            children = (
                [season_metadata(show, s) for s in seasons_of(show)] if include_children else None
            )
        elif key.type == "season":
            show, season = await self._season(key, language)
            document = season_metadata(show, season)
            children = (
                [episode_metadata(show, key.season or 0, e) for e in episodes_of(season)]
                if include_children
                else None
            )
        else:
            show, season = await self._season(key, language)
            episode = next(
                (e for e in episodes_of(season) if e.get("episode_number") == key.episode), None
            )
            if episode is None:
                raise ProviderNotFoundError(str(key))
            return episode_metadata(show, key.season or 0, episode)
        if children is not None:
            document["Children"] = {"size": len(children), "Metadata": children}
        return document

    async def _season(
        self, key: RatingKey, language: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        show = await self._details("tv", key.tmdb_id, language)
        if all(s.get("season_number") != key.season for s in seasons_of(show)):
            raise ProviderNotFoundError(str(key))
        return show, await self._season_json(key.tmdb_id, key.season or 0, language)

    async def _details(
        self, media_type: ProviderKind, tmdb_id: int, language: str | None = None
    ) -> dict[str, Any]:
        try:
            data = await self._tmdb.details_json(media_type, tmdb_id, language=language)
        except TMDbNotFoundError:
            raise ProviderNotFoundError(f"{media_type}/{tmdb_id}") from None
        if not isinstance(data, dict):  # pragma: no cover - the client only returns objects
            raise ProviderNotFoundError(f"{media_type}/{tmdb_id}")
        return data

    async def _season_json(
        self, tmdb_id: int, number: int, language: str | None = None
    ) -> dict[str, Any]:
        try:
            data = await self._tmdb.season_json(tmdb_id, number, language=language)
        except TMDbNotFoundError:
            raise ProviderNotFoundError(f"tv/{tmdb_id}/season/{number}") from None
        return data if isinstance(data, dict) else {}


def _percent(value: float) -> int:
    return max(0, min(100, round(value * 100)))
