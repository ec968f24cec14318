"""The Plex emulator's own behaviour: auth, paging, real scans of the disk, library files, CLI."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from tests.conftest import PLEX_TOKEN
from tests.emulators.plex import PlexEmulator, PlexLibrary

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _get(
    http: aiohttp.ClientSession,
    url: str,
    *,
    token: str | None = PLEX_TOKEN,
    as_json: bool = True,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    sent = dict(headers or {})
    if token is not None:
        sent["X-Plex-Token"] = token
    if as_json:
        sent["Accept"] = "application/json"
    async with http.get(url, headers=sent) as response:
        body = await response.read()
        if response.content_type == "application/json":
            return response.status, json.loads(body)
        return response.status, body.decode()


async def test_token_by_header_or_query_and_401_otherwise(
    plex_emulator: PlexEmulator, http: aiohttp.ClientSession
) -> None:
    url = plex_emulator.url
    assert (await _get(http, f"{url}/library/sections"))[0] == 200
    assert (await _get(http, f"{url}/library/sections?X-Plex-Token={PLEX_TOKEN}", token=None))[
        0
    ] == 200
    status, body = await _get(http, f"{url}/library/sections", token=None)
    assert status == 401
    assert "401 Unauthorized" in body
    assert (await _get(http, f"{url}/library/sections", token="wrong"))[0] == 401
    status, identity = await _get(http, f"{url}/identity", token=None)
    assert status == 200
    assert identity["MediaContainer"]["machineIdentifier"] == plex_emulator.machine_identifier


async def test_rotating_the_token_refuses_the_old_one(
    plex_emulator: PlexEmulator, http: aiohttp.ClientSession
) -> None:
    plex_emulator.rotate_token("new")
    assert (await _get(http, f"{plex_emulator.url}/")).__getitem__(0) == 401
    assert (await _get(http, f"{plex_emulator.url}/", token="new"))[0] == 200


async def test_xml_is_the_default_format(
    plex_emulator: PlexEmulator, http: aiohttp.ClientSession
) -> None:
    status, body = await _get(http, f"{plex_emulator.url}/library/sections", as_json=False)
    assert status == 200
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="2"')
    assert 'refreshing="0"' in body


@pytest.mark.parametrize(
    ("query", "headers", "expected"),
    [
        ("X-Plex-Container-Start=20&X-Plex-Container-Size=10", {}, (4, 20)),
        ("", {"X-Plex-Container-Start": "22", "X-Plex-Container-Size": "1"}, (1, 22)),
        ("X-Plex-Container-Start=100", {}, (0, 100)),
        ("X-Plex-Container-Start=-5&X-Plex-Container-Size=2", {}, (2, 0)),
        ("X-Plex-Container-Size=junk", {}, (24, 0)),
    ],
)
async def test_paging_parameters(
    plex_emulator: PlexEmulator,
    http: aiohttp.ClientSession,
    query: str,
    headers: dict[str, str],
    expected: tuple[int, int],
) -> None:
    status, body = await _get(
        http, f"{plex_emulator.url}/library/sections/1/all?{query}", headers=headers
    )
    container = body["MediaContainer"]
    assert status == 200
    assert (container["size"], container["offset"]) == expected
    assert container["totalSize"] == 24
    assert len(container.get("Metadata", [])) == expected[0]


async def test_type_filter_and_guids(
    plex_emulator: PlexEmulator, http: aiohttp.ClientSession
) -> None:
    url = f"{plex_emulator.url}/library/sections/2/all"
    _, shows = await _get(http, url)
    _, seasons = await _get(http, f"{url}?type=3")
    _, episodes = await _get(http, f"{url}?type=4&includeGuids=1")
    assert {m["type"] for m in shows["MediaContainer"]["Metadata"]} == {"show"}
    assert "Guid" not in shows["MediaContainer"]["Metadata"][0]
    assert {m["type"] for m in seasons["MediaContainer"]["Metadata"]} == {"season"}
    assert {m["type"] for m in episodes["MediaContainer"]["Metadata"]} == {"episode"}
    _, with_guids = await _get(http, f"{url}?includeGuids=1")
    office = next(m for m in with_guids["MediaContainer"]["Metadata"] if m["title"] == "The Office")
    assert {g["id"] for g in office["Guid"]} == {"tmdb://2316", "tvdb://73244", "imdb://tt0386676"}


async def test_unknown_paths_and_items_are_404(
    plex_emulator: PlexEmulator, http: aiohttp.ClientSession
) -> None:
    for path in ("/nothing", "/library/sections/99/all", "/library/metadata/1",
                 "/library/sections/x/refresh", "/library/sections/99"):  # fmt: skip
        assert (await _get(http, f"{plex_emulator.url}{path}"))[0] == 404, path


async def test_a_section_describes_itself(
    plex_emulator: PlexEmulator, http: aiohttp.ClientSession
) -> None:
    status, body = await _get(http, f"{plex_emulator.url}/library/sections/2")
    assert status == 200
    assert body["MediaContainer"]["title1"] == "TV Shows"


async def test_a_scan_adds_new_files_and_removes_vanished_ones(
    plex_emulator: PlexEmulator, media_root: Path
) -> None:
    library = plex_emulator.library
    movies = media_root / "Movies"
    matrix = next(i for i in library.items.values() if i.title == "The Matrix")
    Path(matrix.files[0][0]).unlink()
    (movies / "Aliens (1986)").mkdir()
    (movies / "Aliens (1986)" / "Aliens (1986) - 1080p.mkv").write_bytes(b"a")
    (movies / "Some.Home.Video.2004.mkv").write_bytes(b"h")
    (movies / "notes.txt").write_text("not a video")
    await plex_emulator.scan(1)
    titles = {(i.title, i.guid.split(":")[0]) for i in library.section_items(1, None)}
    assert ("Aliens", "plex") in titles
    assert ("Some Home Video", "local") in titles, "unmatched files stay, as unmatched items"
    assert ("The Matrix", "plex") not in titles
    assert len(titles) == 24 - 1 + 2
    aliens = next(i for i in library.items.values() if i.title == "Aliens")
    assert aliens.guids == ["tmdb://679", "imdb://tt0090605"]


async def test_hints_decide_between_remakes(plex_emulator: PlexEmulator, media_root: Path) -> None:
    movies = media_root / "Movies"
    for name in (
        "Halloween (2018) {tmdb-424139}",
        "Halloween (2007) {imdb-tt0373883}",
        "Halloween",
    ):
        (movies / name).mkdir()
        (movies / name / "Halloween.mkv").write_bytes(b"h")
    await plex_emulator.scan(1)
    halloweens = sorted(
        (i.year or 0, i.guids[:1])
        for i in plex_emulator.library.section_items(1, None)
        if i.title == "Halloween"
    )
    # The demo's 1978 one, the two hinted remakes, and one without a year: ambiguous, unmatched.
    assert halloweens == [
        (0, []),
        (1978, ["tmdb://948"]),
        (2007, ["tmdb://2082"]),
        (2018, ["tmdb://424139"]),
    ]


async def test_a_partial_scan_only_touches_its_folder(
    plex_emulator: PlexEmulator, media_root: Path
) -> None:
    library = plex_emulator.library
    movies = media_root / "Movies"
    heat = next(i for i in library.items.values() if i.title == "Heat")
    Path(heat.files[0][0]).unlink()  # gone, but outside the scanned folder
    folder = movies / "Aliens (1986)"
    folder.mkdir()
    (folder / "Aliens (1986).mkv").write_bytes(b"a")
    await plex_emulator.scan(1, str(folder))
    titles = {i.title for i in library.section_items(1, None)}
    assert {"Aliens", "Heat"} <= titles
    await plex_emulator.scan(1, "/somewhere/else")
    assert {"Aliens", "Heat"} <= {i.title for i in library.section_items(1, None)}


async def test_episodes_seasons_and_multi_episode_files(
    plex_emulator: PlexEmulator, media_root: Path
) -> None:
    show = media_root / "TV Shows" / "Sherlock (2010)"
    (show / "Season 01").mkdir(parents=True)
    (show / "Specials").mkdir()
    (show / "Season 01" / "Sherlock (2010) - s01e01-e02 - A Study in Pink.mkv").write_bytes(b"s")
    (show / "Specials" / "Sherlock (2010) - s00e01.mkv").write_bytes(b"s")
    (show / "Season 01" / "no episode number.mkv").write_bytes(b"s")
    (media_root / "TV Shows" / "loose.s01e01.mkv").write_bytes(b"x")
    await plex_emulator.scan(2)
    library = plex_emulator.library
    sherlock = next(i for i in library.items.values() if i.type == "show" and i.title == "Sherlock")
    seasons = library.children(sherlock.rating_key)
    assert [(s.index, s.title) for s in seasons] == [(0, "Specials"), (1, "Season 1")]
    episodes = library.children(seasons[1].rating_key)
    assert [e.index for e in episodes] == [1, 2]
    assert episodes[0].files == episodes[1].files
    assert "tvdb://176941" in sherlock.guids

    (show / "Specials" / "Sherlock (2010) - s00e01.mkv").unlink()
    await plex_emulator.scan(2)
    assert [s.index for s in library.children(sherlock.rating_key)] == [1], "empty season removed"


async def test_scan_messages_and_activities(
    plex_emulator: PlexEmulator, http: aiohttp.ClientSession
) -> None:
    plex_emulator.faults.scan_duration = 0.2
    async with http.get(
        f"{plex_emulator.url}/library/sections/all/refresh", headers={"X-Plex-Token": PLEX_TOKEN}
    ) as response:
        assert response.status == 200
    _, activities = await _get(http, f"{plex_emulator.url}/activities")
    assert sorted(
        a["Context"]["librarySectionID"] for a in activities["MediaContainer"]["Activity"]
    ) == ["1", "2"]
    await plex_emulator.wait_for_scans()
    _, activities = await _get(http, f"{plex_emulator.url}/activities")
    assert activities["MediaContainer"] == {"size": 0}


async def test_latency_knob_delays_answers(
    plex_emulator: PlexEmulator, http: aiohttp.ClientSession
) -> None:
    plex_emulator.faults.latency = 0.2
    started = time.monotonic()
    await _get(http, f"{plex_emulator.url}/identity")
    assert time.monotonic() - started >= 0.2


async def test_library_from_a_file(tmp_path: Path, socket_enabled: None) -> None:
    (tmp_path / "films" / "Heat (1995)").mkdir(parents=True)
    (tmp_path / "films" / "Heat (1995)" / "Heat (1995).mkv").write_bytes(b"h")
    spec = tmp_path / "library.json"
    spec.write_text(
        json.dumps(
            {"sections": [{"title": "Films", "type": "movie", "locations": ["films"], "key": 7}]}
        )
    )
    library = PlexLibrary.from_file(spec)
    assert [(s.key, s.title) for s in library.sections.values()] == [(7, "Films")]
    assert [i.title for i in library.section_items(7, None)] == ["Heat"]
    with pytest.raises(ValueError, match="unsupported"):
        library.add_section("Music", "artist", [])
    with pytest.raises(ValueError, match="exists"):
        library.add_section("Again", "movie", [], key=7)


async def test_watched_state_counts_up_to_shows(plex_emulator: PlexEmulator) -> None:
    library = plex_emulator.library
    dark = next(i for i in library.items.values() if i.type == "show" and i.title == "Dark")
    library.mark_watched(dark.rating_key)
    assert all(leaf.view_count for leaf in library.leaves(dark))
    library.mark_watched(dark.rating_key, watched=False)
    assert not any(leaf.view_count for leaf in library.leaves(dark))


async def test_the_command_line_serves_the_demo(tmp_path: Path, socket_enabled: None) -> None:
    repository = Path(__file__).parents[2]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.emulators.plex", "--port", "0", "--token", "cli-token",
        "--media-root", str(tmp_path), stdout=asyncio.subprocess.PIPE,
        cwd=repository, env={**os.environ, "PYTHONPATH": str(repository)},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            line = (await process.stdout.readline()).decode()
        assert line.startswith("Plex emulator listening on http://127.0.0.1:")
        url = line.split()[4]
        async with aiohttp.ClientSession() as http:
            status, body = await _get(http, f"{url}/library/sections", token="cli-token")
        assert status == 200
        assert [d["title"] for d in body["MediaContainer"]["Directory"]] == ["Movies", "TV Shows"]
        assert (tmp_path / "Movies").is_dir()
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await process.wait() == 0
