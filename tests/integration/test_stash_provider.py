"""End to end: a Plex Movies library of Stash's scenes, described by Videodrome's Stash provider.

Home Assistant (pytest-homeassistant-custom-component) with an entry that has only a Stash (no
ingest), the Stash emulator with its demo scenes and an API key, and the Plex emulator with a
"Stash" Movies library whose files have the scenes' file names. The emulated Plex scans that
library the way PMS does with a custom provider (tests/emulators/plex_agent.py): a match per
file, the metadata of the first answer, its images downloaded, then the item stored under the
provider's guid (a second later). With the poster upload on, Videodrome uploads each scene's
letterboxed poster into Plex, and only once Plex has stored the item.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest

from custom_components.videodrome.const import (
    CONF_PROVIDER_ID,
    CONF_STASH_API_KEY,
    CONF_STASH_POSTER_MODE,
    CONF_STASH_UPLOAD_POSTERS,
    CONF_STASH_URL,
    DOMAIN,
)
from custom_components.videodrome.engine.plex.poster_upload import UploadStats
from custom_components.videodrome.engine.provider.stash_documents import STASH_IDENTIFIER
from custom_components.videodrome.provider_http import PROVIDER_URL
from custom_components.videodrome.runtime import stash as stash_runtime
from tests.emulators.plex_agent import ProviderAgent
from tests.emulators.stash import StashEmulator, draw_image
from tests.integration.stash_helpers import STASH_KEY
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.emulators.plex import PlexEmulator

SECTION = 3
# The files of the Plex library (scenes 1 to 4 of the demo Stash, and a file Stash lacks),
# in other folders than Stash's: only the file name counts.
FILES = {
    "Coastal.Journeys.E01.Harbour.at.Dawn.1080p.mp4": "1",
    "Coastal.Journeys.E02.Cliffs.1080p.mp4": "2",
    "city_lights_night_walk.mkv": "3",
    "old tape 1987.avi": "4",
    "home video.mp4": None,
}


@pytest.fixture
async def stash(socket_enabled: None) -> AsyncIterator[StashEmulator]:
    """The Stash emulator with its demo scenes, requiring STASH_KEY."""
    async with StashEmulator(api_key=STASH_KEY) as emulator:
        yield emulator


@pytest.fixture
def stash_library(plex_emulator: PlexEmulator, media_root: Path) -> Path:
    """A "Stash" Movies library in Plex whose agent is the Stash provider (not scanned yet)."""
    folder = media_root / "Stash"
    for name in FILES:
        (folder / "imports" / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "imports" / name).write_bytes(b"video")
    plex_emulator.library.add_section(
        "Stash", "movie", [str(folder)], key=SECTION, agent=STASH_IDENTIFIER
    )
    return folder


async def _serve(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    entry: MockConfigEntry,
    stash: StashEmulator,
    **options: Any,
) -> str:
    """Set Videodrome up with `entry` (a Stash, no ingest); the Stash provider's URL."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(hass, "image", {})
    client = await hass_client_no_auth()
    entry.add_to_hass(hass)
    stash_options = {CONF_STASH_URL: stash.url, CONF_STASH_API_KEY: STASH_KEY, **options}
    hass.config_entries.async_update_entry(entry, options=stash_options)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return str(client.make_url(f"{PROVIDER_URL}/{entry.data[CONF_PROVIDER_ID]}/stash"))


def _size(image: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(image)) as opened:
        return opened.size


async def test_a_library_of_scenes_is_matched_described_and_given_posters(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    config_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    stash: StashEmulator,
    stash_library: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stash_runtime, "UPLOAD_DELAYS", (0.3,) * 30)
    url = await _serve(
        hass, hass_client_no_auth, config_entry, stash, **{CONF_STASH_UPLOAD_POSTERS: True}
    )
    async with aiohttp.ClientSession() as session:
        agent = ProviderAgent(plex_emulator, url, session, store_delay=1.0)
        items = await agent.scan(SECTION)

    # Matched by file name and described: Stash's title (or the file's name), date, guid.
    found = {item.files[0][0].rsplit("/", 1)[-1]: item for item in items}
    assert {name: item.guid for name, item in found.items()} == {
        name: f"{STASH_IDENTIFIER}://movie/stash-{scene}" if scene else "local://home video"
        for name, scene in FILES.items()
    }
    assert [(found[n].title, found[n].year) for n in FILES] == [
        ("Harbour at Dawn", 2024),
        ("The Cliffs", 2024),
        ("city_lights_night_walk", None),
        ("Old Tape", 1987),
        ("home video", None),
    ]
    assert found["Coastal.Journeys.E01.Harbour.at.Dawn.1080p.mp4"].originally_available_at == (
        "2024-05-17"
    )
    # Images included: each one Plex was given answered, from Stash through the provider.
    shown = {u: status for u, (status, _, _) in agent.images.items()}
    harbour = f"{url}/stash/scene/1"
    assert shown[f"{harbour}/poster"] == shown[f"{harbour}/screenshot"] == 200
    assert agent.images[f"{harbour}/screenshot"][2] == draw_image("scene 1", 1920, 1080)
    poster = agent.images[f"{harbour}/poster"][2]
    assert _size(poster) == (1000, 1500)
    assert shown[f"{url}/stash/performer/1/image"] == shown[f"{url}/stash/group/1/front"] == 200
    assert {u for u, status in shown.items() if status != 200} == {
        f"{url}/stash/scene/4/poster",  # Stash has no screenshot of scene 4
        f"{url}/stash/scene/4/screenshot",
    }
    assert all(u.startswith(url) for u in shown)

    # The posters went up, each once Plex had stored its item (a look before found none).
    runtime = config_entry.runtime_data.stash
    assert runtime is not None
    assert runtime.uploads is not None
    uploads = runtime.uploads
    await until(lambda: uploads.pending == 0)
    assert uploads.stats == UploadStats(uploaded=3, never_found=0, failed=1, dropped=0)
    requests = plex_emulator.requests
    for name, scene in list(FILES.items())[:3]:
        item = found[name]
        assert (
            plex_emulator.library.poster_images[item.rating_key]
            == agent.images[f"{url}/stash/scene/{scene}/poster"][2]
        )
        posted = next(
            n
            for n, r in enumerate(requests)
            if r.method == "POST" and r.path == f"/library/metadata/{item.rating_key}/posters"
        )
        looked = [n for n, r in enumerate(requests) if r.query.get("guid") == item.guid]
        assert looked[0] < agent.stored_at[item.guid] <= posted, name
    assert [r.path for r in requests if r.method == "POST"] == [
        f"/library/metadata/{found[n].rating_key}/posters" for n in list(FILES)[:3]
    ]
    # Every request to Stash carried the key; the provider's answers never held it.
    assert all(r.with_key for r in stash.requests)


async def test_without_the_upload_plex_keeps_the_providers_images(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    config_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    stash: StashEmulator,
    stash_library: Path,
) -> None:
    url = await _serve(
        hass, hass_client_no_auth, config_entry, stash, **{CONF_STASH_POSTER_MODE: "screenshot"}
    )
    async with aiohttp.ClientSession() as session:
        agent = ProviderAgent(plex_emulator, url, session)
        items = await agent.scan(SECTION)
    assert config_entry.runtime_data.stash is not None
    assert config_entry.runtime_data.stash.uploads is None
    cliffs = next(i for i in items if i.guid.endswith("stash-2"))
    assert cliffs.poster == f"{url}/stash/scene/2/screenshot"  # the screenshot as it is
    assert agent.images[cliffs.poster][2] == draw_image("scene 2", 1280, 720)
    assert [r for r in plex_emulator.requests if r.method == "POST"] == []
    # The provider asked Stash once per file for a match and once per scene for metadata.
    asked = [op for op in stash.operations() if op != "VideodromeVersion"]  # the health check
    match, scene = "VideodromeScenesByPath", "VideodromeScene"
    assert asked == [match, scene] * 3 + [match] + [match, scene]  # "home video" is not in Stash
