"""Videodrome as a Plex custom metadata provider: what Plex asks, answered from what it knows.

One `MetadataProvider` per kind (movie, tv). `match` answers "what is this file?" with what
`provider_matcher` finds (an id, the ingest history, then identification); unknown is an
empty list. `metadata`, `children`, `grandchildren`, `images` and `extras` serve TMDb's data
under the keys of `provider_docs`. Answers are JSON bytes, cached for a while; only TMDb's
public metadata goes into them, never a path or a key.

Each of those requests is bounded by `provider_limits` (at most `MAX_TMDB_REQUESTS` requests
to TMDb, within the provider's share of TMDb's rate; past it `ProviderBusyError`), and asks
TMDb only in one of its languages (`provider_languages`). A page of a show's episodes reads
only the seasons that hold it, by the episode counts of the show's details.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, Any, Final

import orjson

from ..tmdb.errors import TMDbNotFoundError
from .budget import ProviderLimits
from .documents import (
    PROVIDER_TYPES,
    MetadataType,
    Page,
    ProviderKind,
    RatingKey,
    container,
    media_provider,
)
from .errors import ProviderNotFoundError
from .languages import normalise_language
from .matcher import IDENTIFY_TIMEOUT, Matcher
from .metadata import (
    all_images,
    episode_metadata,
    episodes_of,
    movie_metadata,
    season_metadata,
    seasons_of,
    show_metadata,
)
from .rate_limits import TTLCache
from .requests import MANUAL_RESULTS, MatchRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..blocking import BlockingRunner
    from ..identify.identifier import Identifier
    from ..store.database import Store
    from ..tmdb.client import TMDbClient

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
        limits: ProviderLimits | None = None,
    ) -> None:
        """Serve `kind` from `tmdb`; match from `store` and `identifier` when given.

        `limits` are shared by the providers of one TMDb client (their share of its rate).
        """
        self.kind: ProviderKind = kind
        self._tmdb = tmdb
        self._limits = limits or ProviderLimits.create()
        self._matcher = Matcher(
            kind,
            tmdb,
            store=store,
            identifier=identifier,
            run_blocking=run_blocking,
            identify_timeout=identify_timeout,
            parses=self._limits.parses,
        )
        self._root = _answer(media_provider(kind, version))
        # Bounded: anyone reaching the provider chooses what is asked. A show's episodes are
        # the largest entries (about 1.5 kB each), hence the smaller bound on lists.
        self._answers: TTLCache[tuple[Any, ...], Answer] = TTLCache(
            METADATA_TTL, max_entries=512, clock=clock
        )
        self._matches: TTLCache[tuple[MatchRequest, str], Answer] = TTLCache(
            MATCH_TTL, max_entries=1024, clock=clock
        )
        # A show's seasons, or a season's episodes (a show's episodes are put together from
        # its seasons'), so a list is at most a long season (up to 1.5 kB per episode).
        self._lists: TTLCache[tuple[RatingKey, str], list[dict[str, Any]]] = TTLCache(
            METADATA_TTL, max_entries=256, clock=clock
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
        language = normalise_language(language)
        cached = self._matches.get((request, language))
        if cached is not None:
            return cached
        with self._limits.metered():
            found, complete = (
                await self._matcher.find(request, language=language)
                if request.type in self.types
                else ([], True)
            )
            documents: list[dict[str, Any]] = []
            for candidate in found:
                if len(documents) >= (MANUAL_RESULTS if request.manual else 1):
                    break
                try:
                    document = await self._document(
                        candidate.key, request.include_children, language
                    )
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
        language = normalise_language(language)
        cache_key = ("metadata", key, include_children, language)
        if (cached := self._answers.get(cache_key)) is not None:
            return cached
        with self._limits.metered():
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
        language = normalise_language(language)
        cache_key = ("images", key, language)
        if (cached := self._answers.get(cache_key)) is not None:
            return cached
        with self._limits.metered():
            images = all_images(await self._document(key, False, language))
        answer = _answer(container(self.kind, images, element="Image"))
        self._answers.put(cache_key, answer)
        return answer

    async def extras(self, rating_key: str) -> Answer:
        """No extras (PMS asks anyway): an empty list for a title that exists."""
        key = self._key(rating_key)
        with self._limits.metered():
            await self._document(key, False, normalise_language(None))
        return _answer(container(self.kind, []))

    async def _paged(
        self, relation: str, rating_key: str, page: Page, language: str | None
    ) -> Answer:
        key = self._key(rating_key)
        tag = normalise_language(language)
        with self._limits.metered():
            if relation == "grandchildren" and key.type == "show":
                shown, total = await self._episodes_page(key, page, tag)
            elif relation == "children" and key.type in {"show", "season"}:
                items = await self._children(key, tag)
                shown, total = page.of(items), len(items)
            else:
                await self._document(key, False, tag)  # 404 when it does not exist
                shown, total = [], 0
        headers = (
            ("X-Plex-Container-Start", str(page.start)),
            ("X-Plex-Container-Total-Size", str(total)),
        )
        return _answer(container(self.kind, shown, offset=page.start, total=total), headers)

    async def _children(self, key: RatingKey, language: str) -> list[dict[str, Any]]:
        """A show's seasons, or a season's episodes."""
        if key.type == "season":
            show = await self._details("tv", key.tmdb_id, language)
            if all(s.get("season_number") != key.season for s in seasons_of(show)):
                raise ProviderNotFoundError(str(key))
            return await self._season_episodes(show, key, language)
        cached = self._lists.get((key, language))
        if cached is None:
            show = await self._details("tv", key.tmdb_id, language)
            cached = [season_metadata(show, s) for s in seasons_of(show)]
            self._lists.put((key, language), cached)
        return cached

    async def _episodes_page(
        self, key: RatingKey, page: Page, language: str
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of a show's episodes, season after season, and how many there are in all.

        Only the seasons that hold the page are read, found by the episode counts the show's
        details give; a season read counts its own episodes (TMDb's counts agree with them).
        """
        show = await self._details("tv", key.tmdb_id, language)
        counts = [
            (number, count if isinstance(count := s.get("episode_count"), int) else 0)
            for s in seasons_of(show)
            if isinstance(number := s.get("season_number"), int)
        ]
        end = page.start + page.size
        wanted: list[int] = []
        position = 0
        for number, count in counts:
            if position < end and position + count > page.start:
                wanted.append(number)
            position += count
        # Every season asked is waited for, even when one fails or is refused: what the others
        # fetched is cached before the answer goes (and the next request continues from there).
        lists = await asyncio.gather(
            *(
                self._season_episodes(show, RatingKey("season", key.tmdb_id, n), language)
                for n in wanted
            ),
            return_exceptions=True,
        )
        if failed := next((e for e in lists if isinstance(e, BaseException)), None):
            raise failed
        read = {
            n: e for n, e in zip(wanted, lists, strict=True) if not isinstance(e, BaseException)
        }
        shown: list[dict[str, Any]] = []
        position = 0
        for number, count in counts:
            episodes = read.get(number)
            if episodes is not None:
                shown += episodes[max(page.start - position, 0) : max(end - position, 0)]
            position += len(episodes) if episodes is not None else count
        return shown, position

    async def _season_episodes(
        self, show: dict[str, Any], key: RatingKey, language: str
    ) -> list[dict[str, Any]]:
        """The episodes of the season `key` of `show` (cached like the show's seasons)."""
        number = key.season or 0
        cached = self._lists.get((key, language))
        if cached is None:
            season = await self._season_json(key.tmdb_id, number, language)
            cached = [episode_metadata(show, number, e) for e in episodes_of(season)]
            self._lists.put((key, language), cached)
        return cached

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
