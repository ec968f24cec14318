"""The Plex metadata provider on Home Assistant's HTTP server: off unless an entry turns it on.

Two providers, as Plex recommends, at addresses with the entry's secret id in them, which the
user copies from Videodrome's options into Plex (Settings → Metadata Agents → Add Provider):
- `{Home Assistant}/api/videodrome/provider/{id}/movie` (`tv.plex.agents.custom.videodrome.movie`)
- `{Home Assistant}/api/videodrome/provider/{id}/tv` (`tv.plex.agents.custom.videodrome.tv`)

Plex calls providers without authentication, so these views have `requires_auth = False`, and
the id does what a webhook's id does: it is `secrets.token_urlsafe(PROVIDER_ID_BYTES)` (256
random bits), kept in the entry's data (`CONF_PROVIDER_ID`: made with the entry, given to older
entries by the 1.2 migration, made anew by the options flow, which stops the old addresses at
once), compared in constant time, and redacted in diagnostics. It is never logged: not by
Videodrome, and not by the loggers of Home Assistant's HTTP server that print request paths
(its access log and its views' debug lines, its security filter's warning when it refuses a
request), whose records get the id masked. A wrong id, like an entry with the provider off,
gets the 404 of an address that does not exist.

What else keeps it safe: it is read-only (GET, and POST only to ask for a match); each client
address is limited by a token bucket (429 with Retry-After); bodies over 64 KiB and malformed
input get 400 and a one-line message (never a stack trace); what one request may cost TMDb is
bounded (`engine/provider_limits`: 503 with Retry-After past it); only TMDb's public metadata
is served; and nothing a client does writes to the log above debug level, at most one line a
minute (`LOG_INTERVAL`). While the option is on, a warning repair issue says what the id
protects and what it does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import hmac
import logging
import math
import re
import secrets
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util.hass_dict import HassKey
import orjson

from .const import (
    CONF_AUTO_THRESHOLD,
    CONF_INCLUDE_IDS,
    CONF_METADATA_PROVIDER,
    CONF_PROVIDER_ID,
    DEFAULT_AUTO_THRESHOLD,
    DOMAIN,
    LOGGER,
    VERSION,
)
from .engine.identify.identifier import Identifier
from .engine.identify.score import Thresholds
from .engine.provider.budget import ProviderLimits
from .engine.provider.documents import Page, read_language
from .engine.provider.errors import ProviderBusyError, ProviderNotFoundError, ProviderRequestError
from .engine.provider.rate_limits import ClientRateLimiter, Throttle
from .engine.provider.requests import MatchRequest
from .engine.provider.service import MetadataProvider
from .engine.tmdb.errors import TMDbError
from .guessit import async_guessit_lane
from .runtime.ingest import signal_item

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .engine.provider.documents import ProviderKind
    from .engine.provider.service import Answer
    from .runtime.ingest import IngestRuntime

PROVIDER_URL: Final = "/api/videodrome/provider"
PROVIDER_ID_BYTES: Final = 32
KINDS: Final[tuple[ProviderKind, ...]] = ("movie", "tv")
MAX_BODY: Final = 64 * 1024
# A library scan asks about every file (a match, then the metadata and its children), so the
# bucket is deep; past it, 20 a second is still more than TMDb itself allows.
RATE: Final = 20.0
BURST: Final = 300.0
LOG_INTERVAL: Final = 60.0
# Home Assistant's loggers that print request paths (see the module's docstring).
PATH_LOGGERS: Final = (
    "aiohttp.access",
    "homeassistant.helpers.http",
    "homeassistant.components.http.security_filter",
)
_ID_IN_PATH: Final = re.compile(re.escape(PROVIDER_URL) + r"/[^/?#\s]+")
ISSUE_PROVIDER_OPEN: Final = "metadata_provider_open"
DATA_PROVIDERS: HassKey[ProviderHub] = HassKey(f"{DOMAIN}_metadata_provider")


def new_provider_id() -> str:
    """A new secret id for an entry's provider addresses."""
    return secrets.token_urlsafe(PROVIDER_ID_BYTES)


@dataclass(slots=True)
class ServedEntry:
    """An entry that has the provider on, and its two providers."""

    entry: ConfigEntry[Any]
    providers: dict[ProviderKind, MetadataProvider]


@dataclass(slots=True)
class ProviderHub:
    """The entries that serve a provider, the clients' rate limits, the log's throttle."""

    limiter: ClientRateLimiter
    served: dict[str, ServedEntry] = field(default_factory=dict)
    log: Throttle = field(default_factory=lambda: Throttle(LOG_INTERVAL))

    def provider(self, provider_id: str, kind: ProviderKind) -> MetadataProvider | None:
        """The provider of the entry whose id `provider_id` is (None: none has it).

        The id is read from the entry each time (a new one works at once, the old one stops),
        and compared with every entry's in constant time.
        """
        found: MetadataProvider | None = None
        for served in self.served.values():
            if has_secret(served.entry, provider_id):
                found = served.providers[kind]
        return found


def has_secret(entry: ConfigEntry[Any], provider_id: str) -> bool:
    """Whether `provider_id` is the entry's secret id (compared in constant time)."""
    secret = str(entry.data.get(CONF_PROVIDER_ID) or "")
    asked = provider_id.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(secret.encode(), asked) and bool(secret)


class MaskProviderIds(logging.Filter):
    """Masks the id in the provider's paths in the records of Home Assistant's loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always let the record through, with `{PROVIDER_URL}/**REDACTED**` in its paths."""
        if isinstance(record.msg, str):
            record.msg = _masked(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(a) if isinstance(a, str) else a for a in record.args)
        return True


def _masked(text: str) -> str:
    return _ID_IN_PATH.sub(f"{PROVIDER_URL}/**REDACTED**", text)


@callback
def async_setup_provider_views(hass: HomeAssistant) -> None:
    """Register the views once; they answer 404 until an entry turns the provider on."""
    hub = ProviderHub(ClientRateLimiter(RATE, BURST))
    hass.data[DATA_PROVIDERS] = hub
    hass.http.register_view(ProviderView(hub))
    for name in PATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskProviderIds) for f in logger.filters):
            logger.addFilter(MaskProviderIds())


@callback
def async_setup_entry_provider(
    hass: HomeAssistant, entry: ConfigEntry[Any], ingest: IngestRuntime | None
) -> None:
    """Serve the entry's history and TMDb data to Plex when its options say so."""
    issue_id = f"{ISSUE_PROVIDER_OPEN}_{entry.entry_id}"
    hub = hass.data.get(DATA_PROVIDERS)
    if hub is None or ingest is None or not entry.options.get(CONF_METADATA_PROVIDER):
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return

    async def run_blocking(job: Any) -> Any:
        return await hass.async_add_executor_job(job)

    auto = float(entry.options.get(CONF_AUTO_THRESHOLD, DEFAULT_AUTO_THRESHOLD))
    identifier = Identifier(
        ingest.tmdb,
        thresholds=Thresholds(auto=auto, review=min(Thresholds().review, auto)),
        include_ids=bool(entry.options.get(CONF_INCLUDE_IDS, True)),
        run_blocking=run_blocking,
        guessit=async_guessit_lane(hass, "provider"),
        quiet=True,
    )
    limits = ProviderLimits.create()
    providers: dict[ProviderKind, MetadataProvider] = {
        kind: MetadataProvider(
            kind,
            ingest.tmdb,
            store=ingest.store,
            identifier=identifier,
            run_blocking=run_blocking,
            version=VERSION,
            limits=limits,
        )
        for kind in KINDS
    }
    hub.served[entry.entry_id] = ServedEntry(entry, providers)

    @callback
    def history_changed(*_: Any) -> None:
        for provider in providers.values():
            provider.forget_matches()

    @callback
    def stop() -> None:
        hub.served.pop(entry.entry_id, None)
        ir.async_delete_issue(hass, DOMAIN, issue_id)

    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_item(entry.entry_id), history_changed)
    )
    entry.async_on_unload(stop)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_PROVIDER_OPEN,
    )


def provider_base(hass: HomeAssistant, provider_id: str) -> str:
    """The providers' common address, on Home Assistant's local address when it has one."""
    try:
        base = get_url(hass, allow_external=False, allow_cloud=False)
    except NoURLAvailableError:
        base = "http://<Home Assistant address>:8123"
    return f"{base}{PROVIDER_URL}/{provider_id}"


def provider_urls(hass: HomeAssistant, provider_id: str) -> dict[str, str]:
    """The addresses to add in Plex (the Stash provider's is stash_provider_http's)."""
    base = provider_base(hass, provider_id)
    return {f"{kind}_url": f"{base}/{kind}" for kind in KINDS}


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


class ProviderView(HomeAssistantView):
    """Every endpoint of both providers; Plex calls them without authentication."""

    url = PROVIDER_URL + "/{provider_id}/{kind:movie|tv}"
    extra_urls = [  # noqa: RUF012 (HomeAssistantView declares it a plain list)
        url + "/library/metadata/{rating_key}",
        url + "/library/metadata/{rating_key}/{relation}",
    ]
    name = "api:videodrome:provider"
    requires_auth = False

    def __init__(self, hub: ProviderHub) -> None:
        """Serve the providers `hub` holds."""
        self._hub = hub

    async def get(
        self,
        request: web.Request,
        provider_id: str,
        kind: ProviderKind,
        rating_key: str = "",
        relation: str = "",
    ) -> web.Response:
        """The root document, a match (query form), metadata, children, images, extras."""
        return await self._serve(request, provider_id, kind, rating_key, relation)

    async def post(
        self,
        request: web.Request,
        provider_id: str,
        kind: ProviderKind,
        rating_key: str = "",
        relation: str = "",
    ) -> web.Response:
        """A match: the only request that may carry a body."""
        return await self._serve(request, provider_id, kind, rating_key, relation)

    async def _serve(
        self,
        request: web.Request,
        provider_id: str,
        kind: ProviderKind,
        rating_key: str,
        relation: str,
    ) -> web.Response:
        provider = self._hub.provider(provider_id, kind)
        if provider is None:
            raise web.HTTPNotFound  # what an address that does not exist gets
        if request.method == "POST" and (rating_key != "matches" or relation):
            return error_response(405, "read-only: only matches may be posted", {"Allow": "GET"})
        wait = self._hub.limiter.admit(request.remote or "")
        if wait > 0:
            return error_response(429, "too many requests", {"Retry-After": str(math.ceil(wait))})
        try:
            return answer_response(await self._answer(request, provider, rating_key, relation))
        except ProviderRequestError as err:
            return error_response(400, str(err))
        except ProviderNotFoundError:
            return error_response(404, "not found")
        except ProviderBusyError as err:
            retry = str(max(math.ceil(err.retry_after), 1))
            return error_response(503, str(err), {"Retry-After": retry})
        except TMDbError as err:
            self._debug("The metadata provider could not reach TMDb: %s", err)
            return error_response(500, "TMDb is not available")
        except Exception:  # noqa: BLE001 - Plex gets a plain 500, the debug log the details
            self._debug("The metadata provider failed on a %s request", request.method, trace=True)
            return error_response(500, "internal error")

    def _debug(self, message: str, *args: object, trace: bool = False) -> None:
        """A debug line about a request, at most one every LOG_INTERVAL seconds.

        Never the request's path (it holds the id) nor anything above debug: any client can
        make these happen as often as it likes.
        """
        if (held := self._hub.log.ready()) is not None:
            LOGGER.debug(message + " (%d more since the last)", *args, held, exc_info=trace)

    async def _answer(
        self, request: web.Request, provider: MetadataProvider, rating_key: str, relation: str
    ) -> Answer:
        language = read_language(request.headers, request.query)
        if rating_key == "matches" and not relation:
            if request.method == "POST":
                asked = MatchRequest.from_json(await read_json_body(request))
            else:
                asked = MatchRequest.from_query(request.query)
            return await provider.match(asked, language=language)
        if not rating_key:
            return provider.root()
        match relation:
            case "":
                children = read_flag(request.query, "includeChildren")
                return await provider.metadata(
                    rating_key, include_children=children, language=language
                )
            case "children":
                page = Page.read(request.headers, request.query)
                return await provider.children(rating_key, page, language=language)
            case "grandchildren":
                page = Page.read(request.headers, request.query)
                return await provider.grandchildren(rating_key, page, language=language)
            case "images":
                return await provider.images(rating_key, language=language)
            case "extras":
                return await provider.extras(rating_key)
        raise ProviderNotFoundError(relation)
