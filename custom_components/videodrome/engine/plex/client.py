"""Async client for Plex Media Server's HTTP API, over an aiohttp session the caller owns.

Every request goes through `PlexClient._request`, which asks for JSON, adds the X-Plex client
headers and the token (as a header, never in the URL, so it cannot leak through an exception
text or a log line that quotes the URL), applies a timeout and maps failures onto the engine's
error hierarchy. How each request ended goes to the client's `Availability`, when it has one:
it logs once that Plex is gone and once that it is back (engine/availability.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
from yarl import URL

from .errors import (
    PlexAuthError,
    PlexConnectionError,
    PlexError,
    PlexNotFoundError,
    PlexProtocolError,
    PlexTimeoutError,
)
from .models import (
    Activity,
    ItemPage,
    LibrarySection,
    MatchResult,
    PlaybackSession,
    ServerIdentity,
    as_int,
    child_objects,
    container,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Mapping

    from ..availability import Availability

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
# Measured against the emulator and in line with python-plexapi's default container size;
# the library index (a later module) may tune its own page size.
DEFAULT_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """How Videodrome introduces itself to Plex (shown under Settings > Devices in Plex)."""

    identifier: str
    product: str = "Videodrome"
    version: str = "0.1.0"
    platform: str = "Home Assistant"
    device_name: str = "Videodrome"

    def headers(self) -> dict[str, str]:
        """The X-Plex-* headers for every request."""
        return {
            "X-Plex-Client-Identifier": self.identifier,
            "X-Plex-Product": self.product,
            "X-Plex-Version": self.version,
            "X-Plex-Platform": self.platform,
            "X-Plex-Device-Name": self.device_name,
            "X-Plex-Provides": "controller",
        }


@dataclass(slots=True)
class PlexClient:
    """A Plex Media Server, spoken to over its JSON API."""

    url: str
    token: str = field(repr=False)
    session: aiohttp.ClientSession = field(repr=False)
    client: ClientInfo = field(default_factory=lambda: ClientInfo(identifier="videodrome"))
    verify_ssl: bool = True
    request_timeout: float = DEFAULT_TIMEOUT
    # Told how every request ended (None: nobody listens, as in the config flow's checks).
    availability: Availability | None = field(default=None, repr=False, compare=False)
    _base: URL = field(init=False, repr=False)
    _paging_warned: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check the URL once, so a typo fails here and not on the first request."""
        base = URL(self.url.strip())
        if base.scheme not in {"http", "https"} or not base.host:
            raise ValueError("the Plex URL must look like http://host:32400")
        self._base = base.with_query(None).with_fragment(None)

    def headers(self, *, json: bool = True) -> dict[str, str]:
        """Headers for a request to this server, the token included."""
        headers = self.client.headers()
        headers["X-Plex-Token"] = self.token
        if json:
            headers["Accept"] = "application/json"
        return headers

    def endpoint(self, path: str) -> URL:
        """The URL of an API path (kept below any path prefix of a reverse proxy)."""
        prefix = self._base.path.rstrip("/")
        return self._base.with_path(prefix + path, encoded=False)

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        expect_json: bool = True,
        data: bytes | None = None,
    ) -> Any:
        try:
            result = await self._exchange(method, path, params, expect_json=expect_json, data=data)
        except PlexError as err:
            if self.availability is not None:
                self.availability.report(err)
            raise
        if self.availability is not None:
            self.availability.succeeded()
        return result

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        *,
        expect_json: bool,
        data: bytes | None = None,
    ) -> Any:
        url = self.endpoint(path)
        # The query (a scan path, for instance) is left out of what we log: it is the user's.
        _LOGGER.debug("Plex %s %s", method, path)
        try:
            async with asyncio.timeout(self.request_timeout):
                async with self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=self.headers(),
                    ssl=self.verify_ssl,
                ) as response:
                    if response.status == 401:  # noqa: PLR2004
                        raise PlexAuthError("Plex refused the token (401 Unauthorized)")
                    if response.status == 404:  # noqa: PLR2004
                        raise PlexNotFoundError(f"Plex has nothing at {path} (404)")
                    if response.status >= 400:  # noqa: PLR2004
                        raise PlexProtocolError(f"Plex answered {response.status} to {path}")
                    body = await response.read()
        except TimeoutError as err:
            raise PlexTimeoutError(f"Plex did not answer {path} in time") from err
        except aiohttp.ClientError as err:
            raise PlexConnectionError(
                f"cannot reach Plex at {self._base.host}:{self._base.port} ({type(err).__name__})"
            ) from err
        if not expect_json:
            return None
        if not body.strip():
            raise PlexProtocolError(f"Plex answered {path} with an empty body")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as err:
            raise PlexProtocolError(f"Plex answered {path} with malformed JSON") from err

    async def identity(self) -> ServerIdentity:
        """Who the server is; also proves that the token is accepted (`GET /` needs it)."""
        return ServerIdentity.from_json(await self._request("GET", "/"))

    async def sections(self) -> list[LibrarySection]:
        """Every library section, with the folders it covers."""
        media = container(await self._request("GET", "/library/sections"))
        return [LibrarySection.from_json(item) for item in child_objects(media, "Directory")]

    async def section_items(
        self,
        section_key: int,
        *,
        libtype: int | None = None,
        start: int = 0,
        size: int = DEFAULT_PAGE_SIZE,
        include_guids: bool = True,
        sort: str | None = None,
    ) -> ItemPage:
        """One page of a section's items (`size=0` returns only the total).

        `sort` is Plex's (`addedAt:desc`: the newest first).
        """
        params: dict[str, str | int] = {
            "X-Plex-Container-Start": start,
            "X-Plex-Container-Size": size,
        }
        if libtype is not None:
            params["type"] = libtype
        if sort is not None:
            params["sort"] = sort
        if include_guids:
            params["includeGuids"] = 1
        media = container(
            await self._request("GET", f"/library/sections/{section_key}/all", params)
        )
        items = tuple(child_objects(media, "Metadata"))
        total = as_int(media.get("totalSize"))
        return ItemPage(
            items=items,
            offset=as_int(media.get("offset")) or start,
            total_size=total if total is not None else start + len(items),
        )

    async def section_size(self, section_key: int, libtype: int | None = None) -> int:
        """How many items of a type a section holds, without fetching them."""
        page = await self.section_items(section_key, libtype=libtype, size=0, include_guids=False)
        return page.total_size

    async def iter_section_items(
        self,
        section_key: int,
        *,
        libtype: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        sort: str | None = None,
        first_page: int | None = None,
    ) -> AsyncIterator[Mapping[str, Any]]:
        """Every item of a section, fetched page by page (bounded memory, no DB lock on PMS).

        `first_page` sizes the first page alone: a caller that expects its item near the top
        of a sorted listing asks for a few items first, then for pages of `page_size`.
        """
        start = 0
        size = first_page or page_size
        seen: set[object] = set()
        while True:
            page = await self.section_items(
                section_key, libtype=libtype, start=start, size=size, sort=sort
            )
            size = page_size
            fresh = new_items(page.items, seen)
            for item in fresh:
                yield item
            start += len(page.items)
            if not page.items or start >= page.total_size:
                return
            if not fresh:  # the same page again: asking for the next would repeat it
                self.paging_stopped(section_key, len(seen), page.total_size)
                return

    def paging_stopped(self, section_key: int, read: int, total: int) -> None:
        """Log that a listing stopped early: a page brought only items already listed.

        A warning the first time for this server (it seems to ignore
        X-Plex-Container-Start), then at debug level: every listing would say it again.
        """
        level = logging.DEBUG if self._paging_warned else logging.WARNING
        self._paging_warned = True
        _LOGGER.log(
            level,
            "Plex listed only items already listed when asked for more of library section %s "
            "(%d of %d read): it seems to ignore X-Plex-Container-Start; paging stopped there",
            section_key,
            read,
            total,
        )

    async def metadata(self, rating_key: int) -> Mapping[str, Any]:
        """One item with its details (Media, Part, Guid).

        `includeGuids` as python-plexapi asks on reload: the TMDb/TVDB/IMDb ids are what a
        match check compares.
        """
        path = f"/library/metadata/{rating_key}"
        media = container(await self._request("GET", path, {"includeGuids": 1}))
        items = child_objects(media, "Metadata")
        if not items:
            raise PlexNotFoundError(f"Plex has no item {rating_key}")
        return items[0]

    async def children(self, rating_key: int) -> list[Mapping[str, Any]]:
        """An item's children: a show's seasons, a season's episodes."""
        path = f"/library/metadata/{rating_key}/children"
        return child_objects(container(await self._request("GET", path)), "Metadata")

    async def all_leaves(self, rating_key: int) -> list[Mapping[str, Any]]:
        """Every episode of a show."""
        path = f"/library/metadata/{rating_key}/allLeaves"
        return child_objects(container(await self._request("GET", path)), "Metadata")

    async def refresh_item(self, rating_key: int) -> None:
        """Ask Plex to refresh one item's metadata (python-plexapi's `refresh()`).

        Plex answers at once and refreshes in the background (refresh.py waits for the end).
        """
        path = f"/library/metadata/{rating_key}/refresh"
        await self._request("PUT", path, expect_json=False)

    async def scan(self, section_key: int, path: str | None = None) -> None:
        """Ask Plex to scan a section, or only `path` (a folder as Plex sees it) within it."""
        params = {"path": path} if path else None
        await self._request(
            "GET", f"/library/sections/{section_key}/refresh", params, expect_json=False
        )

    async def cancel_scan(self, section_key: int) -> None:
        """Cancel a running scan of a section."""
        path = f"/library/sections/{section_key}/refresh"
        await self._request("DELETE", path, expect_json=False)

    async def activities(self) -> list[Activity]:
        """What the server is busy with (library scans among them)."""
        media = container(await self._request("GET", "/activities"))
        return [Activity.from_json(item) for item in child_objects(media, "Activity")]

    async def sessions(self) -> list[PlaybackSession]:
        """Who is watching what right now."""
        media = container(await self._request("GET", "/status/sessions"))
        return [PlaybackSession.from_json(item) for item in child_objects(media, "Metadata")]

    async def matches(
        self,
        rating_key: int,
        *,
        title: str,
        year: int | None = None,
        agent: str | None = None,
    ) -> list[MatchResult]:
        """Plex's "Fix Match…" search for a movie or show, best first.

        `title` may be `tmdb-603` (or `imdb-tt…`, `tvdb-…`) to find that one title, as
        python-plexapi's `LibrarySection.getGuid` does.
        """
        params: dict[str, str | int] = {"manual": 1, "title": title, "year": year or ""}
        if agent:
            params["agent"] = agent
        path = f"/library/metadata/{rating_key}/matches"
        media = container(await self._request("GET", path, params))
        return [MatchResult.from_json(item) for item in child_objects(media, "SearchResult")]

    async def fix_match(self, rating_key: int, result: MatchResult) -> None:
        """Match an item to a search result (what python-plexapi's `fixMatch` sends)."""
        params: dict[str, str | int] = {"guid": result.guid, "name": result.name}
        if result.year is not None:
            params["year"] = result.year
        path = f"/library/metadata/{rating_key}/match"
        await self._request("PUT", path, params, expect_json=False)

    async def merge(self, rating_key: int, others: list[int]) -> None:
        """Make `others` versions of `rating_key` (Plex's merge: their files join it)."""
        ids = ",".join(str(other) for other in others)
        path = f"/library/metadata/{rating_key}/merge"
        await self._request("PUT", path, {"ids": ids}, expect_json=False)

    async def upload_poster(self, rating_key: int, url: str) -> None:
        """Have Plex download the image at `url` and use it as the item's poster."""
        path = f"/library/metadata/{rating_key}/posters"
        await self._request("POST", path, {"url": url}, expect_json=False)

    async def upload_poster_image(self, rating_key: int, image: bytes) -> None:
        """Make `image` (JPEG or PNG bytes) the item's poster, as plexapi's `uploadPoster` does."""
        path = f"/library/metadata/{rating_key}/posters"
        await self._request("POST", path, expect_json=False, data=image)

    async def items_with_guid(self, section_key: int, guid: str) -> list[Mapping[str, Any]]:
        """A section's items whose guid is `guid` (plexapi's `search(guid=…)` asks the same)."""
        path = f"/library/sections/{section_key}/all"
        return child_objects(
            container(await self._request("GET", path, {"guid": guid})), "Metadata"
        )


def new_items(items: Iterable[Mapping[str, Any]], seen: set[object]) -> list[Mapping[str, Any]]:
    """The items whose `ratingKey` is not in `seen` yet (added to it); keyless items pass.

    A page of a listing may repeat items of an earlier one: a server that ignores
    X-Plex-Container-Start repeats its first page, and a library that changes while it is
    listed shifts items from one page to the next.
    """
    fresh: list[Mapping[str, Any]] = []
    for item in items:
        key = item.get("ratingKey")
        if key is not None:
            key = str(key)
            if key in seen:
                continue
            seen.add(key)
        fresh.append(item)
    return fresh
