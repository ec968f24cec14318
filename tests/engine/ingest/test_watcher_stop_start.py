"""The folder watcher stopped and started again without being made anew, and a full rescan:
what the switch "Watch ingest folders" and the button "Look through the ingest folders now"
ask of the engine. Real files, rescans only (no inotify thread), a clock the test moves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.videodrome.engine.ingest.watcher import FileState, FolderWatcher

if TYPE_CHECKING:
    from pathlib import Path

STABILITY = 10.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _watcher(folder: Path, clock: Clock, ready: list[FileState]) -> FolderWatcher:
    return FolderWatcher(
        [folder], ready.append, stability=STABILITY, use_inotify=False, clock=clock
    )


async def _settle(watcher: FolderWatcher, clock: Clock) -> None:
    await watcher.check()  # seen twice the same: stable since the first look
    clock.now += STABILITY
    await watcher.check()


async def test_stopped_it_forgets_everything_and_notices_nothing(tmp_path: Path) -> None:
    clock = Clock()
    ready_files: list[FileState] = []
    watcher = _watcher(tmp_path, clock, ready_files)
    (tmp_path / "Heat.1995.mkv").write_bytes(b"x")
    await watcher.start()
    assert (watcher.pending, watcher.last_rescan) == (1, 1000.0)
    await watcher.stop()
    assert watcher.pending == 0
    (tmp_path / "Titanic.1997.mkv").write_bytes(b"x")
    clock.now += 60
    await watcher.rescan()  # a periodic rescan that ends after the stop
    await _settle(watcher, clock)
    assert (watcher.pending, ready_files, watcher.last_rescan) == (0, [], 1000.0)


async def test_started_again_it_looks_at_every_file_anew(tmp_path: Path) -> None:
    """A file handed out before the stop is handed out again (its handling may never have
    happened); `is_handled` is what keeps a handled one from coming back."""
    clock = Clock()
    ready_files: list[FileState] = []
    watcher = _watcher(tmp_path, clock, ready_files)
    (tmp_path / "Heat.1995.mkv").write_bytes(b"x")
    await watcher.start()
    await _settle(watcher, clock)
    assert [s.path.name for s in ready_files] == ["Heat.1995.mkv"]
    await watcher.stop()
    (tmp_path / "Titanic.1997.mkv").write_bytes(b"x")
    await watcher.start()
    assert watcher.pending == 2
    await _settle(watcher, clock)
    assert sorted(s.path.name for s in ready_files) == [
        "Heat.1995.mkv",
        "Heat.1995.mkv",
        "Titanic.1997.mkv",
    ]


async def test_forgetting_what_was_handed_out_makes_a_full_rescan(tmp_path: Path) -> None:
    clock = Clock()
    ready_files: list[FileState] = []
    watcher = _watcher(tmp_path, clock, ready_files)
    (tmp_path / "Heat.1995.mkv").write_bytes(b"x")
    await watcher.start()
    await _settle(watcher, clock)
    await watcher.rescan()
    assert watcher.pending == 0, "a periodic rescan skips what was handed out, unchanged"
    watcher.forget_handed_out()
    await watcher.rescan()
    assert watcher.pending == 1
    await _settle(watcher, clock)
    assert [s.path.name for s in ready_files] == ["Heat.1995.mkv", "Heat.1995.mkv"]
