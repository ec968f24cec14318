"""`python -m custom_components.videodrome.engine library`: a Plex server read as the index does.

Against the Plex emulator (the demo library, and its fault knobs for a failing section) and
against real recordings (tests/emulators/recordings.py: a legacy-agent library found by its
ids). The contract: the JSON shape, exit 0/1/2, the token never printed.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path
import socket
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.__main__ import main
from custom_components.videodrome.engine.library.cli import Wanted, wanted
from tests.conftest import PLEX_TOKEN
from tests.emulators import recordings
from tests.emulators.recordings import TOKEN, ReplayServer

if TYPE_CHECKING:
    from tests.emulators.plex import PlexEmulator

ROOT = Path(__file__).resolve().parents[3]


async def run(*argv: str) -> tuple[int, str]:
    """main() in a thread (it runs its own event loop), with its output captured."""
    out = io.StringIO()
    status = await asyncio.to_thread(main, ["library", *argv], out)
    return status, out.getvalue()


def _emulated(plex: PlexEmulator, kind: str) -> list[Any]:
    return [i for i in plex.library.items.values() if i.type == kind]


async def test_the_demo_server_in_json(
    plex_emulator: PlexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, output = await run(
        "--url", plex_emulator.url, "--token", PLEX_TOKEN, "--json",
        "--find", "tmdb:603", "--find", "imdb:tt0137523", "--find", "tvdb:81189/1/2",
        "--find", "tvdb:81189/1", "--find", "title:Blade Runner (1982)", "--find", "tmdb:999999",
        "--find", "tvdb:81189/9/9", "--find", "TMDB:1396/1",
    )  # fmt: skip
    assert status == 0
    report = json.loads(output)
    assert set(report) == {"server", "sections", "items", "episodes", "with_ids", "found"}
    assert report["server"] == {
        "name": plex_emulator.friendly_name,
        "machine_identifier": plex_emulator.machine_identifier,
        "version": plex_emulator.version,
        "platform": "Linux",
    }
    movies, shows, episodes = (_emulated(plex_emulator, k) for k in ("movie", "show", "episode"))
    assert report["sections"] == [
        {"id": 1, "type": "movie", "title": "Movies", "items": len(movies), "episodes": 0,
         "error": None},
        {"id": 2, "type": "show", "title": "TV Shows", "items": len(shows),
         "episodes": len(episodes), "error": None},
    ]  # fmt: skip
    assert report["items"] == report["with_ids"] == len(movies) + len(shows)
    assert report["episodes"] == len(episodes)
    found = report["found"]
    matrix = next(m for m in movies if m.title == "The Matrix")
    assert found["tmdb:603"] == {
        "rating_key": matrix.rating_key,
        "title": "The Matrix",
        "year": 1999,
        "files": [path for path, _size in matrix.files],
    }
    assert found["imdb:tt0137523"]["title"] == "Fight Club"
    bad = next(s for s in shows if s.title == "Breaking Bad")
    episode = found["tvdb:81189/1/2"]
    leaf = next(
        e
        for e in episodes
        if e.index == 2 and plex_emulator.library.items[e.parent_key].index == 1
        and plex_emulator.library.items[e.parent_key].parent_key == bad.rating_key
    )  # fmt: skip
    assert episode == {
        "rating_key": leaf.rating_key,
        "title": leaf.title,
        "year": 2008,
        "files": [leaf.files[0][0]],
    }
    season = found["tvdb:81189/1"]
    assert (season["rating_key"], season["title"]) == (bad.rating_key, "Breaking Bad")
    assert leaf.files[0][0] in season["files"]
    assert found["TMDB:1396/1"] == season
    assert found["title:Blade Runner (1982)"]["year"] == 1982
    assert found["tmdb:999999"] is None
    assert found["tvdb:81189/9/9"] is None
    assert PLEX_TOKEN not in output + "".join(capsys.readouterr())


async def test_readable_and_a_failing_section(
    plex_emulator: PlexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """A section Plex fails to list is reported; the others are read; exit 1."""
    plex_emulator.faults.fail_prefix = "/library/sections/2/"
    plex_emulator.faults.fail_next = 1000
    status, output = await run(
        "--url", plex_emulator.url, "--token", PLEX_TOKEN,
        "--find", "tmdb:603", "--find", "tvdb:81189",
    )  # fmt: skip
    assert status == 1
    lines = output.splitlines()
    assert lines[0] == f"{plex_emulator.friendly_name} ({plex_emulator.version}, Linux)"
    movies = len(_emulated(plex_emulator, "movie"))
    assert lines[1] == f"  section 1 'Movies' (movie): {movies} items"
    assert lines[2] == (
        "  section 2 'TV Shows' (show): NOT READ: Plex answered 500 to /library/sections/2/all"
    )
    assert lines[3] == (
        f"{movies} items, 0 episodes; {movies} items with a TMDb, TVDB, IMDb or AniDB id"
    )
    assert lines[4] == "tmdb:603: The Matrix (1999), rating key 1021"
    assert lines[5].startswith("    /")
    assert lines[5].endswith(".mkv")
    assert lines[6] == "tvdb:81189: not found"
    plex_emulator.faults.fail_next = 1000
    status, output = await run("--url", plex_emulator.url, "--token", PLEX_TOKEN, "--json")
    assert status == 1
    shows = json.loads(output)["sections"][1]
    assert (shows["items"], shows["episodes"]) == (None, None)
    assert "500" in shows["error"]
    assert PLEX_TOKEN not in output + "".join(capsys.readouterr())


@pytest.mark.skipif(not recordings.available(), reason=f"{recordings.CORPORA} is absent")
async def test_a_legacy_library_found_by_its_ids(socket_enabled: None) -> None:
    """rubyplex's recorded server: legacy agents only, every lookup by id answers."""
    async with ReplayServer(recordings.rubyplex()) as server:
        status, output = await run(
            "--url", server.url, "--token", TOKEN, "--json",
            "--find", "imdb:tt1272878", "--find", "imdb:tt2304933", "--find", "tvdb:74205/1/3",
            "--find", "tvdb:73545/0", "--find", "tvdb:73545", "--find", "tmdb:603",
            "--find", "title:Battlestar Galactica (2003)", "--find", "tvdb:74205/1/99",
        )  # fmt: skip
        assert status == 0
        report = json.loads(output)
        assert (report["items"], report["episodes"], report["with_ids"]) == (7, 85, 7)
        assert [(s["id"], s["items"], s["episodes"]) for s in report["sections"]] == [
            (3, 0, 0), (1, 5, 0), (2, 2, 85),
        ]  # fmt: skip
        found = report["found"]
        assert found["imdb:tt1272878"]["title"] == "2 Guns"
        assert found["imdb:tt2304933"]["title"] == "The 5th Wave"
        assert found["tvdb:74205/1/3"] == {
            "rating_key": 10405,
            "title": "Carentan",
            "year": 2001,
            "files": [
                (
                    "/volume1/Media/TV/Band of Brothers/Band of Brothers S01/"
                    "Band of Brothers S01E03 [1080p].mp4"
                )
            ],
        }
        assert len(found["tvdb:73545/0"]["files"]) == 3
        assert len(found["tvdb:73545"]["files"]) == 75
        assert found["title:Battlestar Galactica (2003)"]["rating_key"] == 10320
        assert found["tmdb:603"] is None
        assert found["tvdb:74205/1/99"] is None
        server.failing_sections = {1}
        status, output = await run("--url", server.url, "--token", TOKEN, "--json")
        assert status == 1
        assert [s["error"] is None for s in json.loads(output)["sections"]] == [True, False, True]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_no_server_exits_2(
    plex_emulator: PlexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unreachable, the token refused, a URL that is no URL: exit 2, a message, no token."""
    closed = f"http://127.0.0.1:{_closed_port()}"
    for url, token, message in (
        (closed, PLEX_TOKEN, "cannot reach Plex at 127.0.0.1"),
        (plex_emulator.url, "wrong-token-123456", "Plex refused the token"),
        ("ftp://plex", PLEX_TOKEN, "the Plex URL must look like"),
    ):
        status, output = await run("--url", url, "--token", token, "--json")
        assert status == 2
        assert output == ""
        err = capsys.readouterr().err
        assert message in err
        assert token not in err


SERVER = ("--url", "http://plex:32400", "--token", "secret-token-0123")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--token", "secret-token-0123"], "--url"),
        (["--url", "http://plex:32400"], "--token"),
        (["--find", "tmdb:603"], "required"),
        ([*SERVER, "--find", "603"], "write KIND:ID"),
        ([*SERVER, "--find", "tmdb:"], "write KIND:ID"),
        ([*SERVER, "--find", "anidb:23"], "KIND is one of tmdb, tvdb, imdb, title"),
        ([*SERVER, "--find", "tmdb:abc"], "a TMDB id is a number"),
        ([*SERVER, "--find", "tmdb:0"], "a TMDB id is a number"),
        ([*SERVER, "--find", "tvdb:81189/x"], "KIND:ID[/SEASON/EPISODE]"),
        ([*SERVER, "--find", "tvdb:81189/1/2/3"], "KIND:ID[/SEASON/EPISODE]"),
        ([*SERVER, "--find", "imdb:0133093"], "an IMDb id looks like tt0133093"),
    ],
)
def test_bad_arguments_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse's exit 2 with a message saying what is wrong; TMDb is not needed."""
    with pytest.raises(SystemExit) as exited:
        main(["library", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "secret-token-0123" not in err


def test_title_forms() -> None:
    assert wanted("title:The Matrix (1999)") == Wanted(
        "title:The Matrix (1999)", "title", "The Matrix", year=1999
    )
    assert wanted("title: Face/Off ") == Wanted("title: Face/Off ", "title", "Face/Off")
    assert wanted("title:(1999)") == Wanted("title:(1999)", "title", "(1999)")
    assert wanted("imdb:TT0133093") == Wanted("imdb:TT0133093", "imdb", "tt0133093")
    assert wanted("tvdb:81189/0/12") == Wanted("tvdb:81189/0/12", "tvdb", 81189, None, 0, 12)


async def test_as_a_module(plex_emulator: PlexEmulator) -> None:
    """`python -m custom_components.videodrome.engine library` in a real process, no TMDb key."""
    env = {k: v for k, v in os.environ.items() if k != "TMDB_API_KEY"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "custom_components.videodrome.engine", "library",
        "--url", plex_emulator.url, "--token", PLEX_TOKEN, "--json", "--find", "tmdb:550",
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    report = json.loads(stdout)
    assert report["found"]["tmdb:550"]["title"] == "Fight Club"
    assert PLEX_TOKEN.encode() not in stdout + stderr
