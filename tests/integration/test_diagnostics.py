"""Config entry diagnostics: snapshots, and no secret or personal path anywhere in them."""

from __future__ import annotations

import errno
import json
from typing import TYPE_CHECKING, Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.videodrome.const import (
    CONF_PATH_MAP,
    CONF_PROVIDER_ID,
    DOMAIN,
)
from custom_components.videodrome.runtime.watcher import CONF_NETWORK_SHARE
from tests.conftest import PLEX_TOKEN
from tests.integration.conftest import TMDB_KEY
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from tests.emulators.plex import PlexEmulator

# Differs from run to run; checked, then replaced before the snapshot compares.
INDEX_AGE = 1.5

type MakeEntry = Callable[..., Awaitable[MockConfigEntry]]


@pytest.fixture
def load_ingest_entry(
    hass: HomeAssistant, make_ingest_entry: Callable[..., MockConfigEntry]
) -> MakeEntry:
    """Loads an entry with ingest on (options overridable)."""

    async def load(**options: Any) -> MockConfigEntry:
        entry = make_ingest_entry(**options)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        return entry

    return load


async def _diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    """The diagnostics as the frontend downloads them, once the index has loaded."""
    index = entry.runtime_data.library.index
    await until(lambda: index.loaded, message="the library index to load")
    return dict(await get_diagnostics_for_config_entry(hass, hass_client, entry))


def _normalised(diagnostics: dict[str, Any]) -> dict[str, Any]:
    """The diagnostics with the index's age (a real clock's) replaced by a constant."""
    age = diagnostics["index"]["age_seconds"]
    assert isinstance(age, float)
    assert age >= 0
    return {**diagnostics, "index": {**diagnostics["index"], "age_seconds": INDEX_AGE}}


async def test_diagnostics_without_ingest(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    diagnostics = await _diagnostics(hass, hass_client, loaded_entry)
    assert diagnostics["ingest"] is None
    assert diagnostics["watcher"] is None
    assert _normalised(diagnostics) == snapshot


async def test_diagnostics_with_ingest(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    load_ingest_entry: MakeEntry,
    snapshot: SnapshotAssertion,
) -> None:
    # A network share: rescans only, so the snapshot does not depend on inotify's limits here.
    entry = await load_ingest_entry(**{CONF_NETWORK_SHARE: True})
    diagnostics = await _diagnostics(hass, hass_client, entry)
    assert diagnostics["watcher"]["inotify_active"] is False
    assert diagnostics["ingest"]["store"]["schema_version"] >= 1
    assert _normalised(diagnostics) == snapshot


async def test_no_secret_or_personal_path_anywhere(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    load_ingest_entry: MakeEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Secrets, folders (options, sections, an inotify error) and history stay out."""
    ingest = tmp_path / "ingest"

    def out_of_watches(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached", str(ingest))

    monkeypatch.setattr("watchdog.observers.api.BaseObserver.schedule", out_of_watches)
    entry = await load_ingest_entry(**{CONF_PATH_MAP: [[str(media_root), "/srv/plex-media"]]})
    source = ingest / "Titanic.1997.1080p.BluRay.x264-GRP.mkv"
    source.write_bytes(b"video")
    response: Any = await hass.services.async_call(
        DOMAIN, "ingest", {"path": str(source)}, blocking=True, return_response=True
    )
    assert response is not None
    assert response["results"][0]["status"] == "ingested"

    diagnostics = await _diagnostics(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    port = plex_emulator.url.rsplit(":", 1)[1].rstrip("/")
    forbidden = [
        PLEX_TOKEN,
        TMDB_KEY,
        entry.data[CONF_PROVIDER_ID],  # the metadata provider's secret address
        "test-client",
        plex_emulator.url,
        port,
        plex_emulator.machine_identifier,
        str(tmp_path),
        str(ingest),
        str(media_root),
        "/srv/plex-media",
        "Titanic",
    ]
    assert [secret for secret in forbidden if secret in text] == []
    assert diagnostics["ingest"]["store"]["counts"]["ingested"] == 1
    assert diagnostics["ingest"]["tmdb"]["requests"] >= 1
    assert diagnostics["watcher"]["inotify_active"] is False
    assert diagnostics["watcher"]["inotify_error"] == "OSError: inotify watch limit reached"
    assert diagnostics["server"]["sections"]
    assert all(s["locations"] == "**REDACTED**" for s in diagnostics["server"]["sections"])
