"""Disk and filesystem faults: clear errors, nothing lost, nothing half-written, retriable.

Full disk, read-only library and permission denied run twice: for real where this machine
allows it (a small tmpfs in a private mount namespace; a process that cannot ignore
permissions), skipped with the reason where it does not, and always with the error injected
at the syscall seam; the report names the mechanism. A source vanishing mid-copy and a
destination created by someone else mid-transfer run in this process on real files, the
event made to happen at the exact moment from inside the copy.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
import pytest

from custom_components.videodrome.engine.ingest import transfer as transfer_module
from custom_components.videodrome.engine.ingest.errors import DestinationExistsError
from custom_components.videodrome.engine.ingest.plan import DESTINATION_EXISTS
from custom_components.videodrome.engine.ingest.transfer import TransferMode
from custom_components.videodrome.engine.store.database import Store
from custom_components.videodrome.engine.store.items import ItemStatus
from tests.emulators.tmdb import TMDbEmulator
from tests.reliability.crash_driver import TMDB_KEY, make_service
from tests.reliability.disk_faults import (
    HEAT,
    HEAT_SUBTITLE,
    HEAT_SUBTITLE_TARGET,
    HEAT_TARGET,
    INJECTED,
    MOUNTED,
    NEEDS,
    NO_DAC_OVERRIDE,
    PARASITE,
    PARASITE_TARGET,
    UNAVAILABLE,
    InjectedDisk,
    Lab,
    command,
    run,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from tests.emulators.server import Emulators

    Scenario = Callable[[str, str], Awaitable[dict[str, Any]]]  # a scenario's name, mechanism


@pytest.fixture
async def tmdb(emulators: Emulators) -> TMDbEmulator:
    """The TMDb emulator on loopback."""
    return await emulators.start(TMDbEmulator(api_key=TMDB_KEY))


@pytest.fixture
def scenario(
    tmp_path: Path, tmdb: TMDbEmulator, monkeypatch: pytest.MonkeyPatch, record_property: Any
) -> Scenario:
    """Runs a scenario for real (in a subprocess) or injected (here); returns its report."""

    async def run_scenario(name: str, mechanism: str) -> dict[str, Any]:
        root = tmp_path / "lab"
        if mechanism == INJECTED:
            report = await run(name, Lab(root), InjectedDisk(monkeypatch.setattr), tmdb.url)
        else:
            try:
                process = await asyncio.create_subprocess_exec(
                    *command(name, root, tmdb.url), stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
            except FileNotFoundError as missing:  # no unshare or setpriv here
                pytest.skip(
                    f"{name} cannot be made for real here ({missing}); the injected one ran"
                )
            async with asyncio.timeout(200):
                out, stderr = await process.communicate()
            if process.returncode == UNAVAILABLE:
                pytest.skip(f"{name} cannot be made for real here ({stderr.decode().strip()}); "
                            "the injected variant ran instead")  # fmt: skip
            assert process.returncode == 0, stderr.decode()
            report = orjson.loads(out)
        assert report["mechanism"] == mechanism
        record_property("mechanism", mechanism)
        return report

    return run_scenario


def expected_library(report: dict[str, Any]) -> dict[str, str]:
    """The library an undisturbed ingest makes: each target holds its source's bytes."""
    sources = report["before"]["sources"]
    return {
        HEAT_TARGET: sources[HEAT],
        HEAT_SUBTITLE_TARGET: sources[HEAT_SUBTITLE],
        PARASITE_TARGET: sources[PARASITE],
    }


def assert_nothing_lost(report: dict[str, Any], step: dict[str, Any]) -> None:
    """Sources byte-identical, other people's files intact, no temporary left."""
    assert step["sources"] == report["before"]["sources"]
    assert step["others"]["notes.txt"] == report["before"]["others"]["notes.txt"]
    assert step["temporaries"] == []
    library = expected_library(report)
    for path, digest in step["library"].items():  # nothing partial under a final name
        assert library[path] == digest, path


def assert_failed(outcome: dict[str, Any], *phrases: str) -> None:
    """Failed, the same error stored on the item, saying what happened and what to do."""
    assert outcome["status"] == outcome["item_status"] == ItemStatus.FAILED
    assert outcome["error"] == outcome["item_error"]
    for phrase in phrases:
        assert phrase in outcome["error"]


def assert_retried(report: dict[str, Any]) -> None:
    """Once the fault is gone, ingesting again files everything, byte for byte."""
    retry = report["retry"]
    assert {o["item_status"] for o in retry["outcomes"].values()} == {ItemStatus.INGESTED}
    assert retry["library"] == expected_library(report)
    assert_nothing_lost(report, retry)


MECHANISMS = {
    "full_disk_before": (MOUNTED, INJECTED),
    "full_disk_during": (MOUNTED, INJECTED),
    "read_only": (MOUNTED, INJECTED),
    "permission_denied": (NO_DAC_OVERRIDE, INJECTED),
}


def test_every_scenario_has_a_real_mechanism() -> None:
    assert {name: mechanisms[0] for name, mechanisms in MECHANISMS.items()} == NEEDS


@pytest.mark.parametrize("mechanism", MECHANISMS["full_disk_before"], ids=("real", "injected"))
@pytest.mark.timeout(240)  # the real variant starts a Python process, slow on a busy machine
async def test_full_disk_refused_before_writing(mechanism: str, scenario: Scenario) -> None:
    """2 MiB free: the 1 MiB movie goes in, the 3 MiB one is refused before a byte is written."""
    report = await scenario("full_disk_before", mechanism)
    assert report["raised"]["type"] == "NoSpaceError"
    assert "needs 3145728 bytes" in report["raised"]["message"]
    fault = report["fault"]
    assert_failed(fault["outcomes"][HEAT], "no space left on", "free some space")
    assert fault["outcomes"][PARASITE]["item_status"] == ItemStatus.INGESTED
    assert fault["library"] == {PARASITE_TARGET: report["before"]["sources"][PARASITE]}
    assert_nothing_lost(report, fault)
    assert_retried(report)


@pytest.mark.parametrize("mechanism", MECHANISMS["full_disk_during"], ids=("real", "injected"))
@pytest.mark.timeout(240)  # the real variant starts a Python process, slow on a busy machine
async def test_full_disk_while_copying(mechanism: str, scenario: Scenario) -> None:
    """Someone else fills the disk while we copy: ENOSPC mid-copy, the copy discarded."""
    report = await scenario("full_disk_during", mechanism)
    assert report["raised"]["type"] == "NoSpaceError"
    assert "while copying" in report["raised"]["message"]  # mid-copy, not the early check
    fault = report["fault"]
    for outcome in fault["outcomes"].values():
        assert_failed(outcome, "no space left on", "free some space")
    assert any("while copying" in o["error"] for o in fault["outcomes"].values())
    assert fault["library"] == {}
    assert_nothing_lost(report, fault)
    assert_retried(report)


@pytest.mark.parametrize("mechanism", MECHANISMS["read_only"], ids=("real", "injected"))
@pytest.mark.timeout(240)  # the real variant starts a Python process, slow on a busy machine
async def test_read_only_library(mechanism: str, scenario: Scenario) -> None:
    """A read-only library: said so (not "permission denied"), nothing written, retriable."""
    report = await scenario("read_only", mechanism)
    assert report["raised"]["type"] == "TransferPermissionError"
    assert "read-only filesystem" in report["raised"]["message"]
    fault = report["fault"]
    for outcome in fault["outcomes"].values():
        assert_failed(outcome, "read-only filesystem", "remount it read-write")
    assert fault["library"] == {}
    assert_nothing_lost(report, fault)
    assert_retried(report)


@pytest.mark.parametrize("mechanism", MECHANISMS["permission_denied"], ids=("real", "injected"))
@pytest.mark.timeout(240)  # the real variant starts a Python process, slow on a busy machine
async def test_permission_denied(mechanism: str, scenario: Scenario, tmp_path: Path) -> None:
    """A folder we may not write, then a source we may not read: named, nothing lost."""
    report = await scenario("permission_denied", mechanism)
    assert report["raised"]["type"] == "TransferPermissionError"
    assert "permission denied" in report["raised"]["message"]
    fault = report["fault"]
    for outcome in fault["outcomes"].values():
        assert_failed(outcome, "permission denied", "to create files in", "/library/movies")
    assert fault["library"] == {}
    assert_nothing_lost(report, fault)
    assert report["unreadable_raised"]["type"] == "TransferPermissionError"
    assert (
        f"while opening {tmp_path}/lab/ingest/{PARASITE}" in report["unreadable_raised"]["message"]
    )
    unreadable = report["unreadable"]
    assert_failed(unreadable["outcomes"][PARASITE], "permission denied", "must be able to read")
    assert unreadable["outcomes"][HEAT]["item_status"] == ItemStatus.INGESTED
    assert set(unreadable["library"]) == {HEAT_TARGET, HEAT_SUBTITLE_TARGET}
    assert_nothing_lost(report, unreadable)
    assert_retried(report)


# --- a source that vanishes, a destination that appears (in this process) ----------------------


class Here:
    """A lab ingested in this process, with hooks into the copy."""

    def __init__(self, root: Path, tmdb: TMDbEmulator) -> None:
        self.lab = Lab(root)
        self.lab.create()
        self.lab.prepare_library()
        self.before = self.lab.state()
        self.tmdb = tmdb

    async def ingest(self, mode: str) -> dict[str, Any]:
        return await self.lab.ingest_all(mode, self.tmdb.url)

    def report(self, step: dict[str, Any]) -> dict[str, Any]:
        return {"before": self.before, "retry": step}


def during_copy(monkeypatch: pytest.MonkeyPatch, source: Path, event: Any) -> None:
    """Run `event()` once, after the first chunk of `source` has been copied."""
    real = os.copy_file_range
    fired = False

    def copy_file_range(src: int, dst: int, count: int, *args: Any) -> int:
        nonlocal fired
        copied = real(src, dst, min(count, 256 * 1024), *args)
        if not fired and os.fstat(src).st_ino == source_inode:
            fired = True
            event()
        return copied

    source_inode = source.stat().st_ino
    monkeypatch.setattr(os, "copy_file_range", copy_file_range)


@pytest.mark.parametrize("how", ["deleted", "moved away"])
async def test_source_vanishing_mid_copy(
    how: str, tmp_path: Path, tmdb: TMDbEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The download client deletes or moves the file while we copy it: failed, retriable."""
    here = Here(tmp_path, tmdb)
    source = here.lab.ingest / HEAT
    content = source.read_bytes()
    elsewhere = tmp_path / "elsewhere.mkv"

    def vanish() -> None:
        if how == "deleted":
            source.unlink()
        else:
            source.rename(elsewhere)

    during_copy(monkeypatch, source, vanish)
    fault = await here.ingest("copy")
    assert_failed(fault["outcomes"][HEAT], "vanished", str(source))
    assert fault["outcomes"][PARASITE]["item_status"] == ItemStatus.INGESTED
    assert set(fault["library"]) == {PARASITE_TARGET}  # nothing under Heat's final name
    assert fault["temporaries"] == []
    assert fault["others"] == here.before["others"]
    if how == "moved away":
        assert elsewhere.read_bytes() == content  # where it went, untouched
        elsewhere.rename(source)
    else:
        source.write_bytes(content)  # the download comes back
    monkeypatch.undo()
    retry = await here.ingest("copy")
    assert retry["outcomes"][HEAT]["item_status"] == ItemStatus.INGESTED
    assert_retried(here.report(retry))


@pytest.mark.parametrize("mode", ["copy", "nolink", "hardlink"])
async def test_destination_created_by_someone_else_mid_transfer(
    mode: str, tmp_path: Path, tmdb: TMDbEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program writes the final name during our transfer: theirs stays, ours goes.

    copy: after our temporary is complete, before publishing (link); nolink: the same where
    hard links are refused (renameat2 RENAME_NOREPLACE); hardlink: between our check and
    our link. The item fails with the reason, is queued for review when seen again (the name
    is taken), and goes in once their file is moved away.
    """
    here = Here(tmp_path, tmdb)
    theirs = b"another program's file"
    target = here.lab.library / HEAT_TARGET

    def appear() -> None:
        if not target.exists():
            target.write_bytes(theirs)

    hook = "_hardlink" if mode == "hardlink" else "_publish"
    real = getattr(transfer_module, hook)

    def racing(source: Path, destination: Path, *args: Any) -> Any:
        if destination == target:
            appear()
        return real(source, destination, *args)

    monkeypatch.setattr(transfer_module, hook, racing)
    if mode == "nolink":

        def no_hard_links(source: Any, *_args: Any, **_kwargs: Any) -> None:
            raise PermissionError(1, "Operation not permitted", str(source))  # FAT, exFAT

        monkeypatch.setattr(os, "link", no_hard_links)
    transfer_mode = TransferMode.COPY if mode == "copy" else TransferMode.HARDLINK
    with pytest.raises(DestinationExistsError, match=r"left untouched|already exists"):
        transfer_module.transfer(here.lab.ingest / HEAT, target, transfer_mode)
    assert target.read_bytes() == theirs
    target.unlink()
    fault = await here.ingest(mode)
    outcome = fault["outcomes"][HEAT]
    assert_failed(outcome, str(target))
    assert "left untouched" in outcome["error"] or "already exists" in outcome["error"]
    assert target.read_bytes() == theirs  # never overwritten
    assert fault["temporaries"] == []
    assert fault["sources"] == here.before["sources"]
    monkeypatch.undo()
    seen_again = await here.ingest(mode)
    assert seen_again["outcomes"][HEAT]["item_status"] == ItemStatus.REVIEW
    assert target.read_bytes() == theirs
    store = Store(here.lab.store_path)
    try:
        (queued,) = store.review_queue()
        assert DESTINATION_EXISTS in queued.reasons
        shutil.move(target, tmp_path / "theirs.bin")  # the person moves their file away
        async with aiohttp.ClientSession() as session:
            service = make_service(
                here.lab.root, session, store, tmdb.url, mode, library=here.lab.library
            )
            approved = await service.approve(queued.id)
    finally:
        store.close()
    assert approved.status == ItemStatus.INGESTED
    assert (tmp_path / "theirs.bin").read_bytes() == theirs
    after = here.lab.state()
    assert after["library"] == expected_library(here.report(after))
    assert_nothing_lost(here.report(after), after)
