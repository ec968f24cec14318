"""Serves the review card and loads it on every dashboard (no separate install needed).

The card is plain JavaScript: `frontend/videodrome-review-card.js` and the ES modules it
imports from `frontend/review-card/`. Home Assistant serves that folder under
`URL_BASE/<version>/`, where the version is a hash of every file in it, and the frontend loads
the card's module on every page (`add_extra_js_url`). The modules import each other by
relative paths, so they all come from the same versioned folder: an update changes the version
of all of them at once, and a browser never mixes a cached old module with a new one (the files
are served with long cache headers).
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


def folder_url(digest: str) -> str:
    """Where the card's folder is served, in the version `digest`."""
    return f"{URL_BASE}/{digest}"


def card_url(digest: str) -> str:
    """Where the card's module is served, in the version `digest`."""
    return f"{folder_url(digest)}/{CARD_FILE}"


def modules() -> list[Path]:
    """The card's files (blocking: lists the folder), in a stable order."""
    return sorted(path for path in FRONTEND_DIR.rglob("*.js") if path.is_file())


def _digest() -> str:
    """A short hash of every file of the card, names and contents (blocking: reads them)."""
    digest = hashlib.sha256()
    for path in modules():
        name = path.relative_to(FRONTEND_DIR).as_posix().encode()
        content = path.read_bytes()
        for part in (name, content):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()[:12]


async def async_setup_frontend(hass: HomeAssistant) -> str | None:
    """Register the card's websocket command; serve and load the card where there is a UI.

    Returns the card's URL, or None when Home Assistant runs without its frontend.
    """
    async_setup_websocket(hass)
    if "frontend" not in hass.config.components or hass.http is None:
        return None
    digest = await hass.async_add_executor_job(_digest)
    await hass.http.async_register_static_paths(
        [StaticPathConfig(folder_url(digest), str(FRONTEND_DIR), cache_headers=True)]
    )
    url = card_url(digest)
    frontend.add_extra_js_url(hass, url)
    return url
