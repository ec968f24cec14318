"""Items that wait, and for what: TMDb (`tmdb_unavailable`) or Plex (`waiting_for_plex`).

A file TMDb could not identify waits in the review queue and is identified again when the
watcher next sees it. A file that would be filed while Plex's library has not been read yet
waits `pending` (filing it could make a duplicate) and is filed once the library has been
read (catch_up.py). Either way it is handled again in the same history row. A file filed
while Plex could not be asked about it waits with `plex_not_checked` for its scan and match
check (catch_up.py too).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..identify.identifier import TMDB_UNAVAILABLE
from ..store.items import ItemStatus
from .plan import AUTO_INGEST_OFF, WAITING_FOR_PLEX, Action

# An ingested file Plex was not asked about (no Plex, or Plex failed: the error says why).
PLEX_NOT_CHECKED = "plex_not_checked"

if TYPE_CHECKING:
    from ..store.items import Item
    from .plan import PlannedFile


def waiting_for_tmdb(item: Item) -> bool:
    """Whether an item is queued only because TMDb could not be asked: it is tried again."""
    return item.status == ItemStatus.REVIEW and TMDB_UNAVAILABLE in item.reasons


def waiting_for_plex(item: Item) -> bool:
    """Whether an item is held until Plex's library has been read (catch_up.py files it)."""
    return item.status == ItemStatus.PENDING and WAITING_FOR_PLEX in item.reasons


def no_longer_waits(handled: Item, planned: PlannedFile) -> bool:
    """Whether a waiting item's new plan no longer waits (then it is handled again)."""
    if waiting_for_tmdb(handled):
        return TMDB_UNAVAILABLE not in planned.reasons
    return waiting_for_plex(handled) and planned.action is not Action.WAIT


def unheld(reasons: tuple[str, ...]) -> tuple[str, ...]:
    """`reasons` without `waiting_for_plex` (a file sent to review instead of held)."""
    return tuple(reason for reason in reasons if reason != WAITING_FOR_PLEX)


def held_for_review(planned: list[PlannedFile]) -> list[PlannedFile]:
    """The plans with automatic filing off (`auto_ingest_off`).

    What would be filed, or wait for Plex's library to be read before it is filed, waits for
    review instead.
    """
    return [
        replace(p, action=Action.REVIEW, reasons=(*unheld(p.reasons), AUTO_INGEST_OFF))
        if p.action in {Action.TRANSFER, Action.WAIT}
        else p
        for p in planned
    ]
