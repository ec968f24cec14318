"""What Videodrome reads from Plex Media Server, as small frozen dataclasses parsed from its JSON.

Plex is loose with types across versions (`"key": "3"` or `3`, `refreshing: false` or `"0"`),
so every field goes through the lenient converters here and a missing optional field is None,
never an exception. A missing *required* field is a protocol error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import PlexProtocolError

# Plex's numeric type codes, used by `/library/sections/{id}/all?type=`.
TYPE_MOVIE = 1
TYPE_SHOW = 2
TYPE_SEASON = 3
TYPE_EPISODE = 4

SCAN_ACTIVITY_TYPE = "library.update.section"


def as_int(value: Any) -> int | None:
    """An int from Plex's int-or-string fields; None when absent or not a number."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    if isinstance(value, float):
        return int(value)
    return None


def as_bool(value: Any) -> bool:
    """A bool from Plex's `true`/`1`/`"1"` fields."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true"}
    return bool(value)


def as_datetime(value: Any) -> datetime | None:
    """A UTC datetime from a Unix timestamp field; None when absent or zero."""
    seconds = as_int(value)
    if not seconds:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def as_str(value: Any) -> str | None:
    """A string field, None when absent or empty."""
    if value is None or value == "":
        return None
    return str(value)


def container(payload: Any) -> Mapping[str, Any]:
    """The `MediaContainer` of a Plex JSON answer, checked for shape."""
    if not isinstance(payload, Mapping) or not isinstance(
        media := payload.get("MediaContainer"), Mapping
    ):
        raise PlexProtocolError("Plex answered without a MediaContainer")
    return media


def child_objects(media: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The list of child objects under `key` (Plex omits the key when the list is empty)."""
    items = media.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise PlexProtocolError(f"Plex answered with a malformed {key} list")
    return [item for item in items if isinstance(item, Mapping)]


def _required(item: Mapping[str, Any], key: str, what: str) -> str:
    value = as_str(item.get(key))
    if value is None:
        raise PlexProtocolError(f"Plex answered with a {what} that has no {key}")
    return value


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    """Who the server is: from `GET /`, which also proves the token works."""

    machine_identifier: str
    friendly_name: str
    version: str | None
    platform: str | None
    platform_version: str | None

    @classmethod
    def from_json(cls, payload: Any) -> ServerIdentity:
        """Parse the server root answer."""
        media = container(payload)
        machine_identifier = _required(media, "machineIdentifier", "server root")
        return cls(
            machine_identifier=machine_identifier,
            friendly_name=as_str(media.get("friendlyName")) or machine_identifier,
            version=as_str(media.get("version")),
            platform=as_str(media.get("platform")),
            platform_version=as_str(media.get("platformVersion")),
        )


@dataclass(frozen=True, slots=True)
class LibrarySection:
    """A library section (a "library" in Plex's UI) and the folders it covers, as Plex sees them."""

    key: int
    uuid: str
    title: str
    type: str
    agent: str | None
    scanner: str | None
    locations: tuple[str, ...]
    refreshing: bool
    scanned_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> LibrarySection:
        """Parse one `Directory` of `/library/sections`."""
        key = as_int(item.get("key"))
        if key is None:
            raise PlexProtocolError("Plex answered with a library section without a key")
        locations = tuple(
            path for loc in child_objects(item, "Location") if (path := as_str(loc.get("path")))
        )
        return cls(
            key=key,
            uuid=as_str(item.get("uuid")) or str(key),
            title=as_str(item.get("title")) or str(key),
            type=as_str(item.get("type")) or "unknown",
            agent=as_str(item.get("agent")),
            scanner=as_str(item.get("scanner")),
            locations=locations,
            refreshing=as_bool(item.get("refreshing")),
            scanned_at=as_datetime(item.get("scannedAt")),
            updated_at=as_datetime(item.get("updatedAt")),
        )


@dataclass(frozen=True, slots=True)
class Activity:
    """A background task of the server, such as a library scan (`/activities`)."""

    uuid: str
    type: str
    title: str | None
    subtitle: str | None
    progress: int | None
    section_key: int | None

    @property
    def is_scan(self) -> bool:
        """Whether this activity is a library section scan."""
        return self.type == SCAN_ACTIVITY_TYPE

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> Activity:
        """Parse one `Activity` (from `/activities` or an activity notification)."""
        context = item.get("Context")
        section = as_int(context.get("librarySectionID")) if isinstance(context, Mapping) else None
        return cls(
            uuid=_required(item, "uuid", "activity"),
            type=as_str(item.get("type")) or "unknown",
            title=as_str(item.get("title")),
            subtitle=as_str(item.get("subtitle")),
            progress=as_int(item.get("progress")),
            section_key=section,
        )


@dataclass(frozen=True, slots=True)
class PlaybackSession:
    """Someone watching something (`/status/sessions`)."""

    session_id: str | None
    title: str
    type: str | None
    user: str | None
    player: str | None
    state: str | None

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> PlaybackSession:
        """Parse one `Metadata` entry of `/status/sessions`."""
        title = as_str(item.get("title")) or ""
        if show := as_str(item.get("grandparentTitle")):
            title = f"{show} - {title}" if title else show
        user, player, session = item.get("User"), item.get("Player"), item.get("Session")
        return cls(
            session_id=as_str(session.get("id")) if isinstance(session, Mapping) else None,
            title=title,
            type=as_str(item.get("type")),
            user=as_str(user.get("title")) if isinstance(user, Mapping) else None,
            player=as_str(player.get("title")) if isinstance(player, Mapping) else None,
            state=as_str(player.get("state")) if isinstance(player, Mapping) else None,
        )


@dataclass(frozen=True, slots=True)
class ItemPage:
    """One page of a section listing: the raw items (kept raw for lean parsing) and the total."""

    items: tuple[Mapping[str, Any], ...]
    offset: int
    total_size: int


@dataclass(frozen=True, slots=True)
class MatchResult:
    """One answer of Plex's "Fix Match…" search (`/library/metadata/{key}/matches`)."""

    guid: str
    name: str
    year: int | None
    score: int | None
    matched: bool

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> MatchResult:
        """Parse one `SearchResult`."""
        return cls(
            guid=_required(item, "guid", "match result"),
            name=as_str(item.get("name")) or "",
            year=as_int(item.get("year")),
            score=as_int(item.get("score")),
            matched=as_bool(item.get("matched")),
        )
