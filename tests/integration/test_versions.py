"""Better copies in Home Assistant: filed as Plex versions, announced, shown (issue 25).

The demo Plex library holds The Matrix in SD (`The Matrix (1999)/The Matrix (1999).mkv`) and
Breaking Bad's first seasons; the option "When Plex already has it" is left at its default,
*File better copies as a new version*.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.videodrome.const import DOMAIN
from tests.entities import settle

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from tests.emulators.plex import PlexEmulator


async def _ingest(hass: HomeAssistant, source: Path) -> dict[str, Any]:
    response: Any = await hass.services.async_call(
        DOMAIN, "ingest", {"path": str(source)}, blocking=True, return_response=True
    )
    await settle(hass)
    (result,) = response["results"]
    return dict(result)


def _drop(tmp_path: Path, name: str, content: bytes) -> Path:
    file = tmp_path / "ingest" / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(content)
    return file


async def test_a_better_copy_becomes_a_version_and_is_announced(
    hass: HomeAssistant,
    ingest_entry: MockConfigEntry,
    plex_emulator: PlexEmulator,
    media_root: Path,
    tmp_path: Path,
) -> None:
    """A 2160p Matrix lands beside Plex's SD copy; `videodrome_upgraded` names both."""
    upgraded = async_capture_events(hass, "videodrome_upgraded")
    folder = media_root / "Movies" / "The Matrix (1999)"
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    source = _drop(tmp_path, "The.Matrix.1999.2160p.UHD.BluRay.REMUX.HDR.HEVC-GRP.mkv", b"uhd")
    result = await _ingest(hass, source)
    assert result["status"] == "ingested", result
    assert "better_copy" in result["reasons"]
    version = folder / "The Matrix (1999) - 2160p Remux HDR.mkv"
    assert result["destination"] == str(version)
    assert version.read_bytes() == b"uhd"
    # Nothing replaced, nothing deleted: the older copy and the download are where they were.
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p != version} == before
    assert source.exists()
    # Plex: one film, two versions.
    movies = [i for i in plex_emulator.library.items.values() if i.title == "The Matrix"]
    assert len(movies) == 1
    assert len(movies[0].files) == 2
    assert len(upgraded) == 1
    data = upgraded[0].data
    assert data["new"] == {"quality": "2160p Remux HDR", "file": str(version)}
    assert data["old"]["quality"] == "480p"
    assert data["old"]["file"] == str(folder / "The Matrix (1999).mkv")
    assert data["item"]["quality"]["decision"] == "version"
    assert data["item"]["plex_status"] == "plex_matched"
    last = hass.states.get("sensor.videodrome_demo_last_ingest")
    assert last is not None
    assert last.attributes["quality"] == {
        "decision": "version",
        "better": True,
        "new": "2160p Remux HDR",
        "existing": "480p",
    }
    event = hass.states.get("event.videodrome_demo_ingest")
    assert event is not None
    assert event.attributes["event_type"] == "upgraded"
    assert "file" not in event.attributes["quality"]  # labels only: no paths in states


async def test_skip_leaves_a_lower_copy_alone(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    media_root: Path,
    tmp_path: Path,
) -> None:
    """*Skip copies that are not better*: an SD copy of the SD Matrix is skipped, untouched."""
    entry = make_ingest_entry(when_held="skip")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    upgraded = async_capture_events(hass, "videodrome_upgraded")
    folder = media_root / "Movies" / "The Matrix (1999)"
    before = sorted(p.name for p in folder.iterdir())
    source = _drop(tmp_path, "The.Matrix.1999.480p.DVDRip.XviD-GRP.avi", b"sd")
    result = await _ingest(hass, source)
    assert result["status"] == "skipped", result
    assert "duplicate_not_better" in result["reasons"]
    assert result["quality"]["new"]["label"] == "480p DVD"
    assert sorted(p.name for p in folder.iterdir()) == before
    assert source.read_bytes() == b"sd"
    assert upgraded == []


async def test_plan_and_identify_report_both_qualities(
    hass: HomeAssistant, ingest_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """`plan` and `identify` say what would be decided, with both copies' qualities."""
    source = _drop(tmp_path, "The.Matrix.1999.1080p.WEB-DL.x264-GRP.mkv", b"web")
    for action in ("plan", "identify"):
        response: Any = await hass.services.async_call(
            DOMAIN, action, {"path": str(source)}, blocking=True, return_response=True
        )
        answer = response["results"][0] if action == "plan" else response
        assert answer["quality"]["decision"] == "version", action
        assert answer["quality"]["better"] is True
        assert answer["quality"]["new"]["label"] == "1080p WEB-DL"
        assert answer["quality"]["existing"]["label"] == "480p"
    response = await hass.services.async_call(
        DOMAIN, "identify", {"name": "Heat.1995.REPACK.720p.BluRay.x264"}, blocking=True,
        return_response=True,
    )  # fmt: skip
    assert response is not None
    assert response["quality"]["new"]["label"] == "720p Blu-ray Proper"
    assert response["quality"]["existing"] is None
