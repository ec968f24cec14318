"""The image platform: the TMDb poster of the last file filed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components import image
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
    return [Platform.IMAGE]


@pytest.fixture(autouse=True)
def fixed_access_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token in the image's address, random per entity and run, is a fixed one here."""
    monkeypatch.setattr(image._RND, "getrandbits", lambda bits: 0x1CAAB5C3B3)


@pytest.mark.freeze_time(SNAPSHOT_TIME)
async def test_images(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    busy_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_entities(hass, entity_registry, snapshot, busy_entry)
