"""The review card: served by the integration, loaded on every dashboard, and its data."""

from __future__ import annotations

import logging
import re
import shutil
from typing import TYPE_CHECKING, Any

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.components.onboarding.const import STEPS
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.videodrome import card
from custom_components.videodrome.const import DOMAIN
from tests.entities import settle
from tests.services import drop_file

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    import pytest
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import (
        ClientSessionGenerator,
        WebSocketGenerator,
    )

QUEUE = "sensor.videodrome_demo_review_queue"


async def _ingest(hass: HomeAssistant, path: Path) -> None:
    await hass.services.async_call(
        DOMAIN, "ingest", {"path": str(path)}, blocking=True, return_response=True
    )


async def _review(ws: Any, **message: Any) -> dict[str, Any]:
    await ws.send_json_auto_id({"type": "videodrome/review", **message})
    response: dict[str, Any] = await ws.receive_json()
    return response


async def test_review_command_sends_queue_and_last_ingests(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    tmp_path: Path,
) -> None:
    """The queue oldest first with candidates and posters; the last ingests with Plex's verdict."""
    await _ingest(hass, drop_file(tmp_path, "Dune.mkv"))
    await _ingest(hass, drop_file(tmp_path, "other/The.Thing.mkv"))
    await _ingest(hass, drop_file(tmp_path, "Titanic.1997.1080p.BluRay.x264-GRP.mkv"))
    await hass.async_block_till_done()
    ws = await hass_ws_client(hass)

    response = await _review(ws)
    assert response["success"], response
    result = response["result"]
    assert result["config_entry_id"] == ingest_entry.entry_id
    assert (result["title"], result["ingest"], result["count"]) == ("Videodrome Demo", True, 2)
    dune, thing = result["queue"]
    assert (dune["file"], dune["title"]) == ("Dune.mkv", "Dune")
    assert "ambiguous_without_year" in dune["reasons"]
    assert thing["file"] == "The.Thing.mkv"
    years = {c["year"] for c in dune["candidates"]}
    assert {1984, 2021} <= years
    assert all(c["poster_url"].endswith(c["poster_path"]) for c in dune["candidates"])
    (titanic,) = result["recent"]
    assert (titanic["title"], titanic["status"]) == ("Titanic", "ingested")
    assert titanic["plex_status"] == "plex_matched"
    assert titanic["library"] == "movies"
    assert titanic["target"].endswith("Titanic (1997) - 1080p Blu-ray.mkv")
    assert titanic["updated_at"].endswith("+00:00")
    # The sensor shows the same items: the card and the sensor agree.
    await settle(hass)
    sensor = hass.states.get(QUEUE)
    assert sensor is not None
    assert [i["item_id"] for i in sensor.attributes["items"]] == [dune["item_id"], thing["item_id"]]

    response = await _review(ws, limit=1, recent=0, entity_id=QUEUE)
    assert response["success"], response
    assert [i["title"] for i in response["result"]["queue"]] == ["Dune"]
    assert response["result"]["count"] == 2
    assert response["result"]["recent"] == []

    response = await _review(ws, config_entry_id=ingest_entry.entry_id, recent=50)
    assert [i["title"] for i in response["result"]["recent"]] == ["Titanic"]


async def test_review_command_refuses_what_is_not_videodrome(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Another integration's entity, an unknown entry, or bad limits: a clear error.

    A wrong entry is an answer, not an error in Home Assistant's log (an open card asks again).
    """
    ws = await hass_ws_client(hass)
    other = er.async_get(hass).async_get_or_create("sensor", "demo", "x", suggested_object_id="x")
    response = await _review(ws, entity_id=other.entity_id)
    assert not response["success"]
    assert response["error"]["translation_key"] == "entity_not_videodrome"
    assert response["error"]["message"] == "sensor.x is not an entity of Videodrome"
    response = await _review(ws, entity_id="sensor.nothing_here")
    assert response["error"]["translation_key"] == "entity_not_videodrome"
    response = await _review(ws, config_entry_id="nope")
    assert response["error"]["translation_key"] == "entry_not_found"
    assert response["error"]["code"] == "home_assistant_error"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    response = await _review(ws, limit=0)
    assert response["error"]["code"] == "invalid_format"
    response = await _review(ws, recent=51)
    assert response["error"]["code"] == "invalid_format"
    response = await _review(ws, entity_id=QUEUE, config_entry_id=ingest_entry.entry_id)
    assert response["error"]["code"] == "invalid_format"


async def test_review_command_without_ingest(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """An entry without ingest answers, with nothing to review (the card says so).

    The client is an administrator's: `can_decide` is true.
    """
    ws = await hass_ws_client(hass)
    response = await _review(ws)
    assert response["success"], response
    assert response["result"] == {
        "config_entry_id": loaded_entry.entry_id,
        "title": "Videodrome Demo",
        "ingest": False,
        "count": 0,
        "queue": [],
        "recent": [],
        "can_decide": True,
    }


async def test_card_is_served_and_loaded_on_every_page(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, hass_storage: dict[str, Any]
) -> None:
    """With the frontend, the card's modules are served, versioned, and the card is loaded."""
    # Onboarding done, so Home Assistant serves its page rather than the onboarding one.
    hass_storage["onboarding"] = {"version": 4, "key": "onboarding", "data": {"done": STEPS}}
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    (url,) = [u for u in hass.data[DATA_EXTRA_MODULE_URL].urls if u.startswith(card.URL_BASE)]
    digest = card._digest()
    assert url == card.card_url(digest) == f"/videodrome/frontend/{digest}/{card.CARD_FILE}"
    client = await hass_client()
    # The card and every module it imports, from the same versioned folder.
    source = (card.FRONTEND_DIR / card.CARD_FILE).read_text()
    imported = re.findall(r'^import .* from "\./([^"]+)";$', source, re.MULTILINE)
    assert {"review-card/dom.js", "review-card/labels.js", "review-card/style.js"} <= set(imported)
    for name in [card.CARD_FILE, *imported]:
        response = await client.get(f"{card.folder_url(digest)}/{name}")
        assert response.status == 200, name
        assert response.content_type in {"application/javascript", "text/javascript"}
        assert await response.read() == (card.FRONTEND_DIR / name).read_bytes()
        assert "max-age" in response.headers["Cache-Control"]
    assert "registry.define(CARD_TYPE, VideodromeReviewCard)" in source
    # Another version is not served: a page names the one this Home Assistant runs.
    assert (await client.get(f"{card.folder_url('0' * 12)}/{card.CARD_FILE}")).status == 404
    # The page Home Assistant serves names the card among the modules to load.
    index = await client.get("/")
    assert url in await index.text()


async def test_no_frontend_no_card(hass: HomeAssistant) -> None:
    """Without Home Assistant's frontend, nothing is served and nothing fails."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert "frontend" not in hass.config.components
    assert await card.async_setup_frontend(hass) is None


def test_the_digest_follows_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The version in the URL hashes every module, so an update to any one busts caches."""
    digest = card._digest()
    assert len(digest) == 12
    assert int(digest, 16) >= 0
    assert card.card_url(digest) == f"/videodrome/frontend/{digest}/videodrome-review-card.js"
    assert {p.relative_to(card.FRONTEND_DIR).as_posix() for p in card.modules()} >= {
        card.CARD_FILE,
        "review-card/dom.js",
    }
    # A copy of the folder: the same version; a change to a module or a new one, another.
    copy = tmp_path / "frontend"
    shutil.copytree(card.FRONTEND_DIR, copy)
    monkeypatch.setattr(card, "FRONTEND_DIR", copy)
    assert card._digest() == digest
    dom = copy / "review-card" / "dom.js"
    dom.write_text(dom.read_text() + "\n")
    changed = card._digest()
    assert changed != digest
    (copy / "review-card" / "more.js").write_text("export const x = 1;\n")
    assert card._digest() not in {digest, changed}
