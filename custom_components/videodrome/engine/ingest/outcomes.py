"""What ingesting or reviewing a file came to, for a service response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

# The status of a file another caller is handling at the same moment (it is handled once).
ALREADY_HANDLED = "already_handled"

if TYPE_CHECKING:
    from ..store.items import Item
    from .plan import PlannedFile


@dataclass(frozen=True, slots=True)
class Outcome:
    """One file's result, for a service response."""

    planned: PlannedFile
    item: Item | None
    status: str
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The plan plus what happened."""
        record = self.planned.as_json()
        record.update(
            item_id=self.item.id if self.item else None, status=self.status, error=self.error
        )
        return record


@dataclass(frozen=True, slots=True)
class Settled:
    """A review of a file already filed (its Plex match), for a service response."""

    item: Item
    status: str

    def as_json(self) -> dict[str, Any]:
        """The item as it now is."""
        record = self.item.as_dict()
        record.update(item_id=record.pop("id"), status=self.status, error=None)
        return record
