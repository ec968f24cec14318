"""Async client for Stash's GraphQL API and its images, over an aiohttp session the caller owns.

Every request goes through `StashClient._exchange`, which sends the API key in the `ApiKey`
header (never in the URL, so no exception text or log line that quotes a URL can hold it;
none is sent when the key is empty, for a Stash without authentication), applies a timeout,
follows no redirect (Stash sends a request without a key to its login page) and maps failures
onto the errors of `errors.py`, whose messages name the operation or route only. Answers are
kept in an `AnswerCache` for `cache_ttl` seconds (0: never). How each request ended goes to
the client's `Availability`, when it has one (engine/availability.py), and to its `on_result`
listener (the integration's reachability sensor and its repair issue for a refused key).
Before a request goes out (never for an answer from the cache), the `request_gate` of the
caller's context, when it set one, is awaited: the metadata provider bounds what one of its
requests may cost Stash that way (provider/budget.py), and may refuse it.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
import logging
import time
from typing import TYPE_CHECKING, Any, Final, Literal

import aiohttp
import orjson
from yarl import URL

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
from .models import ID_PATTERN, StashInfo, StashScene
from .queries import DOCUMENTS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

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
_ERROR_TEXT: Final = 200  # of a GraphQL error message, at most

type ErrorKey = Literal["cannot_connect", "invalid_auth", "not_stash"]

# Awaited with what is asked (an operation or an image route) before every request that goes
# out to Stash in the context that set it; it may raise to refuse the request.
request_gate: ContextVar[Callable[[str], Awaitable[None]] | None] = ContextVar(
    "stash_request_gate", default=None
)


class ImageKind(StrEnum):
    """The images Stash serves, each at a route of its own."""

    SCREENSHOT = "screenshot"
    PERFORMER = "performer"
    GROUP_FRONT = "group_front"
    STUDIO = "studio"


_IMAGE_ROUTES: Final[dict[ImageKind, str]] = {
    ImageKind.SCREENSHOT: "/scene/{}/screenshot",
    ImageKind.PERFORMER: "/performer/{}/image",
    ImageKind.GROUP_FRONT: "/group/{}/frontimage",
    ImageKind.STUDIO: "/studio/{}/image",
}


@dataclass(frozen=True, slots=True)
class StashImage:
    """An image as Stash served it."""

    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    body: bytes
    content_type: str
    location: str


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
    ) -> None:
        """Talk to the Stash at `url` (`http://host:9999`); an empty `api_key` sends none.

        `availability` and `on_result` are told how every request ended (None: an answer).
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
        route = _IMAGE_ROUTES[kind].format(object_id)
        return await self._reported(self._image(kind, route))

    def clear_cache(self) -> None:
        """Forget every remembered answer (after the user changed something in Stash)."""
        self.cache.clear()

    # --- the machinery ---------------------------------------------------------------------

    async def _reported[T](self, work: Awaitable[T]) -> T:
        """`work`'s result, its end told to the availability tracker."""
        try:
            result = await work
        except StashError as err:
            if self._availability is not None:
                self._availability.report(err)
            if self.on_result is not None:
                self.on_result(err)
            raise
        if self._availability is not None:
            self._availability.succeeded()
        if self.on_result is not None:
            self.on_result(None)
        return result

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
            return _data(body, operation)
        payload = {
            "query": DOCUMENTS[operation],
            "variables": variables,
            "operationName": operation,
        }
        reply = await self._exchange("POST", GRAPHQL_PATH, operation, orjson.dumps(payload))
        if (refusal := _refusal(reply, f"the query {operation}")) is not None:
            raise refusal
        if reply.status in {HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED}:
            raise NotStashError(f"nothing answers GraphQL at {GRAPHQL_PATH} ({reply.status})")
        data = _data(reply.body, operation, reply.status)
        if cache:
            self.cache.put(key, reply.body)
        return data

    async def _image(self, kind: ImageKind, route: str) -> StashImage:
        key = ("image", kind, route)
        if (body := self.cache.get(key)) is not None:
            content_type, _, image = body.partition(b"\n")
            return StashImage(image, content_type.decode())
        reply = await self._exchange("GET", route, route, None, accept="image/*")
        if (refusal := _refusal(reply, route)) is not None:
            raise refusal
        if reply.status == HTTPStatus.NOT_FOUND:
            raise StashNotFoundError(f"Stash has nothing at {route}")
        if reply.status != HTTPStatus.OK or not reply.content_type.startswith("image/"):
            raise StashProtocolError(f"Stash answered {route} with {reply.status}, not an image")
        self.cache.put(key, reply.content_type.encode() + b"\n" + reply.body)
        return StashImage(reply.body, reply.content_type)

    async def _exchange(
        self,
        method: str,
        path: str,
        what: str,
        body: bytes | None,
        *,
        accept: str = "application/json",
    ) -> _Reply:
        """One request, its answer read (within a size bound); never follows a redirect."""
        if (gate := request_gate.get()) is not None:
            await gate(what)
        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["ApiKey"] = self._api_key
        url = self._base.with_path(self._prefix + path, encoded=False)
        limit = MAX_IMAGE_BYTES if body is None else MAX_ANSWER_BYTES
        _LOGGER.debug("Stash %s %s", method, what)
        try:
            async with (
                asyncio.timeout(self._timeout),
                self._session.request(
                    method,
                    url,
                    data=body,
                    headers=headers,
                    ssl=self._verify_ssl,
                    allow_redirects=False,
                ) as response,
            ):
                return _Reply(
                    response.status,
                    await _read(response, limit, what),
                    response.content_type,
                    response.headers.get("Location", ""),
                )
        except TimeoutError:
            raise StashTimeoutError(f"Stash did not answer {what} in time") from None
        except aiohttp.ClientError as err:
            # `from None`: aiohttp's exceptions may carry the request, whose headers hold the key
            where = f"{self._base.host}:{self._base.port}"
            raise StashConnectionError(
                f"cannot reach Stash at {where} ({type(err).__name__})"
            ) from None


async def _read(response: aiohttp.ClientResponse, limit: int, what: str) -> bytes:
    if response.content_length is not None and response.content_length > limit:
        raise StashProtocolError(f"Stash's answer to {what} is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise StashProtocolError(f"Stash's answer to {what} is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _refusal(reply: _Reply, what: str) -> StashError | None:
    """The error for an answer that refuses (auth), sends elsewhere or failed (5xx)."""
    status = reply.status
    if status in {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}:
        return StashAuthError(f"Stash refused {what} ({status}): check the API key")
    if HTTPStatus.MULTIPLE_CHOICES <= status < HTTPStatus.BAD_REQUEST:
        if "login" in reply.location.lower():
            return StashAuthError(f"Stash sent {what} to its login page: it needs an API key")
        return NotStashError(f"the address redirects {what} elsewhere: check http/https")
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return StashConnectionError(f"Stash answered {status} to {what}")
    return None


def _data(body: bytes, operation: str, status: int = HTTPStatus.OK) -> dict[str, Any]:
    """The `data` of a GraphQL answer; its first error, if it has any, raised."""
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise NotStashError(f"the answer to {operation} is not JSON ({status})") from None
    if not isinstance(answer, dict) or not {"data", "errors"} & answer.keys():
        raise NotStashError(f"the answer to {operation} is not GraphQL ({status})")
    errors = answer.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) else None
        message = first.get("message") if isinstance(first, dict) else None
        text = message[:_ERROR_TEXT] if isinstance(message, str) else "no message"
        raise StashGraphQLError(f"Stash refused {operation}: {text}")
    data = answer.get("data")
    if status != HTTPStatus.OK or not isinstance(data, dict):
        raise NotStashError(f"the answer to {operation} has no data ({status})")
    return data
