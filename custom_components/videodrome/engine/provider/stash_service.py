"""The Stash provider: what Plex asks about a Movies library of Stash's scenes, answered by Stash.

`match` finds the scene whose file has the file's name (stash_match.py); `metadata`, `images`,
`children`, `grandchildren` and `extras` serve a scene under its key (`stash-<id>`), 404 for a
scene Stash does not have; `image` serves the images those documents point at (the scene's
screenshot, the screenshot letterboxed onto a 2:3 poster, a performer's picture, a group's
front), fetched from Stash with the key: `open_image` streams them from Stash (never held
whole), but for the poster, made from the whole screenshot; `image` reads one whole (the
poster uploaded into Plex). Answers are JSON bytes (`service.Answer`); documents
hold the provider's own image URLs under `base_url`, which the caller takes from each
request (the address Plex used), so nothing here remembers one.

Stash's answers are kept by its client (the cache lifetime of the options); posters, costly
to make, in a bounded cache of their own, by the screenshot's digest, so an unchanged
screenshot is never letterboxed twice, even with the client's cache off. At most
`MAX_RENDERING` posters are made at once (in executor jobs), and `MAX_RENDER_QUEUE` wait;
past that, 503. Every request is bounded by `StashLimits` (budget.py).
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
import hashlib
from typing import TYPE_CHECKING, Any, Final

import orjson

from ..blocking import run_in_default_executor
from ..stash.cache import AnswerCache
from ..stash.errors import StashImageError, StashNotFoundError
from ..stash.images import ImageStream
from ..stash.posters import POSTER_WIDTH, letterboxed_poster
from .budget import StashLimits
from .errors import ProviderBusyError, ProviderNotFoundError
from .service import Answer
from .stash_documents import ImageRoute, SceneKey, stash_container, stash_media_provider
from .stash_match import find_matches
from .stash_metadata import scene_images, scene_metadata

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

    from ..blocking import BlockingRunner
    from ..stash.client import StashClient
    from ..stash.images import StashImage
    from ..stash.models import StashScene
    from .documents import Page
    from .requests import MatchRequest

POSTER_CACHE_SECONDS: Final = 24 * 3600.0
POSTER_CACHE_ENTRIES: Final = 256
POSTER_CACHE_BYTES: Final = 32 * 1024 * 1024
MAX_RENDERING: Final = 2
MAX_RENDER_QUEUE: Final = 8
RENDER_RETRY_AFTER: Final = 2.0
JPEG: Final = "image/jpeg"
# A screenshot up to this size is hashed on the event loop (SHA-256: 0.24 ms for 300 KB, 1.7 ms
# for 2 MB on the development machine); a larger one (up to 20 MB: 18 ms) in the executor.
HASH_INLINE_BYTES: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImageAnswer:
    """An image for Plex: its bytes and content type."""

    body: bytes
    content_type: str


async def _sha256(data: bytes) -> bytes:
    """`data`'s SHA-256: on the loop below HASH_INLINE_BYTES, in the executor above."""
    if len(data) < HASH_INLINE_BYTES:
        return hashlib.sha256(data).digest()
    digest: bytes = await run_in_default_executor(partial(_digest_of, data))
    return digest


def _digest_of(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _answer(document: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    return Answer(orjson.dumps(document), headers)


class StashProvider:
    """The Stash provider of one config entry, over one Stash client."""

    def __init__(
        self,
        client: StashClient,
        *,
        letterbox: bool = True,
        run_blocking: BlockingRunner | None = None,
        version: str = "1.0.0",
        limits: StashLimits | None = None,
        on_scene: Callable[[str], None] | None = None,
        poster_width: int = POSTER_WIDTH,
    ) -> None:
        """Serve `client`'s scenes; posters letterboxed unless `letterbox` is False.

        `run_blocking` runs the poster's Pillow work (the loop's default executor without it);
        `on_scene` hears of every scene whose metadata was served (the poster upload).
        """
        self.client = client
        self.letterbox = letterbox
        self._run_blocking = run_blocking or run_in_default_executor
        self._limits = limits or StashLimits.create()
        self.on_scene = on_scene
        self._poster_width = poster_width
        self._root = _answer(stash_media_provider(version))
        self.posters = AnswerCache(
            POSTER_CACHE_SECONDS, max_entries=POSTER_CACHE_ENTRIES, max_bytes=POSTER_CACHE_BYTES
        )
        self._rendering = asyncio.Semaphore(MAX_RENDERING)
        self._waiting = 0

    def root(self) -> Answer:
        """The `MediaProvider` document."""
        return self._root

    async def match(self, request: MatchRequest, base_url: str) -> Answer:
        """The scene(s) with a file of the request's file name; an empty list when none."""
        with self._limits.metered():
            document = await find_matches(self.client, request, base_url, letterbox=self.letterbox)
        return _answer(document)

    async def metadata(self, rating_key: str, base_url: str) -> Answer:
        """One scene as a movie (a movie has no children: `includeChildren` changes nothing)."""
        scene = await self._scene(rating_key)
        if self.on_scene is not None:
            self.on_scene(scene.id)
        document = scene_metadata(scene, base_url, letterbox=self.letterbox)
        return _answer(stash_container([document]))

    async def images(self, rating_key: str, base_url: str) -> Answer:
        """Every image of a scene: its poster and its background."""
        scene = await self._scene(rating_key)
        images = scene_images(scene, base_url, letterbox=self.letterbox)
        return _answer(stash_container(images, element="Image"))

    async def children(self, rating_key: str, page: Page) -> Answer:
        """A movie's children and grandchildren: none, on any page (404 for no scene)."""
        await self._scene(rating_key)
        headers = (
            ("X-Plex-Container-Start", str(page.start)),
            ("X-Plex-Container-Total-Size", "0"),
        )
        container = stash_container([])
        container["MediaContainer"]["offset"] = page.start
        return _answer(container, headers)

    async def extras(self, rating_key: str) -> Answer:
        """No extras (PMS asks anyway): an empty list for a scene that exists."""
        await self._scene(rating_key)
        return _answer(stash_container([]))

    async def image(self, route: ImageRoute, object_id: str) -> ImageAnswer:
        """An image the documents point at (ProviderNotFoundError when there is none)."""
        found = await self._whole_image(route, object_id)
        if route is not ImageRoute.POSTER or not self.letterbox:
            return ImageAnswer(found.body, found.content_type)
        return ImageAnswer(await self.poster(found.body), JPEG)

    async def _whole_image(self, route: ImageRoute, object_id: str) -> StashImage:
        try:
            with self._limits.metered():
                return await self.client.image(route.source, object_id)
        except StashNotFoundError:
            raise ProviderNotFoundError(f"{route} {object_id}") from None

    @asynccontextmanager
    async def open_image(
        self, route: ImageRoute, object_id: str, conditions: Mapping[str, str] | None = None
    ) -> AsyncIterator[ImageStream]:
        """An image the documents point at, as a stream (ProviderNotFoundError: there is none).

        Stash's images come as Stash sends them, `conditions` passed on (Stash may answer
        304); the letterboxed poster is made whole, with an ETag of its own that
        If-None-Match is compared with here.
        """
        if route is ImageRoute.POSTER and self.letterbox:
            screenshot = await self._whole_image(route, object_id)
            poster, etag = await self._letterboxed(screenshot.body)
            if etag in (conditions or {}).get("If-None-Match", ""):
                yield ImageStream("", 304, JPEG, validators={"ETag": etag})
            else:
                yield ImageStream.of(poster, JPEG, etag)
            return
        async with AsyncExitStack() as stack:  # the connection, given back however it ends
            try:
                with self._limits.metered():
                    opened = self.client.image_stream(route.source, object_id, conditions)
                    stream = await stack.enter_async_context(opened)
            except StashNotFoundError:
                raise ProviderNotFoundError(f"{route} {object_id}") from None
            yield stream

    async def poster(self, screenshot: bytes) -> bytes:
        """`screenshot` letterboxed onto 2:3 (cached by its digest; ProviderNotFoundError)."""
        poster, _etag = await self._letterboxed(screenshot)
        return poster

    async def _letterboxed(self, screenshot: bytes) -> tuple[bytes, str]:
        """The poster of `screenshot`, and its ETag.

        The poster is made from the screenshot and the width alone, so their digest names it:
        no hash of the poster per request.
        """
        digest = await _sha256(screenshot)
        key = (digest, self._poster_width)
        etag = f'"{digest.hex()[:32]}-{self._poster_width}"'
        if (cached := self.posters.get(key)) is not None:
            return cached, etag
        if self._waiting >= MAX_RENDERING + MAX_RENDER_QUEUE:
            raise ProviderBusyError("too many posters are being made", RENDER_RETRY_AFTER)
        self._waiting += 1
        try:
            async with self._rendering:
                if (cached := self.posters.get(key)) is not None:
                    return cached, etag  # made while this one waited
                job = partial(letterboxed_poster, screenshot, max_width=self._poster_width)
                try:
                    poster: bytes = await self._run_blocking(job)
                except StashImageError:
                    raise ProviderNotFoundError("the screenshot is no image") from None
        finally:
            self._waiting -= 1
        self.posters.put(key, poster)
        return poster, etag

    async def _scene(self, rating_key: str) -> StashScene:
        key = SceneKey.parse(rating_key)
        if key is None:
            raise ProviderNotFoundError(rating_key)
        try:
            with self._limits.metered():
                return await self.client.scene(key.scene_id)
        except StashNotFoundError:
            raise ProviderNotFoundError(rating_key) from None
