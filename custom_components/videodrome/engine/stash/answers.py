"""Stash's answers read: within a size bound, as a refusal, as GraphQL's `data`.

The client's helpers (client.py) for what every answer may be, whatever was asked: a body read
up to a bound, never past it; a refusal (the key, a redirect to the login page or elsewhere,
a 5xx) as the error it makes; a GraphQL answer's `data`, or its first error. Messages name
the operation or route, never the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final

import orjson

from .errors import (
    NotStashError,
    StashAuthError,
    StashConnectionError,
    StashError,
    StashGraphQLError,
    StashProtocolError,
)

if TYPE_CHECKING:
    import aiohttp

ERROR_TEXT: Final = 200  # of a GraphQL error message, at most


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer: its status, body (possibly empty: not read), type and Location."""

    status: int
    body: bytes
    content_type: str
    location: str


async def read_bounded(response: aiohttp.ClientResponse, limit: int, what: str) -> bytes:
    """The body of `response`, read whole; StashProtocolError past `limit` bytes."""
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


def refusal_of(reply: Reply, what: str) -> StashError | None:
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


def graphql_data(body: bytes, operation: str, status: int = HTTPStatus.OK) -> dict[str, Any]:
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
        text = message[:ERROR_TEXT] if isinstance(message, str) else "no message"
        raise StashGraphQLError(f"Stash refused {operation}: {text}")
    data = answer.get("data")
    if status != HTTPStatus.OK or not isinstance(data, dict):
        raise NotStashError(f"the answer to {operation} has no data ({status})")
    return data
