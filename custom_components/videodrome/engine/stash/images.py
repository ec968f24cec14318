"""Stash's images: their kinds and routes, and an image on its way, bounded.

`StashClient.image_stream` opens Stash's answer and hands the caller an `ImageStream` inside
an async context manager, which always gives the connection back (to the pool when the body
was read to its end, closed when it was not). Iterating over the stream yields the body in
chunks as Stash sends them; nothing is kept: past `limit` bytes the iteration raises
`StashProtocolError` (the caller aborts what it was sending), a read that waits longer than
`read_timeout` raises `StashTimeoutError`, and a connection Stash drops raises
`StashConnectionError`. Messages name the route only.

A stream can also hold bytes made here (a letterboxed poster): `ImageStream.of`. And it can be
Stash's "not modified" (304) answer to a conditional request, which has no body.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Self

import aiohttp

from .errors import StashConnectionError, StashError, StashProtocolError, StashTimeoutError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

CHUNK: Final = 64 * 1024
# The request headers passed on to Stash, and the answer's headers passed back: Stash serves
# its images with an ETag (the MD5 of the image) and answers If-None-Match with 304; a file it
# serves from disk (an old screenshot) has a Last-Modified and answers If-Modified-Since.
CONDITIONS: Final = ("If-None-Match", "If-Modified-Since")
VALIDATORS: Final = ("ETag", "Last-Modified")


class ImageKind(StrEnum):
    """The images Stash serves, each at a route of its own."""

    SCREENSHOT = "screenshot"
    PERFORMER = "performer"
    GROUP_FRONT = "group_front"
    STUDIO = "studio"


IMAGE_ROUTES: Final[dict[ImageKind, str]] = {
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


@dataclass(slots=True)
class ImageStream:
    """An image's headers, and its body as an async iterator of chunks (once)."""

    route: str
    status: int  # 200, or 304 (not modified: no body)
    content_type: str
    content_length: int | None = None
    validators: Mapping[str, str] = field(default_factory=dict)
    limit: int = 0
    read_timeout: float = 10.0
    on_error: Callable[[StashError], None] | None = None
    _response: aiohttp.ClientResponse | None = None
    _body: bytes | None = None
    _read: int = 0

    @classmethod
    def of(cls, body: bytes, content_type: str, etag: str = "") -> Self:
        """A stream of bytes already at hand (one chunk)."""
        validators = {"ETag": etag} if etag else {}
        return cls("", 200, content_type, len(body), validators, len(body), _body=body)

    @property
    def not_modified(self) -> bool:
        """Whether this is a 304: what the asker has is still current."""
        return self.status == 304  # noqa: PLR2004 (the status is the point)

    def __aiter__(self) -> Self:
        """The body, chunk by chunk."""
        return self

    async def __anext__(self) -> bytes:
        """The next chunk; StopAsyncIteration at the end; a StashError when it went wrong."""
        if self._body is not None:
            body, self._body = self._body, b""
            if body:
                return body
            raise StopAsyncIteration
        if self._response is None:
            raise StopAsyncIteration
        try:
            async with asyncio.timeout(self.read_timeout):
                chunk = await self._response.content.read(CHUNK)
        except TimeoutError:
            raise self._failed(StashTimeoutError(f"Stash stalled sending {self.route}")) from None
        except aiohttp.ClientError:
            # `from None`: aiohttp's exceptions may carry the request, whose headers hold the key
            raise self._failed(StashConnectionError(f"Stash broke off {self.route}")) from None
        if not chunk:
            raise StopAsyncIteration
        self._read += len(chunk)
        if self._read > self.limit:
            raise StashProtocolError(f"Stash's answer to {self.route} is too large")
        return chunk

    def _failed(self, err: StashError) -> StashError:
        if self.on_error is not None:
            self.on_error(err)
        return err


def validators_of(headers: Mapping[str, str]) -> dict[str, str]:
    """The validators among `headers` (what a later conditional request can send back)."""
    return {name: headers[name] for name in VALIDATORS if name in headers}


def conditions_of(headers: Mapping[str, str]) -> dict[str, str]:
    """The conditional headers among `headers` (what is passed on to Stash)."""
    return {name: headers[name] for name in CONDITIONS if name in headers}
