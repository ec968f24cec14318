"""An item Plex holds in several versions: the index describes its best one (parsing._media).

The shape is checked against a real Plex recording (../shared/corpora, plex-api-spec-captures:
"Alien: Covenant" in 2160p and 1080p, one `Media` each) and the emulator's own answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.videodrome.engine.identify.quality import from_media
from custom_components.videodrome.engine.library.parsing import parse_item
from tests.emulators.plex_library import PlexLibrary
from tests.emulators.plex_views import item_json

CAPTURE = (
    Path(__file__).parents[3].parent
    / "shared/corpora/plex-api-spec-captures/library__[sectionKey]__get-library-all__06.json"
)


@pytest.mark.skipif(not CAPTURE.is_file(), reason=f"{CAPTURE} is absent (../shared)")
def test_a_recorded_item_with_two_versions() -> None:
    container = json.loads(CAPTURE.read_text(encoding="utf-8"))["MediaContainer"]
    (raw,) = [m for m in container["Metadata"] if m.get("title") == "Alien: Covenant"]
    assert len(raw["Media"]) == 2  # one item, two versions
    item = parse_item(raw, 1, "movie")
    assert item is not None
    assert item.resolution == "4k"
    assert (item.video_codec, item.bitrate, item.container) == ("hevc", 38983, "mkv")
    assert item.files[0].endswith("Alien Covenant (2017) Bluray-2160p.mkv")
    assert item.files[1].endswith("Alien Covenant (2017) Bluray-1080p.mp4")
    quality = from_media(item.files[0], resolution=item.resolution, codec=item.video_codec)
    assert quality.label() == "2160p Blu-ray"


def test_the_emulator_answers_in_the_same_shape(tmp_path: Path) -> None:
    library = PlexLibrary.empty()
    section = library.add_section("Movies", "movie", [str(tmp_path)])
    folder = tmp_path / "Heat (1995)"
    folder.mkdir()
    for name in ("Heat (1995) - 720p.mkv", "Heat (1995) - 2160p.mkv"):
        (folder / name).write_bytes(b"x" * 10)
    library.apply_scan(section, library.walk(section))
    (movie,) = [i for i in library.items.values() if i.type == "movie"]
    raw = item_json(library, movie)
    assert [len(media["Part"]) for media in raw["Media"]] == [1, 1]
    item = parse_item(raw, section.key, "movie")
    assert item is not None
    assert item.resolution == "4k"
    assert item.files[0].endswith("Heat (1995) - 2160p.mkv")
    assert len(item.files) == 2
