"""Async client for Stash's GraphQL API and its images, over an aiohttp session the caller owns.

Every request goes through `StashClient._exchange`, which sends the API key in the `ApiKey`
header (never in the URL, so no exception text or log line that quotes a URL can hold it;
none is sent when the key is empty, for a Stash without authentication), applies a timeout,
follows no redirect (Stash sends a request without a key to its login page) and maps failures
onto the errors of `errors.py`, whose messages name the operation or route only. Answers are
kept in an `AnswerCache` for `cache_ttl` seconds (0: never), except images streamed through
`image_stream` (images.py), which are never held whole. How each request ended goes to
the client's `Availability`, when it has one (engine/availability.py), and to its `on_result`
listener (the integration's reachability sensor and its repair issue for a refused key).
Before a request goes out (never for an answer from the cache), the `request_gate` of the
caller's context, when it set one, is awaited: the metadata provider bounds what one of its
requests may cost Stash that way (provider/budget.py), and may refuse it.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from http import HTTPStatus
import logging
import time
from typing import TYPE_CHECKING, Any, Final, Literal

import aiohttp
import orjson
from yarl import URL

from .answers import Reply, graphql_data, read_bounded, refusal_of
from .cache import DEFAULT_TTL, AnswerCache
from .errors import (
    NotStashError,
    StashAuthError,
    StashConnectionError,
    StashError,
    StashGraphQLError,
    StashNotFoundError,
    StashProtocolError,
    StashTimeoutError,
)
from .images import IMAGE_ROUTES, ImageKind, ImageStream, StashImage, conditions_of, validators_of
from .models import ID_PATTERN, StashInfo, StashScene
from .queries import DOCUMENTS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

    from ..availability import Availability

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 10.0
GRAPHQL_PATH: Final = "/graphql"
# Scenes whose path contains a name, read per page; past MAX_PAGES the rest are not read (a
# name so short that hundreds of paths contain it is not worth more requests).
PAGE_SIZE: Final = 40
MAX_PAGES: Final = 5
MAX_NAME: Final = 255
MAX_ANSWER_BYTES: Final = 8 * 1024 * 1024
MAX_IMAGE_BYTES: Final = 20 * 1024 * 1024

type ErrorKey = Literal["cannot_connect", "invalid_auth", "not_stash"]

# Awaited with what is asked (an operation or an image route) before every request that goes
# out to Stash in the context that set it; it may raise to refuse the request.
request_gate: ContextVar[Callable[[str], Awaitable[None]] | None] = ContextVar(
    "stash_request_gate", default=None
)


def error_key(err: StashError) -> ErrorKey:
    """What a check of a Stash address and key found wrong, as the options flow names it."""
    if isinstance(err, StashAuthError):
        return "invalid_auth"
    if isinstance(err, StashProtocolError | StashGraphQLError):
        return "not_stash"
    return "cannot_connect"


class StashClient:
    """A Stash server: its scenes by file name or id, its images, its version."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        api_key: str = "",
        *,
        cache_ttl: float = DEFAULT_TTL,
        request_timeout: float = DEFAULT_TIMEOUT,
        verify_ssl: bool = True,
        availability: Availability | None = None,
        on_result: Callable[[StashError | None], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_image_bytes: int | None = None,
    ) -> None:
        """Talk to the Stash at `url` (`http://host:9999`); an empty `api_key` sends none.

        `availability` and `on_result` are told how every request ended (None: an answer);
        `max_image_bytes` bounds an image (MAX_IMAGE_BYTES), streamed or read whole.
        """
        base = URL(url.strip())
        if base.scheme not in {"http", "https"} or not base.host:
            raise ValueError("the Stash URL must look like http://host:9999")
        prefix = base.path.rstrip("/").removesuffix(GRAPHQL_PATH)  # a pasted endpoint is fine
        self._base = base.with_path(prefix or "/").with_query(None).with_fragment(None)
        self._prefix = prefix
        self._session = session
        self._api_key = api_key.strip()
        self._timeout = request_timeout
        self._verify_ssl = verify_ssl
        self._availability = availability
        self.on_result = on_result
        self.cache = AnswerCache(cache_ttl, clock=clock)
        self.max_image_bytes = MAX_IMAGE_BYTES if max_image_bytes is None else max_image_bytes

    def __repr__(self) -> str:
        """Never show the key."""
        key = "set" if self._api_key else "none"
        return f"StashClient(url={str(self._base)!r}, api_key={key})"

    @property
    def url(self) -> str:
        """The server's address (without the key, which is never part of it)."""
        return str(self._base)

    # --- the API ---------------------------------------------------------------------------

    async def validate(self) -> StashInfo:
        """Whether the URL is Stash and takes the key (uncached; `error_key` names failures)."""
        return await self._reported(self._validate())

    async def scenes_by_file_name(self, file_name: str) -> tuple[StashScene, ...]:
        """The scenes with a file called exactly `file_name` (its last part), in path order.

        Stash is asked for the scenes whose path contains the name (case-insensitive, `_`
        and `%` as wildcards: more than wanted, never fewer), a page at a time, and only
        those with a file of exactly that name are kept.
        """
        name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
        if not name.strip() or len(name) > MAX_NAME:
            return ()
        return await self._reported(self._scenes_named(name))

    async def scene(self, scene_id: str) -> StashScene:
        """One scene by its id (StashNotFoundError when Stash has none)."""
        if not ID_PATTERN.fullmatch(scene_id):
            raise StashNotFoundError(f"Stash has no scene {scene_id[:20]!r}")
        return await self._reported(self._scene(scene_id))

    async def image(self, kind: ImageKind, object_id: str) -> StashImage:
        """An image Stash serves: a scene's screenshot, a performer's, a group's front..."""
        if not ID_PATTERN.fullmatch(object_id):
            raise StashNotFoundError(f"Stash has no {kind} image {object_id[:20]!r}")
        route = IMAGE_ROUTES[kind].format(object_id)
        return await self._reported(self._image(kind, route))

    @asynccontextmanager
    async def image_stream(
        self, kind: ImageKind, object_id: str, conditions: Mapping[str, str] | None = None
    ) -> AsyncIterator[ImageStream]:
        """An image Stash serves, streamed (images.py), never cached.

        The connection is given back when the block ends, however it ends.

        `conditions` (If-None-Match, If-Modified-Since) go to Stash, which may answer 304 (a
        stream that is `not_modified`). Errors before the first byte are raised on entry:
        StashNotFoundError (Stash has none), StashProtocolError (not an image, or its
        Content-Length over the bound), the connection's and the key's errors.
        """
        if not ID_PATTERN.fullmatch(object_id):
            raise StashNotFoundError(f"Stash has no {kind} image {object_id[:20]!r}")
        route = IMAGE_ROUTES[kind].format(object_id)
        async with AsyncExitStack() as stack:
            try:
                extra = conditions_of(conditions or {})
                response = await self._open(
                    stack, "GET", route, route, body=None, accept="image/*", extra=extra
                )
                stream = self._image_stream(response, route)
            except StashError as err:
                self._report(err)
                raise
            self._report(None)
            yield stream

    def clear_cache(self) -> None:
        """Forget every remembered answer (after the user changed something in Stash)."""
        self.cache.clear()

    # --- the machinery ---------------------------------------------------------------------

    async def _reported[T](self, work: Awaitable[T]) -> T:
        """`work`'s result, its end told to the availability tracker."""
        try:
            result = await work
        except StashError as err:
            self._report(err)
            raise
        self._report(None)
        return result

    def _report(self, err: StashError | None) -> None:
        """How a request ended (None: answered), told to the tracker and the listener."""
        if self._availability is not None:
            if err is None:
                self._availability.succeeded()
            else:
                self._availability.report(err)
        if self.on_result is not None:
            self.on_result(err)

    async def _validate(self) -> StashInfo:
        try:
            data = await self._query("VideodromeVersion", {}, cache=False)
        except StashGraphQLError as err:
            raise NotStashError("the address answers GraphQL, but not as Stash does") from err
        version, status = data.get("version"), data.get("systemStatus")
        if not isinstance(version, dict) or not isinstance(version.get("hash"), str):
            raise NotStashError("the address answers GraphQL, but without Stash's version")
        number = version.get("version")
        state = status.get("status") if isinstance(status, dict) else None
        return StashInfo(
            number if isinstance(number, str) else None,
            version["hash"],
            state if isinstance(state, str) else "",
        )

    async def _scenes_named(self, name: str) -> tuple[StashScene, ...]:
        found: list[StashScene] = []
        read = 0
        for page in range(1, MAX_PAGES + 1):
            variables = {"path": f'"{name}"', "page": page, "perPage": PAGE_SIZE}
            result = (await self._query("VideodromeScenesByPath", variables)).get("findScenes")
            if not isinstance(result, dict) or not isinstance(result.get("scenes"), list):
                raise StashProtocolError("Stash sent findScenes without scenes")
            scenes = [StashScene.from_json(s) for s in result["scenes"] if isinstance(s, dict)]
            found += [s for s in scenes if s.has_file_named(name)]
            read += len(scenes)
            count = result.get("count")
            if not scenes or not isinstance(count, int) or read >= count:
                break
        else:
            _LOGGER.debug("Stash has more paths containing %r than were read (%d)", name, read)
        return tuple(found)

    async def _scene(self, scene_id: str) -> StashScene:
        scene = (await self._query("VideodromeScene", {"id": scene_id})).get("findScene")
        if scene is None:
            raise StashNotFoundError(f"Stash has no scene {scene_id}")
        if not isinstance(scene, dict):
            raise StashProtocolError("Stash sent findScene that is not a scene")
        return StashScene.from_json(scene)

    async def _query(
        self, operation: str, variables: Mapping[str, Any], *, cache: bool = True
    ) -> dict[str, Any]:
        """The `data` of one of `DOCUMENTS`, from the cache or from Stash."""
        key = (operation, orjson.dumps(variables, option=orjson.OPT_SORT_KEYS))
        if cache and (body := self.cache.get(key)) is not None:
            return graphql_data(body, operation)
        payload = {
            "query": DOCUMENTS[operation],
            "variables": variables,
            "operationName": operation,
        }
        reply = await self._exchange("POST", GRAPHQL_PATH, operation, orjson.dumps(payload))
        if (refusal := refusal_of(reply, f"the query {operation}")) is not None:
            raise refusal
        if reply.status in {HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED}:
            raise NotStashError(f"nothing answers GraphQL at {GRAPHQL_PATH} ({reply.status})")
        data = graphql_data(reply.body, operation, reply.status)
        if cache:
            self.cache.put(key, reply.body)
        return data

    async def _image(self, kind: ImageKind, route: str) -> StashImage:
        key = ("image", kind, route)
        if (body := self.cache.get(key)) is not None:
            content_type, _, image = body.partition(b"\n")
            return StashImage(image, content_type.decode())
        reply = await self._exchange("GET", route, route, None, accept="image/*")
        if (refusal := refusal_of(reply, route)) is not None:
            raise refusal
        if reply.status == HTTPStatus.NOT_FOUND:
            raise StashNotFoundError(f"Stash has nothing at {route}")
        if reply.status != HTTPStatus.OK or not reply.content_type.startswith("image/"):
            raise StashProtocolError(f"Stash answered {route} with {reply.status}, not an image")
        self.cache.put(key, reply.content_type.encode() + b"\n" + reply.body)
        return StashImage(reply.body, reply.content_type)

    def _image_stream(self, response: aiohttp.ClientResponse, route: str) -> ImageStream:
        """The stream of an opened image answer, or the error its status and headers make."""
        reply = Reply(
            response.status, b"", response.content_type, response.headers.get("Location", "")
        )
        not_modified = reply.status == HTTPStatus.NOT_MODIFIED
        if not not_modified and (refusal := refusal_of(reply, route)) is not None:
            raise refusal
        if reply.status == HTTPStatus.NOT_FOUND:
            raise StashNotFoundError(f"Stash has nothing at {route}")
        if not not_modified and (
            reply.status != HTTPStatus.OK or not reply.content_type.startswith("image/")
        ):
            raise StashProtocolError(f"Stash answered {route} with {reply.status}, not an image")
        length = response.content_length
        if length is not None and length > self.max_image_bytes:
            raise StashProtocolError(f"Stash's answer to {route} is too large")
        return ImageStream(
            route,
            reply.status,
            reply.content_type,
            length,
            validators_of(response.headers),
            self.max_image_bytes,
            self._timeout,
            self._report,
            None if not_modified else response,
        )

    async def _open(
        self,
        stack: AsyncExitStack,
        method: str,
        path: str,
        what: str,
        *,
        body: bytes | None,
        accept: str,
        extra: Mapping[str, str],
    ) -> aiohttp.ClientResponse:
        """One request sent and its answer's head read; never follows a redirect.

        The body is the caller's to read; `stack` gives the connection back.
        """
        if (gate := request_gate.get()) is not None:
            await gate(what)
        headers = {**extra, "Accept": accept}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["ApiKey"] = self._api_key
        url = self._base.with_path(self._prefix + path, encoded=False)
        _LOGGER.debug("Stash %s %s", method, what)
        request = self._session.request(
            method, url, data=body, headers=headers, ssl=self._verify_ssl, allow_redirects=False
        )
        try:
            async with asyncio.timeout(self._timeout):
                return await stack.enter_async_context(request)
        except TimeoutError:
            raise StashTimeoutError(f"Stash did not answer {what} in time") from None
        except aiohttp.ClientError as err:
            raise self._unreachable(err) from None

    def _unreachable(self, err: aiohttp.ClientError) -> StashConnectionError:
        # raised `from None`: aiohttp's exceptions may carry the request, whose headers hold the key
        where = f"{self._base.host}:{self._base.port}"
        return StashConnectionError(f"cannot reach Stash at {where} ({type(err).__name__})")

    async def _exchange(
        self,
        method: str,
        path: str,
        what: str,
        body: bytes | None,
        *,
        accept: str = "application/json",
    ) -> Reply:
        """One request, its answer read whole (within a size bound, and the timeout)."""
        limit = self.max_image_bytes if body is None else MAX_ANSWER_BYTES
        async with AsyncExitStack() as stack:
            response = await self._open(
                stack, method, path, what, body=body, accept=accept, extra={}
            )
            try:
                async with asyncio.timeout(self._timeout):
                    read = await read_bounded(response, limit, what)
            except TimeoutError:
                raise StashTimeoutError(f"Stash did not answer {what} in time") from None
            except aiohttp.ClientError as err:
                raise self._unreachable(err) from None
            location = response.headers.get("Location", "")
            return Reply(response.status, read, response.content_type, location)
