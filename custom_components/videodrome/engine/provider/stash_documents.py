"""The Stash provider's protocol: its identifier, scene keys and GUIDs, envelope, image routes.

A third provider beside the movie and TV ones (documents.py), for Stash's scenes, which Plex
sees as movies. A scene's ratingKey is `stash-<scene id>`: stable (Stash never reuses an id)
and telling nothing but the id. Images go through the provider's own routes, because Plex's
image service cannot reach a Stash on a private network; their URLs start with the base URL
the caller gives (the provider's address, secret part included), followed by one of
`IMAGE_ROUTES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import re
from typing import TYPE_CHECKING, Any, Final, Literal

from ..stash.images import ImageKind
from .documents import MATCH_KEY, METADATA_KEY, MetadataType

if TYPE_CHECKING:
    from collections.abc import Sequence

STASH_IDENTIFIER: Final = "tv.plex.agents.custom.videodrome.stash"
STASH_TITLE: Final = "Videodrome Stash"
_ID = r"(0|[1-9][0-9]{0,17})"  # Stash's ids as it writes them (no leading zeros)
_SCENE_KEY: Final = re.compile(rf"stash-{_ID}")


@dataclass(frozen=True, slots=True)
class SceneKey:
    """A scene's key: `stash-42`."""

    scene_id: str

    def __str__(self) -> str:
        """The key as Plex sees it (only `[a-z0-9-]`, stable: PMS stores it)."""
        return f"stash-{self.scene_id}"

    @classmethod
    def parse(cls, text: str) -> SceneKey | None:
        """The key written as `text`, or None when it is not a scene's (or not canonical)."""
        found = _SCENE_KEY.fullmatch(text)
        return cls(found.group(1)) if found else None

    @property
    def key(self) -> str:
        """The metadata endpoint of this scene, relative to the provider's URL."""
        return f"{METADATA_KEY}/{self}"

    def guid(self) -> str:
        """`{identifier}://movie/{ratingKey}`, the GUID PMS stores."""
        return f"{STASH_IDENTIFIER}://movie/{self}"

    @classmethod
    def from_guid(cls, guid: str) -> SceneKey | None:
        """The key inside one of the Stash provider's GUIDs, or None."""
        scheme, sep, rest = guid.partition("://")
        kind, slash, text = rest.partition("/")
        if not sep or not slash or scheme != STASH_IDENTIFIER or kind != "movie":
            return None
        return cls.parse(text)


def stash_media_provider(version: str) -> dict[str, Any]:
    """The root document: `{"MediaProvider": {...}}`, movies only."""
    return {
        "MediaProvider": {
            "identifier": STASH_IDENTIFIER,
            "title": STASH_TITLE,
            "version": version,
            "Types": [{"type": int(MetadataType.MOVIE), "Scheme": [{"scheme": STASH_IDENTIFIER}]}],
            "Feature": [
                {"type": "metadata", "key": METADATA_KEY},
                {"type": "match", "key": MATCH_KEY},
            ],
        }
    }


def stash_container(
    items: Sequence[dict[str, Any]], *, element: Literal["Metadata", "Image"] = "Metadata"
) -> dict[str, Any]:
    """The envelope of every answer but the root's (documents.container, for this provider)."""
    return {
        "MediaContainer": {
            "offset": 0,
            "totalSize": len(items),
            "identifier": STASH_IDENTIFIER,
            "size": len(items),
            element: list(items),
        }
    }


class ImageRoute(StrEnum):
    """The images the provider serves, each from one of Stash's."""

    SCREENSHOT = "screenshot"  # the scene's screenshot, as Stash has it
    POSTER = "poster"  # the screenshot letterboxed onto a 2:3 canvas (stash/posters.py)
    PERFORMER = "performer"
    GROUP_FRONT = "group"

    @property
    def source(self) -> ImageKind:
        """The Stash image this one is made from."""
        return _SOURCES[self]


_SOURCES: Final = {
    ImageRoute.SCREENSHOT: ImageKind.SCREENSHOT,
    ImageRoute.POSTER: ImageKind.SCREENSHOT,
    ImageRoute.PERFORMER: ImageKind.PERFORMER,
    ImageRoute.GROUP_FRONT: ImageKind.GROUP_FRONT,
}
# Relative to the provider's base URL; `{id}` is the Stash object's.
IMAGE_ROUTES: Final[dict[ImageRoute, str]] = {
    ImageRoute.SCREENSHOT: "/stash/scene/{id}/screenshot",
    ImageRoute.POSTER: "/stash/scene/{id}/poster",
    ImageRoute.PERFORMER: "/stash/performer/{id}/image",
    ImageRoute.GROUP_FRONT: "/stash/group/{id}/front",
}
_ROUTE_PATTERNS: Final = {
    route: re.compile(re.escape(path).replace(re.escape("{id}"), _ID))
    for route, path in IMAGE_ROUTES.items()
}


def image_url(base_url: str, route: ImageRoute, object_id: str) -> str:
    """The absolute URL of an image the provider serves."""
    return base_url.rstrip("/") + IMAGE_ROUTES[route].format(id=object_id)


def read_image_path(path: str) -> tuple[ImageRoute, str] | None:
    """Which image a path below the provider's base URL asks for, and whose; None: none."""
    for route, pattern in _ROUTE_PATTERNS.items():
        found = pattern.fullmatch(path)
        if found:
            return route, found.group(1)
    return None
