"""Serves the review card and loads it on every dashboard (no separate install needed).

The card is a plain JavaScript module in `frontend/`. Home Assistant serves that folder under
`URL_BASE`, and the frontend loads the module on every page (`add_extra_js_url`); the query
carries a hash of the file, so a browser fetches it again when an update changes it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Final

from homeassistant.components import frontend
from homeassistant.components.http.server import StaticPathConfig

from .websocket import async_setup_websocket

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

FRONTEND_DIR: Final = Path(__file__).parent / "frontend"
CARD_FILE: Final = "videodrome-review-card.js"
URL_BASE: Final = "/videodrome/frontend"


def card_url(digest: str) -> str:
    """Where the card is served, with a cache-busting version."""
    return f"{URL_BASE}/{CARD_FILE}?v={digest}"


def _digest() -> str:
    """A short hash of the card (blocking: reads the file)."""
    return hashlib.sha256((FRONTEND_DIR / CARD_FILE).read_bytes()).hexdigest()[:12]


async def async_setup_frontend(hass: HomeAssistant) -> str | None:
    """Register the card's websocket command; serve and load the card where there is a UI.

    Returns the card's URL, or None when Home Assistant runs without its frontend.
    """
    async_setup_websocket(hass)
    if "frontend" not in hass.config.components or hass.http is None:
        return None
    url = card_url(await hass.async_add_executor_job(_digest))
    await hass.http.async_register_static_paths(
        [StaticPathConfig(URL_BASE, str(FRONTEND_DIR), cache_headers=True)]
    )
    frontend.add_extra_js_url(hass, url)
    return url
