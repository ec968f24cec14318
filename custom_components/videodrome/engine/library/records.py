"""The records the library index answers with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Existing:
    """A copy Plex already has of the title being ingested."""

    rating_key: str
    title: str
    file: str | None
    resolution: str | None
