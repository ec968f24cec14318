"""A Stash scene as the Metadata object of Plex's provider API: a movie.

Title (Stash's, else the file's name without its extension), date and year, summary (Stash's
details), studio, rating (Stash's 1-100 as Plex's 0-10), performers as roles with their
pictures, tags as genres, groups as collections, and the screenshot as background and, as it
is or letterboxed onto 2:3, as poster. Image URLs point at the provider's own routes
(stash_documents.py). Nothing else of Stash goes into a document: no path, no URL of Stash's,
no key.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Final

from .stash_documents import ImageRoute, SceneKey, image_url

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..stash.models import StashScene

# Sent even when empty (Stash may not know a date): Plex's docs mark them required.
_REQUIRED: Final = frozenset({"ratingKey", "key", "guid", "type", "title", "originallyAvailableAt"})


def scene_title(scene: StashScene) -> str:
    """Stash's title, else the name of the scene's file without its extension."""
    if scene.title:
        return scene.title
    name = scene.file_name
    if name:
        return PurePosixPath(name).stem or name
    return f"Scene {scene.id}"


def scene_images(
    scene: StashScene, base_url: str, *, letterbox: bool = True
) -> list[dict[str, str]]:
    """The scene's poster (the screenshot letterboxed, or as it is) and background."""
    if not scene.has_screenshot:
        return []
    poster = ImageRoute.POSTER if letterbox else ImageRoute.SCREENSHOT
    return [
        {"type": "coverPoster", "url": image_url(base_url, poster, scene.id)},
        {"type": "background", "url": image_url(base_url, ImageRoute.SCREENSHOT, scene.id)},
    ]


def scene_metadata(scene: StashScene, base_url: str, *, letterbox: bool = True) -> dict[str, Any]:
    """A scene as a movie; images under `base_url`, the poster letterboxed unless told not."""
    key = SceneKey(scene.id)
    date = scene.date or ""
    images = scene_images(scene, base_url, letterbox=letterbox)
    urls = {image["type"]: image["url"] for image in images}
    studio = scene.studio.name if scene.studio is not None else ""
    duration = scene.files[0].duration if scene.files else None
    document = {
        "ratingKey": str(key),
        "key": key.key,
        "guid": key.guid(),
        "type": "movie",
        "title": scene_title(scene),
        "originallyAvailableAt": date,
        "year": int(date[:4]) if date else None,
        "summary": scene.details or "",
        "studio": studio,
        "duration": round(duration * 1000) if duration else None,
        "rating": round(scene.rating100 / 10, 1) if scene.rating100 is not None else None,
        "thumb": urls.get("coverPoster"),
        "art": urls.get("background"),
        "Image": images,
        "Genre": _tags(t.name for t in scene.tags),
        "Studio": _tags([studio]),
        "Role": [
            {"tag": p.name}
            | ({"thumb": image_url(base_url, ImageRoute.PERFORMER, p.id)} if p.has_image else {})
            for p in scene.performers
            if p.name
        ],
        "Collection": [
            {"tag": g.name}
            | (
                {"thumb": image_url(base_url, ImageRoute.GROUP_FRONT, g.id)}
                if g.has_front_image
                else {}
            )
            for g in scene.groups
            if g.name
        ],
    }
    return {k: v for k, v in document.items() if k in _REQUIRED or v not in (None, "", [])}


def _tags(names: Iterable[str]) -> list[dict[str, str]]:
    """`[{"tag": name}]`, each name once, empty ones left out."""
    return [{"tag": name} for name in dict.fromkeys(names) if name]
