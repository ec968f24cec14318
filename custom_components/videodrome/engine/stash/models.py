"""Stash's answers as frozen records: scenes and what they name, and the server's version.

Read leniently (Stash leaves out or nulls what it does not know), but a scene, performer,
group, studio or tag without an id is a `StashProtocolError`: nothing could link to it. Ids
stay strings, as GraphQL's `ID` is; Stash's are decimal numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import TYPE_CHECKING, Any, Final, Self

from .errors import StashProtocolError

if TYPE_CHECKING:
    from collections.abc import Mapping

ID_PATTERN: Final = re.compile(r"[0-9]{1,18}")
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _number(data: Mapping[str, Any], name: str) -> float | None:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _id(data: Mapping[str, Any], what: str) -> str:
    value = data.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise StashProtocolError(f"Stash sent a {what} without a valid id")
    return value


def _objects(data: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = data.get(name)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _has_image(path: Any) -> bool:
    """Whether an `image_path` points at an image of the object's own.

    Stash always sends a URL, and adds `default=true` when it would serve its placeholder.
    """
    return isinstance(path, str) and bool(path) and "default=true" not in path


@dataclass(frozen=True, slots=True)
class StashTag:
    """A tag (a genre, to Plex)."""

    id: str
    name: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """From a `Tag` object."""
        return cls(_id(data, "tag"), _text(data, "name") or "")


@dataclass(frozen=True, slots=True)
class StashStudio:
    """The studio a scene comes from."""

    id: str
    name: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """From a `Studio` object."""
        return cls(_id(data, "studio"), _text(data, "name") or "")


@dataclass(frozen=True, slots=True)
class StashPerformer:
    """Someone in a scene; `has_image`: Stash holds a picture of them (not its placeholder)."""

    id: str
    name: str
    has_image: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """From a `Performer` object."""
        return cls(
            _id(data, "performer"), _text(data, "name") or "", _has_image(data.get("image_path"))
        )


@dataclass(frozen=True, slots=True)
class StashGroup:
    """A group (Stash's former "movie") a scene belongs to, at `scene_index` within it."""

    id: str
    name: str
    has_front_image: bool = False
    scene_index: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """From a `SceneGroup` object (the group and the scene's place in it)."""
        group = data.get("group")
        if not isinstance(group, dict):
            raise StashProtocolError("Stash sent a scene group without its group")
        index = data.get("scene_index")
        return cls(
            _id(group, "group"),
            _text(group, "name") or "",
            _has_image(group.get("front_image_path")),
            index if isinstance(index, int) and not isinstance(index, bool) else None,
        )


@dataclass(frozen=True, slots=True)
class StashFile:
    """One of a scene's video files: its name, its path on Stash's side, its length."""

    basename: str
    path: str = field(default="", repr=False)  # Stash's, never shown to Plex
    duration: float | None = None  # seconds

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """From a `VideoFile` object."""
        basename = data.get("basename")
        path = data.get("path")
        return cls(
            basename if isinstance(basename, str) else "",
            path if isinstance(path, str) else "",
            _number(data, "duration"),
        )


@dataclass(frozen=True, slots=True)
class StashScene:
    """A scene with what the provider shows of it."""

    id: str
    title: str | None = None
    details: str | None = None
    date: str | None = None  # YYYY-MM-DD
    rating100: int | None = None  # 1-100
    files: tuple[StashFile, ...] = ()
    has_screenshot: bool = False
    studio: StashStudio | None = None
    performers: tuple[StashPerformer, ...] = ()
    tags: tuple[StashTag, ...] = ()
    groups: tuple[StashGroup, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """From a `Scene` object as the client's fragment asks for it."""
        date = _text(data, "date")
        rating = data.get("rating100")
        paths = data.get("paths")
        studio = data.get("studio")
        return cls(
            id=_id(data, "scene"),
            title=_text(data, "title"),
            details=_text(data, "details"),
            date=date if date is not None and _DATE.fullmatch(date) else None,
            rating100=rating if isinstance(rating, int) and not isinstance(rating, bool) else None,
            files=tuple(StashFile.from_json(f) for f in _objects(data, "files")),
            has_screenshot=isinstance(paths, dict) and bool(paths.get("screenshot")),
            studio=StashStudio.from_json(studio) if isinstance(studio, dict) else None,
            performers=tuple(StashPerformer.from_json(p) for p in _objects(data, "performers")),
            tags=tuple(StashTag.from_json(t) for t in _objects(data, "tags")),
            groups=tuple(StashGroup.from_json(g) for g in _objects(data, "groups")),
        )

    @property
    def file_name(self) -> str | None:
        """The name of the scene's first (primary) file."""
        return self.files[0].basename or None if self.files else None

    def has_file_named(self, name: str) -> bool:
        """Whether one of the scene's files is called exactly `name`."""
        return any(f.basename == name for f in self.files)


@dataclass(frozen=True, slots=True)
class StashInfo:
    """Who answered: Stash's version, and whether it is set up (`status` "OK")."""

    version: str | None
    hash: str
    status: str

    @property
    def ready(self) -> bool:
        """Stash is set up and its database migrated: it can answer about scenes."""
        return self.status == "OK"
