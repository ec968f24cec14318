"""What a dashboard or a notification is told about an item of the ingest.

The review queue and last ingest sensors, the ingest event and the review card's websocket
command all describe an item the same way: its file, what it was identified as, how sure,
why it waits, its candidates with their posters and, once filed, where it went and what Plex
made of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .engine.tmdb.posters import item_poster_url, poster_url

if TYPE_CHECKING:
    from .engine.store.items import Item

# "source" tells Videodrome's title from Plex's when Plex matched a filed file to another.
CANDIDATE_KEYS = ("tmdb_id", "media_type", "title", "year", "score", "poster_path", "source")


def item_summary(item: Item) -> dict[str, Any]:
    """What a dashboard or a notification needs to know about an item."""
    return {
        "item_id": item.id,
        "file": item.source.rsplit("/", 1)[-1],
        "title": item.title,
        "year": item.year,
        "season": item.season,
        "episodes": list(item.episodes),
        "confidence": item.confidence,
        "reasons": list(item.reasons),
        "poster_url": item_poster_url(item.tmdb_id, item.candidates),
        "candidates": [
            {
                **{k: c.get(k) for k in CANDIDATE_KEYS},
                "poster_url": poster_url(c.get("poster_path")),
            }
            for c in item.candidates
        ],
        "quality": quality_summary(item),
    }


def quality_summary(item: Item) -> dict[str, Any] | None:
    """A copy of what Plex held (engine/ingest/versions.py): both qualities, no paths."""
    quality = item.quality
    if not quality:
        return None
    return {
        "decision": quality.get("decision"),
        "better": quality.get("better"),
        "new": (quality.get("new") or {}).get("label"),
        "existing": (quality.get("existing") or {}).get("label"),
    }


def upgrade_summary(item: Item) -> dict[str, Any]:
    """The `videodrome_upgraded` bus event's own fields: each copy's quality and file."""
    quality = item.quality or {}
    new, old = quality.get("new") or {}, quality.get("existing") or {}
    return {
        "new": {"quality": new.get("label"), "file": item.destination},
        "old": {"quality": old.get("label"), "file": old.get("file")},
    }


def filed_summary(item: Item) -> dict[str, Any]:
    """An item's summary with where it was filed and what Plex made of it."""
    return {
        **item_summary(item),
        "library": item.library,
        "target": item.target,
        "plex_status": item.plex_status,
        "plex_previous_guid": item.plex_previous_guid,
    }
