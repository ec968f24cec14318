"""The shipped blueprints load, and do what they promise when their events fire."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import TYPE_CHECKING

from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

BLUEPRINTS = Path(__file__).resolve().parents[2] / "blueprints" / "automation" / "videodrome"

ITEM = {
    "id": 7,
    "source": "/media/downloads/Dune.mkv",
    "kind": "movie",
    "title": "Dune",
    "year": 2021,
    "season": None,
    "episodes": [],
    "reasons": ["ambiguous_without_year", "close_runner_up"],
    "candidates": [
        {"tmdb_id": 438631, "title": "Dune", "year": 2021, "poster_path": "/dune.jpg"},
        {"tmdb_id": 841, "title": "Dune", "year": 1984, "poster_path": None},
    ],
}


@pytest.fixture
def installed(hass: HomeAssistant) -> None:
    """The blueprints where Home Assistant looks for them."""
    target = Path(hass.config.path("blueprints", "automation", "videodrome"))
    target.mkdir(parents=True, exist_ok=True)
    for blueprint in BLUEPRINTS.glob("*.yaml"):
        shutil.copy(blueprint, target / blueprint.name)


@pytest.mark.parametrize(("answer", "service"), [("APPROVE", "approve"), ("REJECT", "reject")])
async def test_review_on_phone(
    hass: HomeAssistant, installed: None, answer: str, service: str
) -> None:
    """A review item becomes a notification with a poster; the button calls the service."""
    notified = async_mock_service(hass, "notify", "mobile_app_test")
    called = async_mock_service(hass, "videodrome", service)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "videodrome/review_on_phone.yaml",
                    "input": {"notify_service": "notify.mobile_app_test"},
                }
            }
        },
    )
    hass.bus.async_fire("videodrome_review_required", {"config_entry_id": "abc", "item": ITEM})
    await hass.async_block_till_done()
    (message,) = notified
    assert message.data["title"] == "Is this Dune (2021)?"
    assert message.data["data"]["image"] == "https://image.tmdb.org/t/p/w342/dune.jpg"
    actions = [a["action"] for a in message.data["data"]["actions"]]
    assert actions == ["VIDEODROME_APPROVE_abc_7", "VIDEODROME_REJECT_abc_7"]
    # A button of another notification: ignored.
    hass.bus.async_fire("mobile_app_notification_action", {"action": "SOMETHING_ELSE"})
    await hass.async_block_till_done()
    assert called == []
    hass.bus.async_fire("mobile_app_notification_action", {"action": f"VIDEODROME_{answer}_abc_7"})
    await hass.async_block_till_done()
    (call,) = called
    assert call.data == {"config_entry_id": "abc", "item_id": 7}


async def test_announce_ingests(hass: HomeAssistant, installed: None) -> None:
    """An ingested film and an episode are announced on the chosen speaker."""
    spoken = async_mock_service(hass, "tts", "speak")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": "videodrome/announce_ingests.yaml",
                    "input": {
                        "tts_entity": "tts.home_assistant_cloud",
                        "media_player": "media_player.kitchen",
                    },
                }
            }
        },
    )
    hass.bus.async_fire("videodrome_ingested", {"config_entry_id": "abc", "item": ITEM})
    episode = {**ITEM, "kind": "episode", "title": "Breaking Bad", "season": 4, "episodes": [1]}
    hass.bus.async_fire("videodrome_approved", {"config_entry_id": "abc", "item": episode})
    await hass.async_block_till_done()
    messages = [call.data["message"] for call in spoken]
    assert messages[0] == "Dune, from 2021, is now in your Plex library."
    assert messages[1] == (
        "a new episode of Breaking Bad, season 4 episode 1, is now in your Plex library."
    )
    assert all(call.data["media_player_entity_id"] == "media_player.kitchen" for call in spoken)
