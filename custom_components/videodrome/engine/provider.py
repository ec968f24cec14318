"""Videodrome as a Plex custom metadata provider: what Plex asks, answered from what it knows.

One `MetadataProvider` per kind (movie, tv). `match` answers "what is this file?" with what
`provider_matcher` finds (an id, the ingest history, then identification); unknown is an
empty list. `metadata`, `children`, `grandchildren`, `images` and `extras` serve TMDb's data
under the keys of `provider_docs`. Answers are JSON bytes, cached for a while; only TMDb's
public metadata goes into them, never a path or a key.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, Any, Final

import orjson

from .errors import ProviderNotFoundError, TMDbNotFoundError
from .limits import TTLCache
from .provider_docs import (
    PROVIDER_TYPES,
    MetadataType,
    Page,
    ProviderKind,
    RatingKey,
    container,
    media_provider,
)
from .provider_match import MANUAL_RESULTS, MatchRequest
from .provider_matcher import IDENTIFY_TIMEOUT, Matcher
from .provider_metadata import (
    all_images,
    episode_metadata,
    episodes_of,
    movie_metadata,
    season_metadata,
    seasons_of,
    show_metadata,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from .blocking import BlockingRunner
    from .identify import Identifier
    from .store import Store
    from .tmdb import TMDbClient

METADATA_TTL: Final = 3600.0
# Shorter: a file ingested a minute ago must be found when Plex scans it.
MATCH_TTL: Final = 300.0


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
        self._matcher = Matcher(
            kind,
            tmdb,
            store=store,
            identifier=identifier,
            run_blocking=run_blocking,
            identify_timeout=identify_timeout,
        )
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
        found, complete = (
            await self._matcher.find(request) if request.type in self.types else ([], True)
        )
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
