"""The button platform: look through the ingest folders now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import Platform
import pytest

from tests.entities import snapshot_entities
from tests.integration.conftest import SNAPSHOT_TIME

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion


@pytest.fixture
def platforms() -> list[Platform]:
    """Only this platform."""
    return [Platform.BUTTON]


@pytest.mark.freeze_time(SNAPSHOT_TIME)
async def test_buttons(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    busy_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_entities(hass, entity_registry, snapshot, busy_entry)
