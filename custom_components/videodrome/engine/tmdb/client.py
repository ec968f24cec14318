"""Async client for TMDb's v3 API, over an aiohttp session the caller owns.

Every request goes through `TMDbClient._get`, which
- answers from memory, then from the SQLite cache (`Store.tmdb_cache`, whose ages and bounds
  store/tmdb_cache.py sets), before asking TMDb; memory keeps TMDb's bytes, not the decoded
  JSON, so that thousands of answers cost the garbage collector nothing to scan (decoding one
  again takes microseconds);
- shares one request among callers asking the same thing at the same time;
- keeps to TMDb's rate (about 40 requests/s) with a spacing limiter (pacing.py), and at most
  `concurrency` requests in flight;
- backs off on 429 for as long as `Retry-After` says (pausing every request, not only the one
  that was refused), and retries 5xx answers, timeouts and dropped connections with jittered
  exponential delays, a bounded number of times;
- awaits the caller's `request_gate` (if it set one) before each request that goes out, so
  that the metadata provider can bound what one of its requests costs;
- maps failures onto the engine's errors, whose messages name the request path only: the API
  key travels as a query parameter (v3) or a bearer header (v4) and never appears in a log
  line or an exception;
- tells its `Availability`, when it has one, how each request to TMDb ended: it logs once
  that TMDb is gone and once that it is back (engine/availability.py).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass
from http import HTTPStatus
import logging
import random
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

import aiohttp
import orjson

from ..blocking import BlockingRunner, run_in_default_executor
from ..store.tmdb_cache import EMPTY_TTL
from .errors import (
    TMDbAuthError,
    TMDbConnectionError,
    TMDbError,
    TMDbNotFoundError,
    TMDbProtocolError,
    TMDbRateLimitError,
)
from .models import Candidate, EpisodeGroup, Season, ShowDetails
from .pacing import RateLimiter, retry_after_seconds

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ..availability import Availability
    from ..store.database import Store

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.themoviedb.org/3"
DEFAULT_RATE = 40.0
DEFAULT_CONCURRENCY = 5
DEFAULT_TIMEOUT = 10.0
MAX_RETRIES = 3
MAX_RATE_LIMITED = 8
MEMORY_ENTRIES = 4096
_TIMED_OUT = 0
_UNREACHABLE = -1

ExternalSource = Literal["imdb_id", "tvdb_id"]

# Awaited with the path before every request that goes out to TMDb (never for an answer from a
# cache) in the context that set it; it may raise to refuse the request. Requests made under a
# gate are not shared with callers without one (ingest), whom a refusal must not fail.
request_gate: ContextVar[Callable[[str], Awaitable[None]] | None] = ContextVar(
    "tmdb_request_gate", default=None
)


@dataclass(slots=True)
class TMDbStats:
    """What the client did, for benchmarks and diagnostics."""

    requests: int = 0
    memory_hits: int = 0
    store_hits: int = 0
    shared: int = 0
    retries: int = 0
    rate_limited: int = 0


class TMDbClient:
    """TMDb's v3 API: search, details, seasons and external-id lookups, cached."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_key: str | None = None,
        bearer_token: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        store: Store | None = None,
        language: str = "en-US",
        concurrency: int = DEFAULT_CONCURRENCY,
        rate: float = DEFAULT_RATE,
        request_timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = MAX_RETRIES,
        backoff: float = 0.5,
        run_blocking: BlockingRunner | None = None,
        availability: Availability | None = None,
    ) -> None:
        """Use `api_key` (v3) or `bearer_token` (v4 read access token).

        `availability` is told how every request ended (None: nobody listens).
        """
        if not api_key and not bearer_token:
            raise ValueError("a TMDb API key or bearer token is required")
        self._session = session
        self._api_key = api_key
        self._bearer = bearer_token
        self._base = base_url.rstrip("/")
        self._store = store
        self._language = language
        self._semaphore = asyncio.Semaphore(concurrency)
        self._limiter = RateLimiter(rate)
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._max_retries = max_retries
        self._backoff = backoff
        self._run_blocking = run_blocking or run_in_default_executor
        self._memory: OrderedDict[str, bytes] = OrderedDict()  # request -> TMDb's answer
        self._inflight: dict[tuple[str, bool], asyncio.Task[Any]] = {}  # (request, gated)
        self._availability = availability
        self.stats = TMDbStats()

    def __repr__(self) -> str:
        """Never show the key."""
        return f"TMDbClient(base_url={self._base!r})"

    async def close(self) -> None:
        """Cancel the requests still running (on unload); the session is the caller's."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- the API ---------------------------------------------------------------------------

    async def validate(self) -> None:
        """Check the key or token (raises TMDbAuthError when TMDb refuses it)."""
        await self._get("authentication", {}, cache=False)

    async def search_movie(self, query: str, year: int | None = None) -> tuple[Candidate, ...]:
        """Movies matching `query` (released in `year`, when given), TMDb's order."""
        params: dict[str, str] = {"query": query, "include_adult": "false"}
        if year is not None:
            params["primary_release_year"] = str(year)
        data = await self._get("search/movie", params)
        return _candidates(data.get("results"), "movie")

    async def search_tv(self, query: str, year: int | None = None) -> tuple[Candidate, ...]:
        """Shows matching `query` (first aired in `year`, when given), TMDb's order."""
        params: dict[str, str] = {"query": query, "include_adult": "false"}
        if year is not None:
            params["first_air_date_year"] = str(year)
        data = await self._get("search/tv", params)
        return _candidates(data.get("results"), "tv")

    async def movie(self, tmdb_id: int, *, translations: bool = False) -> Candidate:
        """A movie with its alternative titles and external ids (and `translations`' titles).

        Translations make the answer ten times larger: asked for only when a name matched no
        title of the search results (a release named in another language).
        """
        data = await self._get(f"movie/{int(tmdb_id)}", _details("movie", translations))
        candidate = Candidate.from_json(data, "movie")
        if candidate is None:
            raise TMDbProtocolError(f"TMDb sent a movie without an id for movie/{tmdb_id}")
        return candidate

    async def tv(self, tmdb_id: int, *, translations: bool = False) -> ShowDetails:
        """A show with its seasons, alternative titles, external ids and episode groups.

        `translations`: with its translations' titles too (see `movie()`).
        """
        data = await self._get(f"tv/{int(tmdb_id)}", _details("tv", translations))
        details = ShowDetails.from_json(data)
        if details is None:
            raise TMDbProtocolError(f"TMDb sent a show without an id for tv/{tmdb_id}")
        return details

    async def season(self, tmdb_id: int, season_number: int) -> Season:
        """The episodes of one season of a show."""
        data = await self._get(f"tv/{int(tmdb_id)}/season/{int(season_number)}", {})
        return Season.from_json(data, season_number)

    async def episode_group(self, group_id: str) -> EpisodeGroup:
        """An episode group (another order of a show's episodes), by the id `tv()` lists."""
        safe = "".join(ch for ch in group_id if ch.isalnum())
        if not safe:
            raise TMDbNotFoundError("an episode group needs an id")
        data = await self._get(f"tv/episode_group/{safe}", {})
        return EpisodeGroup.from_json(data, safe)

    async def details_json(
        self, media_type: Literal["movie", "tv"], tmdb_id: int, *, language: str | None = None
    ) -> Any:
        """TMDb's whole answer behind `movie()` or `tv()` (the same request, the same cache).

        For the metadata provider, which needs what the models leave out (overview, genres...),
        in `language` when given (else the client's).
        """
        params = _details(media_type, translations=False)
        return await self._get(f"{media_type}/{int(tmdb_id)}", params | _language(language))

    async def season_json(
        self, tmdb_id: int, season_number: int, *, language: str | None = None
    ) -> Any:
        """TMDb's whole answer behind `season()` (the same request, the same cache)."""
        path = f"tv/{int(tmdb_id)}/season/{int(season_number)}"
        return await self._get(path, _language(language))

    async def find(self, external_id: str, source: ExternalSource) -> tuple[Candidate, ...]:
        """Movies and shows with this IMDb (`tt…`) or TVDB id."""
        safe = "".join(ch for ch in external_id if ch.isalnum())
        if not safe:
            return ()
        data = await self._get(f"find/{safe}", {"external_source": source})
        return _candidates(data.get("movie_results"), "movie") + _candidates(
            data.get("tv_results"), "tv"
        )

    # --- the machinery ---------------------------------------------------------------------

    async def _get(self, path: str, params: dict[str, str], *, cache: bool = True) -> Any:
        params = {"language": self._language, **params}
        key = f"{path}?{urlencode(sorted(params.items()))}"
        if cache and key in self._memory:
            self._memory.move_to_end(key)
            self.stats.memory_hits += 1
            return orjson.loads(self._memory[key])
        flight = (key, request_gate.get() is not None)
        task = self._inflight.get(flight)
        if task is None:
            # A task of its own, so that a caller giving up does not cancel it for the others.
            task = asyncio.get_running_loop().create_task(
                self._load(key, path, params, cache=cache), name=f"TMDb {path}"
            )
            self._inflight[flight] = task
            task.add_done_callback(lambda done: self._finished(flight, done))
        else:
            self.stats.shared += 1
        return await asyncio.shield(task)

    def _finished(self, flight: tuple[str, bool], task: asyncio.Task[Any]) -> None:
        self._inflight.pop(flight, None)
        if not task.cancelled():
            task.exception()  # retrieved: its callers got it, or all of them gave up

    async def _load(self, key: str, path: str, params: dict[str, str], *, cache: bool) -> Any:
        stored = self._store.tmdb_cache if self._store is not None else None
        if cache and stored is not None:
            body = await self._run_blocking(lambda: stored.get(key))
            if body is not None:
                data = orjson.loads(body)
                # An empty search may become a hit once someone adds the title: asked sooner.
                if not _is_empty_search(data) or await self._run_blocking(
                    lambda: stored.get(key, EMPTY_TTL)
                ):
                    self.stats.store_hits += 1
                    self._remember(key, body)
                    return data
        try:
            body = await self._fetch(path, params)
            data = _decoded(body, path)
        except TMDbError as err:
            if self._availability is not None:
                self._availability.report(err)
            raise
        if self._availability is not None:
            self._availability.succeeded()
        if cache:
            self._remember(key, body)
            if stored is not None:
                await self._run_blocking(lambda: stored.put(key, body))
        return data

    def _remember(self, key: str, body: bytes) -> None:
        self._memory[key] = body
        if len(self._memory) > MEMORY_ENTRIES:
            self._memory.popitem(last=False)

    async def _fetch(self, path: str, params: dict[str, str]) -> bytes:
        headers = {"Accept": "application/json"}
        query = dict(params)
        if self._bearer:
            headers["Authorization"] = f"Bearer {self._bearer}"
        else:
            query["api_key"] = str(self._api_key)
        failures = 0
        refusals = 0
        while True:
            status, body, retry_after = await self._send(path, query, headers)
            if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
                return body
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                refusals += 1
                self.stats.rate_limited += 1
                if refusals > MAX_RATE_LIMITED:
                    raise TMDbRateLimitError(f"TMDb kept refusing {path} with 429")
                wait = retry_after_seconds(retry_after)
                _LOGGER.debug("TMDb rate limit on %s: waiting %.1f s", path, wait)
                self._limiter.pause(wait)
                continue
            error = _status_error(status, path)
            failures += 1
            if failures > self._max_retries:
                raise error
            self.stats.retries += 1
            delay = self._backoff * 2 ** (failures - 1) * (0.5 + random.random() / 2)  # noqa: S311
            _LOGGER.debug("TMDb %s failed (%s); retry in %.2f s", path, error, delay)
            await asyncio.sleep(delay)

    async def _send(
        self, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, bytes, str | None]:
        """One request: status, body, Retry-After; status 0 on a timeout, -1 if unreachable."""
        if (gate := request_gate.get()) is not None:
            await gate(path)
        async with self._semaphore:
            await self._limiter.acquire()
            self.stats.requests += 1
            _LOGGER.debug("TMDb GET %s", path)
            try:
                async with self._session.get(
                    f"{self._base}/{path}", params=query, headers=headers, timeout=self._timeout
                ) as response:
                    return (
                        response.status,
                        await response.read(),
                        response.headers.get("Retry-After"),
                    )
            except TimeoutError:
                return _TIMED_OUT, b"", None
            except aiohttp.ClientError:
                return _UNREACHABLE, b"", None


def _status_error(status: int, path: str) -> TMDbError:
    """The error for a failed request; raised at once unless it is worth a retry."""
    if status == HTTPStatus.UNAUTHORIZED:
        raise TMDbAuthError("TMDb rejected the API key or token")
    if status == HTTPStatus.NOT_FOUND:
        raise TMDbNotFoundError(f"TMDb has nothing at {path}")
    if status == _TIMED_OUT:
        return TMDbConnectionError(f"TMDb did not answer in time for {path}")
    if status == _UNREACHABLE:
        return TMDbConnectionError(f"cannot reach TMDb for {path}")
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return TMDbConnectionError(f"TMDb answered {status} for {path}")
    raise TMDbProtocolError(f"TMDb answered {status} for {path}")


def _decoded(body: bytes, path: str) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise TMDbProtocolError(f"TMDb sent something that is not JSON for {path}") from None
    if not isinstance(data, dict):
        raise TMDbProtocolError(f"TMDb sent an unexpected shape for {path}")
    return data


def _candidates(results: Any, media_type: Literal["movie", "tv"]) -> tuple[Candidate, ...]:
    if not isinstance(results, list):
        return ()
    found = (Candidate.from_json(r, media_type) for r in results if isinstance(r, dict))
    return tuple(c for c in found if c is not None)


def _details(media_type: Literal["movie", "tv"], translations: bool) -> dict[str, str]:
    """What a details request appends: the same for ingest and the provider (one cache entry)."""
    parts = ["alternative_titles", "external_ids"]
    if media_type == "tv":
        parts.append("episode_groups")  # a short list; absolute numbering needs it
    if translations:
        parts.append("translations")
    return {"append_to_response": ",".join(parts)}


def _language(language: str | None) -> dict[str, str]:
    return {"language": language} if language else {}


def _is_empty_search(data: Any) -> bool:
    return isinstance(data, dict) and data.get("results") == [] and "total_results" in data
