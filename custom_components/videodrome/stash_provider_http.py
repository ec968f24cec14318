"""The Stash provider on Home Assistant's HTTP server, beside the TMDb ones (provider_http.py).

`{Home Assistant}/api/videodrome/provider/{id}/stash` (`tv.plex.agents.custom.videodrome.stash`),
for a Plex Movies library whose files are Stash's scenes. It answers while the entry's
options name a Stash (runtime/stash.py), at the same secret address as the other providers
and under the same protection: the id compared in constant time (a wrong one gets the 404 of
an address that does not exist), the same per-client rate limit (one bucket per client for
every provider), bodies over 64 KiB and malformed input refused with 400, what one request
may cost Stash bounded (503 with Retry-After past it), nothing a client does logged above
debug, at most one line a minute. While it answers, a warning repair issue says what the id
protects and what it does not.

Besides the metadata endpoints, it serves the images its documents point at, because Plex's
image service cannot reach a Stash on a private network: `{provider}/stash/scene/{id}/screenshot`,
`…/scene/{id}/poster` (letterboxed onto 2:3), `…/performer/{id}/image`, `…/group/{id}/front`.
Their URLs are built from the address each request came to (what Plex used to reach Home
Assistant); Stash's own address, paths and key never reach Plex.

Images are streamed: each chunk Stash sends is written to Plex as it comes, nothing is held
whole (but the poster, made from the whole screenshot). The answer's head waits for Stash's
first chunk, so that what goes wrong before it is still a plain answer: 404 when Stash has no
such image or it is not one Plex may be shown (`SHOWN_TYPES`), 502 when Stash fails (away,
an error, a Content-Length over the bound), 503 past Stash's share; Plex's If-None-Match and
If-Modified-Since go to Stash, whose 304 comes back with its ETag. Once the head is sent, a
failure (Stash breaking off, stalling, or sending more than the bound) closes the connection
to Plex mid-body, so Plex sees a cut, never a shorter image taken for a whole one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .engine.provider.documents import Page, read_language
from .engine.provider.errors import ProviderNotFoundError, ProviderRequestError
from .engine.provider.requests import MatchRequest
from .engine.provider.stash_documents import read_image_path
from .engine.stash.errors import StashError
from .engine.stash.images import conditions_of
from .provider_answers import (
    REFUSALS,
    answer_response,
    error_response,
    read_flag,
    read_json_body,
    refusal_response,
)
from .provider_http import (
    DATA_PROVIDERS,
    PROVIDER_URL,
    ProviderHub,
    has_secret,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .engine.provider.service import Answer
    from .engine.provider.stash_service import StashProvider
    from .engine.stash.images import ImageStream
    from .runtime.stash import StashRuntime

STASH: Final = "stash"
ISSUE_STASH_PROVIDER_OPEN: Final = "stash_provider_open"
# The images passed on to Plex: what Plex shows (and nothing a browser would run).
SHOWN_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
DATA_STASH_PROVIDERS: HassKey[dict[str, StashServed]] = HassKey(f"{DOMAIN}_stash_provider")


@dataclass(slots=True)
class StashServed:
    """An entry whose options name a Stash, and its Stash provider."""

    entry: ConfigEntry[Any]
    provider: StashProvider


def stash_provider(hass: HomeAssistant, provider_id: str) -> StashProvider | None:
    """The Stash provider of the entry whose id `provider_id` is (each compared alike)."""
    found: StashProvider | None = None
    for served in hass.data.get(DATA_STASH_PROVIDERS, {}).values():
        if has_secret(served.entry, provider_id):
            found = served.provider
    return found


@callback
def async_setup_stash_provider_view(hass: HomeAssistant) -> None:
    """Register the view once (after provider_http's); it answers 404 until an entry serves."""
    hass.data[DATA_STASH_PROVIDERS] = {}
    hass.http.register_view(StashProviderView(hass, hass.data[DATA_PROVIDERS]))


@callback
def async_setup_entry_stash_provider(
    hass: HomeAssistant, entry: ConfigEntry[Any], stash: StashRuntime | None
) -> None:
    """Serve the entry's Stash to Plex while the entry is loaded with one."""
    issue_id = f"{ISSUE_STASH_PROVIDER_OPEN}_{entry.entry_id}"
    served = hass.data.get(DATA_STASH_PROVIDERS)
    if served is None or stash is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    served[entry.entry_id] = StashServed(entry, stash.provider)

    @callback
    def stop() -> None:
        served.pop(entry.entry_id, None)
        ir.async_delete_issue(hass, DOMAIN, issue_id)

    entry.async_on_unload(stop)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_STASH_PROVIDER_OPEN,
    )


def _base_url(request: web.Request, provider_id: str) -> str:
    """The provider's address as this request reached it (400 when its Host is not one)."""
    try:
        origin = request.url.origin()
    except ValueError:
        raise ProviderRequestError("the Host header is not an address") from None
    return f"{origin}{PROVIDER_URL}/{provider_id}/{STASH}"


class StashProviderView(HomeAssistantView):
    """Every endpoint of the Stash provider, and its images; Plex calls them unauthenticated."""

    url = PROVIDER_URL + "/{provider_id}/stash"
    extra_urls = [  # noqa: RUF012 (HomeAssistantView declares it a plain list)
        url + "/library/metadata/{rating_key}",
        url + "/library/metadata/{rating_key}/{relation}",
        url + "/stash/{image:.+}",
    ]
    name = "api:videodrome:provider:stash"
    requires_auth = False

    def __init__(self, hass: HomeAssistant, hub: ProviderHub) -> None:
        """Serve the Stash providers of `hass`, limited by the providers' `hub`."""
        self._hass = hass
        self._hub = hub

    async def get(
        self,
        request: web.Request,
        provider_id: str,
        rating_key: str = "",
        relation: str = "",
        image: str = "",
    ) -> web.StreamResponse:
        """The root document, a match (query form), metadata and its relations, images."""
        return await self._serve(request, provider_id, rating_key, relation, image)

    async def post(
        self,
        request: web.Request,
        provider_id: str,
        rating_key: str = "",
        relation: str = "",
        image: str = "",
    ) -> web.StreamResponse:
        """A match: the only request that may carry a body."""
        return await self._serve(request, provider_id, rating_key, relation, image)

    async def _serve(
        self, request: web.Request, provider_id: str, rating_key: str, relation: str, image: str
    ) -> web.StreamResponse:
        provider = stash_provider(self._hass, provider_id)
        if provider is None:
            raise web.HTTPNotFound  # what an address that does not exist gets
        not_a_match = rating_key != "matches" or bool(relation or image)
        if (refused := self._hub.turned_away(request, not_a_match=not_a_match)) is not None:
            return refused
        try:
            if image:
                return await self._image(request, provider, image)
            base = _base_url(request, provider_id)
            answer = await self._answer(request, provider, base, rating_key, relation)
            return answer_response(answer)
        except REFUSALS as err:
            return refusal_response(err)
        except StashError as err:
            self._hub.debug("The Stash provider could not ask Stash: %s", err)
            return error_response(500, "Stash is not available")
        except Exception:  # noqa: BLE001 - Plex gets a plain 500, the debug log the details
            self._hub.debug("The Stash provider failed on a %s request", request.method, trace=True)
            return error_response(500, "internal error")

    async def _image(
        self, request: web.Request, provider: StashProvider, image: str
    ) -> web.StreamResponse:
        asked = read_image_path(f"/{STASH}/{image}")
        if asked is None:
            raise ProviderNotFoundError(image)
        try:
            async with provider.open_image(*asked, conditions_of(request.headers)) as found:
                if found.not_modified:
                    return web.Response(status=304, headers=found.validators)
                if found.content_type not in SHOWN_TYPES:  # an SVG would run in HA's origin
                    raise ProviderNotFoundError(image)
                return await stream_image(request, found, self._hub.debug)
        except StashError as err:
            self._hub.debug("The Stash provider could not fetch an image: %s", err)
            return error_response(502, "Stash is not available")

    async def _answer(
        self,
        request: web.Request,
        provider: StashProvider,
        base: str,
        rating_key: str,
        relation: str,
    ) -> Answer:
        read_language(request.headers, request.query)  # one language: Stash's
        if rating_key == "matches" and not relation:
            if request.method == "POST":
                asked = MatchRequest.from_json(await read_json_body(request))
            else:
                asked = MatchRequest.from_query(request.query)
            return await provider.match(asked, base)
        if not rating_key:
            return provider.root()
        match relation:
            case "":
                read_flag(request.query, "includeChildren")  # checked; a movie has no children
                return await provider.metadata(rating_key, base)
            case "children" | "grandchildren":
                return await provider.children(
                    rating_key, Page.read(request.headers, request.query)
                )
            case "images":
                return await provider.images(rating_key, base)
            case "extras":
                return await provider.extras(rating_key)
        raise ProviderNotFoundError(relation)


async def stream_image(
    request: web.Request, found: ImageStream, debug: Callable[..., None]
) -> web.StreamResponse:
    """`found` written to Plex as it arrives; the head once its first chunk is here.

    A StashError before that is raised (a plain answer); one after it, or Plex going away,
    cuts the connection (`debug` hears why).
    """
    first = await anext(found, b"")
    if not first:
        raise ProviderNotFoundError("an empty image")
    response = web.StreamResponse(headers={"X-Content-Type-Options": "nosniff"})
    response.headers.update(found.validators)
    response.content_type = found.content_type
    if found.content_length is not None:
        response.content_length = found.content_length
    await response.prepare(request)
    try:
        await response.write(first)
        async for chunk in found:
            await response.write(chunk)
    except (StashError, ConnectionError) as err:
        # The head is sent: only a cut connection tells Plex the image is not whole.
        debug("An image from Stash was cut short: %s", err)
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response
