"""The engine's command line, a contract: field names, exit statuses, environment."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
from pathlib import Path
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.__main__ import main
from tests.engine.conftest import TMDB_BEARER, TMDB_KEY

if TYPE_CHECKING:
    from tests.emulators.tmdb import TMDbEmulator

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tmdb_env(tmdb_emulator: TMDbEmulator, monkeypatch: pytest.MonkeyPatch) -> TMDbEmulator:
    """TMDB_API_KEY and TMDB_API_URL point at the emulator."""
    monkeypatch.setenv("TMDB_API_KEY", TMDB_KEY)
    monkeypatch.setenv("TMDB_API_URL", tmdb_emulator.url)
    monkeypatch.delenv("TMDB_CACHE", raising=False)
    return tmdb_emulator


async def run(*argv: str) -> tuple[int, str]:
    """main() in a thread (it runs its own event loop), with its output captured."""
    out = io.StringIO()
    status = await asyncio.to_thread(main, list(argv), out)
    return status, out.getvalue()


def records(output: str) -> list[dict[str, Any]]:
    """One JSON object per line."""
    return [json.loads(line) for line in output.splitlines()]


async def test_identify_json(tmdb_env: TMDbEmulator) -> None:
    """One object per file with the contract's fields; exit 0 whatever the decisions."""
    status, output = await run(
        "identify", "--json", "The.Matrix.1999.mkv", "Dune.mkv", "Movie.sample.mkv"
    )
    assert status == 0
    matrix, dune, sample = records(output)
    assert matrix["decision"] == "auto"
    assert (matrix["kind"], matrix["title"], matrix["year"], matrix["tmdb_id"]) == (
        "movie", "The Matrix", 1999, 603,
    )  # fmt: skip
    assert matrix["library"] == "movies"
    assert matrix["target"] == "The Matrix (1999) {tmdb-603}/The Matrix (1999).mkv"
    assert dune["decision"] == "review"
    assert "ambiguous_without_year" in dune["reasons"]
    assert sample["decision"] == "skip"
    assert sample["reasons"] == ["sample"]


async def test_identify_readable(tmdb_env: TMDbEmulator) -> None:
    """Without --json, a line per file a person can read."""
    status, output = await run("identify", "Breaking.Bad.S01E01.mkv", "Dune.mkv")
    assert status == 0
    first, second = output.splitlines()
    assert first.startswith("auto")
    assert "Breaking Bad (2008)" in first
    assert "-> tv/Breaking Bad (2008) {tvdb-81189}/Season 01/" in first
    assert second.startswith("review")
    assert "(ambiguous_without_year" in second


async def test_threshold_and_no_ids(tmdb_env: TMDbEmulator) -> None:
    """--threshold raises the bar for auto; --no-ids leaves ids out of folder names."""
    status, output = await run(
        "identify", "--json", "--threshold", "1", "--no-ids", "Heat.1995.mkv"
    )
    assert status == 0
    (heat,) = records(output)
    assert heat["decision"] == "review"
    assert heat["target"] == "Heat (1995)/Heat (1995).mkv"


async def test_bearer_token_from_the_environment(
    tmdb_env: TMDbEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A v4 token in TMDB_API_KEY is sent as a bearer header."""
    monkeypatch.setenv("TMDB_API_KEY", TMDB_BEARER)
    status, output = await run("identify", "--json", "Heat.1995.mkv")
    assert status == 0
    assert records(output)[0]["tmdb_id"] == 949
    assert "api_key" not in tmdb_env.requests[-1].query


async def test_cache_file(
    tmdb_env: TMDbEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """TMDB_CACHE: a second run asks TMDb nothing."""
    monkeypatch.setenv("TMDB_CACHE", str(tmp_path / "cache.db"))
    await run("identify", "--json", "Heat.1995.mkv")
    asked = len(tmdb_env.requests)
    status, output = await run("identify", "--json", "Heat.1995.mkv")
    assert status == 0
    assert records(output)[0]["tmdb_id"] == 949
    assert len(tmdb_env.requests) == asked


async def test_plan(tmdb_env: TMDbEmulator, tmp_path: Path) -> None:
    """Where each file would go, and what would happen there."""
    ingest, movies, tv = tmp_path / "ingest", tmp_path / "movies", tmp_path / "tv"
    for folder in (ingest, movies, tv):
        folder.mkdir()
    new = ingest / "The.Matrix.1999.mkv"
    new.write_bytes(b"x" * 10)
    done = ingest / "Heat.1995.mkv"
    done.write_bytes(b"y" * 10)
    clash = ingest / "Alien.1979.mkv"
    clash.write_bytes(b"z" * 10)
    for name, size in (("Heat (1995) {tmdb-949}/Heat (1995).mkv", 10),
                       ("Alien (1979) {tmdb-348}/Alien (1979).mkv", 99)):  # fmt: skip
        existing = movies / name
        existing.parent.mkdir(parents=True)
        existing.write_bytes(b"e" * size)
    (ingest / "Some.Folder.2019.mkv").mkdir()
    link = ingest / "Link.To.Heat.1995.mkv"
    link.symlink_to(done)
    status, output = await run(
        "plan", "--json", "--movies-root", str(movies), "--tv-root", str(tv),
        str(new), str(done), str(clash), str(ingest / "Some.Folder.2019.mkv"), str(link),
        str(ingest / "Dune.mkv"), str(ingest / "Nothing.Known.2019.mkv"),
    )  # fmt: skip
    assert status == 0
    matrix, heat, alien, directory, symlink, dune, unknown = records(output)
    assert matrix["action"] == "transfer"
    assert matrix["destination"] == str(
        movies / "The Matrix (1999) {tmdb-603}" / "The Matrix (1999).mkv"
    )
    assert (heat["action"], heat["plan_reasons"]) == ("skip", ["already_ingested"])
    assert (alien["action"], alien["plan_reasons"]) == ("review", ["destination_exists"])
    assert (directory["decision"], directory["reasons"]) == ("skip", ["is_directory"])
    assert (symlink["decision"], symlink["reasons"]) == ("skip", ["is_symlink"])
    assert directory["action"] == symlink["action"] == "none"
    assert dune["action"] == "review"
    assert unknown["action"] == "none"
    assert new.read_bytes() == b"x" * 10  # plan never touches a file


async def test_plan_readable(tmdb_env: TMDbEmulator, tmp_path: Path) -> None:
    """The readable plan names the destination and the action."""
    status, output = await run(
        "plan", "--movies-root", str(tmp_path / "m"), "--tv-root", str(tmp_path / "t"),
        "Breaking.Bad.S01E01.mkv",
    )  # fmt: skip
    assert status == 0
    assert f"-> {tmp_path / 't'}/Breaking Bad (2008) {{tvdb-81189}}/Season 01/" in output
    assert output.rstrip().endswith("[transfer]")


async def test_rejected_key_exits_1(
    tmdb_env: TMDbEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key TMDb refuses: exit 1 and a message without the key."""
    monkeypatch.setenv("TMDB_API_KEY", "not-the-key-12345")
    status, output = await run("identify", "The.Matrix.1999.mkv")
    assert status == 1
    assert output == ""
    error = capsys.readouterr().err
    assert "rejected" in error
    assert "not-the-key-12345" not in error


async def test_tmdb_failing_is_one_warning_not_one_per_file(
    tmdb_env: TMDbEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Every file says `tmdb_unavailable`; the log says once that TMDb is unavailable."""
    tmdb_env.faults.malformed_next = 1000  # not retried: quick
    names = ("The.Matrix.1999.mkv", "Heat.1995.mkv", "Alien.1979.mkv")
    status, output = await run("identify", "--json", *names)
    assert status == 0
    assert [r["reasons"] for r in records(output)] == [["tmdb_unavailable"]] * len(names)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        "TMDb is unavailable: TMDb sent something that is not JSON for search/movie"
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["identify", "x.mkv"], "TMDB_API_KEY"),
        (["identify"], "required"),
        (["frobnicate", "x.mkv"], "invalid choice"),
        (["identify", "--threshold", "2", "x.mkv"], "between 0 and 1"),
        (["identify", "--threshold", "high", "x.mkv"], "not a number"),
        (["plan", "x.mkv"], "required"),
    ],
)
def test_bad_arguments_exit_2(
    argv: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """argparse's exit 2 with a message saying what is wrong."""
    monkeypatch.delenv("TMDB_API_KEY", raising=False)
    if argv != ["identify", "x.mkv"]:
        monkeypatch.setenv("TMDB_API_KEY", "k")
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


async def test_as_a_module(tmdb_env: TMDbEmulator) -> None:
    """`python -m custom_components.videodrome.engine identify --json` in a real process."""
    env = {**os.environ, "TMDB_API_KEY": TMDB_KEY, "TMDB_API_URL": tmdb_env.url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "custom_components.videodrome.engine", "identify", "--json",
        "Blade.Runner.2049.1080p.mkv",
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    (record,) = records(stdout.decode())
    assert (record["tmdb_id"], record["decision"]) == (335984, "auto")
