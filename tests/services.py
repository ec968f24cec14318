"""Test helpers for Videodrome's actions: call one as a user, drop a file to act on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custom_components.videodrome.const import DOMAIN
from tests.entities import settle
from tests.permissions import context_of

if TYPE_CHECKING:
    from pathlib import Path

    from homeassistant.auth.models import User
    from homeassistant.core import HomeAssistant


async def call_action(
    hass: HomeAssistant, action: str, user: User | None = None, **data: Any
) -> dict[str, Any]:
    """Videodrome's `action` with `data`, as `user` (None: as an automation), and its answer,
    once the entities show what it changed."""
    response = await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True, context=context_of(user)
    )
    await settle(hass)
    assert response is not None
    return dict(response)


def drop_file(tmp_path: Path, name: str, content: bytes = b"video") -> Path:
    """A finished download `name` (folders allowed) in the ingest folder below `tmp_path`."""
    file = tmp_path / "ingest" / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(content)
    return file
