"""One row of the history: `Item`, how far its file got (`ItemStatus`), and its columns.

`NewItemFields` and `ItemFields` are what `Store.add_item` and `Store.update_item` take;
`to_columns()` checks and encodes them (lists as JSON, paths as strings), `from_row()` reads
a row back into an `Item`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
import os
from typing import TYPE_CHECKING, Any, TypedDict

import orjson

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class ItemStatus(StrEnum):
    """How far a source file has got."""

    PENDING = "pending"  # identified, waiting to be executed
    REVIEW = "review"  # in the review queue, waiting for a person
    TRANSFERRING = "transferring"  # being copied, linked or moved into the library
    INGESTED = "ingested"  # in the library
    SKIPPED = "skipped"  # deliberately left alone
    REJECTED = "rejected"  # refused in review: stays out until the file changes
    FAILED = "failed"  # went wrong: tried again when seen again
    ORGANISED = "organised"  # renamed in place to its Plex path (undo puts it back)
    UNDONE = "undone"  # an organised rename that was put back


class _OptionalFields(TypedDict, total=False):
    """The columns an item may leave out."""

    source_size: int | None
    source_mtime_ns: int | None
    source_inode: int | None
    source_device: int | None
    kind: str | None  # movie / episode / unknown
    title: str | None
    year: int | None
    season: int | None
    episodes: Sequence[int]
    tmdb_id: int | None
    tvdb_id: int | None
    imdb_id: str | None
    confidence: float | None
    decision: str | None  # auto / review / manual / skip
    reasons: Sequence[str]
    candidates: Sequence[Mapping[str, Any]]
    library: str | None  # movies / tv
    target: str | os.PathLike[str] | None  # relative to the library root
    destination: str | os.PathLike[str] | None  # absolute
    error: str | None
    plex_status: str | None  # plex_matched / _mismatch / _not_found / _corrected / _accepted
    plex_rating_key: str | None
    batch: str | None
    companions: Sequence[Sequence[str]]  # [old, new] paths of subtitles moved with the video
    plex_previous_guid: str | None  # Plex's match before Videodrome corrected it
    quality: Mapping[str, Any] | None  # a copy of what Plex held: both qualities, the decision


class NewItemFields(_OptionalFields):
    """The columns `Store.add_item` takes: source and status are required."""

    source: str | os.PathLike[str]
    status: ItemStatus | str


class ItemFields(_OptionalFields, total=False):
    """The columns `Store.update_item` may set: any of them."""

    source: str | os.PathLike[str]
    status: ItemStatus | str


@dataclass(frozen=True, slots=True)
class Item:
    """One row of the history."""

    id: int
    source: str
    source_size: int | None
    source_mtime_ns: int | None
    source_inode: int | None
    source_device: int | None
    kind: str | None
    title: str | None
    year: int | None
    season: int | None
    episodes: tuple[int, ...]
    tmdb_id: int | None
    tvdb_id: int | None
    imdb_id: str | None
    confidence: float | None
    decision: str | None
    reasons: tuple[str, ...]
    candidates: tuple[dict[str, Any], ...]
    library: str | None
    target: str | None
    destination: str | None
    status: ItemStatus
    error: str | None
    plex_status: str | None
    plex_rating_key: str | None
    batch: str | None
    created_at: float
    updated_at: float
    companions: tuple[tuple[str, str], ...] = ()
    plex_previous_guid: str | None = None
    quality: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for service responses: lists for tuples, ISO 8601 UTC timestamps."""
        result: dict[str, Any] = {name: getattr(self, name) for name in COLUMNS}
        result["status"] = self.status.value
        result["episodes"] = list(self.episodes)
        result["reasons"] = list(self.reasons)
        result["candidates"] = [dict(candidate) for candidate in self.candidates]
        result["companions"] = [list(pair) for pair in self.companions]
        result["created_at"] = _iso(self.created_at)
        result["updated_at"] = _iso(self.updated_at)
        return result


COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(Item))
_WRITABLE = ItemFields.__optional_keys__ | ItemFields.__required_keys__
_JSON_LISTS = frozenset({"episodes", "reasons", "candidates", "companions"})
_JSON_OBJECTS = frozenset({"quality"})
_PATHS = frozenset({"source", "target", "destination"})


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def to_columns(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Check field names and turn values into column values."""
    unknown = set(fields) - _WRITABLE
    if unknown:
        raise TypeError(f"unknown item fields: {', '.join(sorted(unknown))}")
    columns: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "status":
            columns[name] = ItemStatus(value).value
        elif name in _JSON_LISTS:
            if isinstance(value, str | bytes):
                raise TypeError(f"{name} is a list, not a string")
            columns[name] = orjson.dumps(list(value)).decode()
        elif name in _JSON_OBJECTS and value is not None:
            columns[name] = orjson.dumps(dict(value)).decode()
        elif name in _PATHS and value is not None:
            columns[name] = os.fspath(value)
        else:
            columns[name] = value
    return columns


def from_row(row: Sequence[Any]) -> Item:
    """The item a row of `SELECT {COLUMNS} FROM items` holds."""
    values = dict(zip(COLUMNS, row, strict=True))
    for name in _JSON_LISTS:
        values[name] = tuple(orjson.loads(values[name])) if values[name] else ()
    for name in _JSON_OBJECTS & values.keys():
        values[name] = orjson.loads(values[name]) if values[name] else None
    values["companions"] = tuple((str(old), str(new)) for old, new in values["companions"])
    values["status"] = ItemStatus(values["status"])
    return Item(**values)
