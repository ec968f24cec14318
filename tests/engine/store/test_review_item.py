"""The review queue's item of one file: what `approve` and `reject` by path find."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

HEAT = "/downloads/Heat.1995.mkv"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "videodrome.db") as opened:
        yield opened


def test_the_queued_item_of_a_file_is_found_by_its_path(store: Store) -> None:
    assert store.review_item(HEAT) is None
    filed = store.add_item(source=HEAT, status=ItemStatus.INGESTED)
    assert store.review_item(HEAT) is None, "a filed item is not queued"
    queued = store.add_item(source=HEAT, status=ItemStatus.REVIEW, title="Heat")
    store.add_item(source="/downloads/Heat.1995.mkv.part", status=ItemStatus.REVIEW)
    store.add_item(source="/downloads/heat.1995.mkv", status=ItemStatus.REVIEW)
    found = store.review_item(HEAT)
    assert found is not None
    assert (found.id, found.title) == (queued.id, "Heat")
    assert found.id != filed.id
    store.update_item(queued.id, status=ItemStatus.REJECTED)
    assert store.review_item(HEAT) is None


def test_of_two_queued_items_of_one_path_the_newest_is_found(store: Store) -> None:
    older = store.add_item(source=HEAT, status=ItemStatus.REVIEW)
    newer = store.add_item(source=HEAT, status=ItemStatus.REVIEW)
    found = store.review_item(HEAT)
    assert found is not None
    assert found.id == newer.id != older.id
