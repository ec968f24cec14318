"""The card speaks words (issue 23, item 5): a phrase for every reason code, translated.

The phrases live in the integration's translations (strings.json and translations/en.json,
selector `review_reason`), which Home Assistant serves to its frontend; the card asks for
them there (`hass.loadBackendTranslation("selector", "videodrome")`) and keeps the code in a
tooltip. The browser test (tests/e2e) checks the words on the page.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from homeassistant.setup import async_setup_component

from custom_components.videodrome import card
from custom_components.videodrome.const import DOMAIN
from tests.reason_codes import reason_codes

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator

STRINGS = card.FRONTEND_DIR.parent / "strings.json"
KEY = f"component.{DOMAIN}.selector.review_reason.options"


def _phrases() -> dict[str, str]:
    strings = json.loads(STRINGS.read_text(encoding="utf-8"))
    phrases: dict[str, str] = strings["selector"]["review_reason"]["options"]
    return phrases


def test_every_reason_the_engine_gives_has_a_phrase() -> None:
    """Read from the engine's source: a new code without a phrase fails here."""
    codes = reason_codes()
    # The reading finds codes of every kind of place they are given in.
    assert {
        "ambiguous_without_year": "identify/score.py",  # reasons.append(CONSTANT)
        "destination_exists": "__main__.py",  # reasons.append(A if x else B)
        "tmdb_unavailable": "identify/identifier.py",  # a record's positional field
        "absolute_order": "identify/absolute_episodes.py",  # Placed(.., CONSTANT)
        "target_outside_root": "ingest/pipeline.py",  # (*reasons, CONSTANT)
        "parse_timeout": "identify/parse.py",  # reasons=("literal",)
        "hidden": "identify/filters.py",  # what ignore_reason() returns
        "id_hint_not_found": "identify/identifier.py",  # return None, (CONSTANT,)
        "auto_ingest_off": "ingest/waiting.py",
        "plex_mismatch": "ingest/match_review.py",
    }.items() <= {(code, module) for code, modules in codes.items() for module in modules}
    missing = sorted(set(codes) - set(_phrases()))
    assert missing == [], f"reason codes without a phrase in strings.json: {missing}"


def test_the_phrases_are_short_sentences_of_their_own() -> None:
    phrases = _phrases()
    assert phrases["ambiguous_without_year"] == "No year in the name"
    assert phrases["close_runner_up"] == "Another title scored almost as high"
    assert phrases["destination_exists"] == "A file is already at the destination"
    for code, phrase in phrases.items():
        assert phrase[0].isupper(), code
        assert len(phrase) <= 50, code  # a chip, not a paragraph
        assert not phrase.endswith("."), code
        assert "_" not in phrase, code
    assert len(set(phrases.values())) == len(phrases)  # no two codes read the same


def test_the_card_has_no_phrases_of_its_own() -> None:
    """The words come from the translations only: no reason code is spelt out in the card."""
    sources = "".join(path.read_text() for path in card.modules())
    # labels.js names Plex's verdicts on filed items (plex_mismatch ...), not reasons.
    reasons = [code for code in _phrases() if not code.startswith("plex_")]
    assert [code for code in reasons if f"{code}:" in sources or f'"{code}"' in sources] == []
    assert "REASONS" not in sources
    assert 'loadBackendTranslation("selector", DOMAIN)' in sources


async def test_home_assistant_serves_the_phrases_to_the_frontend(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """What the card's `loadBackendTranslation("selector", "videodrome")` asks for."""
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "frontend/get_translations",
            "language": "en",
            "category": "selector",
            "integration": [DOMAIN],
        }
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    resources = answer["result"]["resources"]
    assert {k.removeprefix(f"{KEY}."): v for k, v in resources.items() if k.startswith(KEY)} == (
        _phrases()
    )
