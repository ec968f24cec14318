"""What the metadata providers' views answer besides a document: errors, refusals, bodies.

Shared by the TMDb providers (provider_http.py) and the Stash provider (stash_provider_http.py).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
import orjson

from .engine.provider.errors import ProviderBusyError, ProviderNotFoundError, ProviderRequestError

if TYPE_CHECKING:
    from .engine.provider.service import Answer

MAX_BODY: Final = 64 * 1024  # a match request's body, at most


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON error answer: `{"error": message}` (one line, never a stack trace)."""
    return web.Response(
        status=status,
        body=orjson.dumps({"error": message}),
        content_type="application/json",
        headers=headers,
    )


REFUSALS: Final = (ProviderRequestError, ProviderNotFoundError, ProviderBusyError)


def refusal_response(
    err: ProviderRequestError | ProviderNotFoundError | ProviderBusyError,
) -> web.Response:
    """A request a provider refused: 400 (bad), 404 (unknown), 503 busy with Retry-After."""
    if isinstance(err, ProviderBusyError):
        retry = str(max(math.ceil(err.retry_after), 1))
        return error_response(503, str(err), {"Retry-After": retry})
    if isinstance(err, ProviderNotFoundError):
        return error_response(404, "not found")
    return error_response(400, str(err))


def answer_response(answer: Answer) -> web.Response:
    """A provider's answer as Plex gets it: JSON, with the answer's headers."""
    return web.Response(
        body=answer.body, content_type="application/json", headers=dict(answer.headers)
    )


async def read_json_body(request: web.Request) -> Any:
    """The body as JSON: 400 when it is larger than MAX_BODY, empty or not JSON."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ProviderRequestError("the request body is too large")
    body = bytearray()
    while chunk := await request.content.read(MAX_BODY + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY:
            raise ProviderRequestError("the request body is too large")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ProviderRequestError("the request body is not JSON") from None


def read_flag(query: Any, name: str) -> bool:
    """A 0/1 query parameter (absent or empty: 0); anything else is a 400."""
    value = query.get(name)
    if value in (None, "", "0"):
        return False
    if value == "1":
        return True
    raise ProviderRequestError(f"{name} must be 0 or 1")
