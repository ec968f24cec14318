"""What the ingest announces through `on_event(kind, item)` (bus events `videodrome_<kind>`)."""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    """What Videodrome announces."""

    INGESTED = "ingested"
    REVIEW_REQUIRED = "review_required"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"
    MATCH_CORRECTED = "match_corrected"  # Plex's match was changed to Videodrome's title
    # Plex scanned and checked a file filed while it could not be asked (catch_up.py)
    PLEX_CHECKED = "plex_checked"
    # A better copy of what Plex held was filed as a version beside it (versions.py)
    UPGRADED = "upgraded"
