"""Transfers on real files: every method and fallback, and no failure that loses or replaces one.

Failures the local filesystem cannot produce (ENOSPC, EXDEV, no hardlinks, a refused
`copy_file_range`) are injected by patching `os`; everything else happens on disk in tmp_path.
The `source` fixture checks after each test that the source was neither modified nor moved.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
import errno
import fcntl
import hashlib
import logging
import os
from pathlib import Path
import secrets
import stat
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.videodrome.engine.ingest import fs as fs_module, transfer as transfer_module
from custom_components.videodrome.engine.ingest.errors import (
    DestinationExistsError,
    NoSpaceError,
    SourceChangedError,
    TransferError,
    TransferPermissionError,
    VerificationError,
)
from custom_components.videodrome.engine.ingest.fs import (
    FICLONE,
    TEMP_PATTERN,
    cleanup_temporaries,
    same_content,
)
from custom_components.videodrome.engine.ingest.transfer import TransferMode, transfer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

SIZE = 1024 * 1024 + 123  # not a multiple of the chunk size
CHUNK = 64 * 1024
MTIME_NS = 1_500_000_000_987_654_321
ATIME_NS = 1_600_000_000_123_456_789
_real_link = os.link
_real_open = os.open
_real_fsync = os.fsync
_real_write = os.write


@dataclass(frozen=True, slots=True)
class Source:
    """The source file and the bytes it must still hold after the test."""

    path: Path
    data: bytes

    @property
    def library(self) -> Path:
        """The library folder beside the downloads folder."""
        return self.path.parent.parent / "library"


def _random_bytes(seed: int, size: int) -> bytes:
    """Incompressible, repeatable bytes."""
    return hashlib.shake_256(seed.to_bytes(4)).digest(size)


def _snapshot(path: Path) -> tuple[int, ...]:
    info = path.stat()
    return (info.st_dev, info.st_ino, info.st_mode, info.st_size, info.st_mtime_ns, info.st_uid)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Source]:
    """A 1 MiB source with a known mtime and mode; unchanged after the test, or it fails."""
    path = tmp_path / "downloads" / "Movie.2020.1080p.mkv"
    path.parent.mkdir()
    data = _random_bytes(2020, SIZE)
    path.write_bytes(data)
    path.chmod(0o640)
    os.utime(path, ns=(ATIME_NS, MTIME_NS))
    before = _snapshot(path)
    yield Source(path, data)
    assert _snapshot(path) == before
    assert path.read_bytes() == data


def _temporaries(folder: Path) -> list[Path]:
    """Every temporary file left anywhere below `folder`."""
    return [path for path in folder.rglob("*") if ".videodrome-" in path.name]


def _fail(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    code: int,
    when: Callable[..., bool] = lambda *args, **kwargs: True,
) -> list[tuple[Any, ...]]:
    """Make `os.<name>` raise OSError(code) whenever `when(*args)` holds; record the calls."""
    real = getattr(os, name)
    calls: list[tuple[Any, ...]] = []

    def fake(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if when(*args, **kwargs):
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, fake)
    return calls


def _is_temp(path: object) -> bool:
    return TEMP_PATTERN.fullmatch(Path(str(path)).name) is not None


def _is_directory_fd(fd: int) -> bool:
    return stat.S_ISDIR(os.fstat(fd).st_mode)


def _check_copy(source: Source, destination: Path) -> None:
    """The destination is an independent copy with the source's bytes, mode and times."""
    info = destination.stat()
    assert destination.read_bytes() == source.data
    assert info.st_ino != source.path.stat().st_ino
    assert info.st_mtime_ns == MTIME_NS
    assert info.st_atime_ns == ATIME_NS
    assert stat.S_IMODE(info.st_mode) == 0o640
    assert _temporaries(destination.parent) == []


# --- Each mode --------------------------------------------------------------------------------


def test_hardlink_shares_the_inode(source: Source) -> None:
    destination = source.library / "Movie (2020)" / "Movie (2020).mkv"
    seen: list[tuple[int, int]] = []
    result = transfer(source.path, destination, progress=lambda *done: seen.append(done))
    assert result.method == "hardlink"
    assert (result.source, result.destination, result.size) == (source.path, destination, SIZE)
    assert result.checksum is None
    assert result.seconds >= 0
    assert destination.stat().st_ino == source.path.stat().st_ino
    assert destination.stat().st_mtime_ns == MTIME_NS
    assert seen == [(SIZE, SIZE)]


def test_hardlink_with_checksum(source: Source) -> None:
    destination = source.library / "Movie.mkv"
    result = transfer(source.path, destination, TransferMode.HARDLINK, verify_checksum=True)
    assert result.checksum == hashlib.sha256(source.data).hexdigest()


def test_copy_is_independent_and_keeps_mode_and_times(source: Source) -> None:
    destination = source.library / "Movie (2020)" / "Movie (2020).mkv"
    seen: list[tuple[int, int]] = []
    result = transfer(
        source.path,
        destination,
        TransferMode.COPY,
        progress=lambda *done: seen.append(done),
        chunk_size=CHUNK,
    )
    assert result.method == "copy"
    assert result.size == SIZE
    assert result.checksum is None
    _check_copy(source, destination)
    assert [total for _, total in seen] == [SIZE] * len(seen)
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})
    assert seen[-1] == (SIZE, SIZE)
    assert len(seen) == SIZE // CHUNK + 1


def test_copy_mode_given_as_a_string(source: Source) -> None:
    result = transfer(source.path, source.library / "Movie.mkv", "copy")  # type: ignore[arg-type]
    assert result.method == "copy"


def test_copy_with_checksum(source: Source) -> None:
    destination = source.library / "Movie.mkv"
    result = transfer(source.path, destination, TransferMode.COPY, verify_checksum=True)
    assert result.checksum == hashlib.sha256(source.data).hexdigest()
    _check_copy(source, destination)


def test_copy_of_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.srt"
    empty.touch()
    result = transfer(empty, tmp_path / "out" / "empty.srt", TransferMode.COPY)
    assert (result.size, result.method) == (0, "copy")
    assert (tmp_path / "out" / "empty.srt").read_bytes() == b""


def test_copy_of_20_mb_is_byte_identical(tmp_path: Path) -> None:
    big = tmp_path / "big.mkv"
    data = _random_bytes(20, 20 * 1024 * 1024 + 7)
    big.write_bytes(data)
    destination = tmp_path / "library" / "big.mkv"
    result = transfer(big, destination, TransferMode.COPY, verify_checksum=True)
    assert result.size == len(data)
    assert destination.read_bytes() == data
    assert result.checksum == hashlib.sha256(data).hexdigest()


def test_reflink_where_unsupported_copies(source: Source) -> None:
    """tmp_path is ext4 or overlayfs here, without FICLONE; on btrfs or XFS it would clone."""
    destination = source.library / "Movie.mkv"
    result = transfer(source.path, destination, TransferMode.REFLINK)
    assert result.method in {"reflink", "copy"}
    _check_copy(source, destination)


@pytest.mark.parametrize(
    "code", [errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.ENOSYS]
)
def test_reflink_refused_falls_back_to_copy(
    source: Source, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    calls: list[int] = []

    def refuse(fd: int, request: int, arg: int) -> int:
        calls.append(request)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(fcntl, "ioctl", refuse)
    destination = source.library / "Movie.mkv"
    result = transfer(source.path, destination, TransferMode.REFLINK, verify_checksum=True)
    assert calls == [FICLONE]
    assert result.method == "copy"
    assert result.checksum == hashlib.sha256(source.data).hexdigest()
    _check_copy(source, destination)


def _fake_clone(monkeypatch: pytest.MonkeyPatch) -> None:
    """An `ioctl(FICLONE)` that succeeds, by copying the bytes (the result is the same)."""

    def clone(fd: int, request: int, source_fd: int) -> int:
        assert request == FICLONE
        os.write(fd, os.pread(source_fd, SIZE + 1, 0))
        return 0

    monkeypatch.setattr(fcntl, "ioctl", clone)


def test_reflink_clones(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_clone(monkeypatch)
    seen: list[tuple[int, int]] = []
    destination = source.library / "Movie.mkv"
    result = transfer(
        source.path,
        destination,
        TransferMode.REFLINK,
        verify_checksum=True,
        progress=lambda *done: seen.append(done),
    )
    assert result.method == "reflink"
    assert result.checksum == hashlib.sha256(source.data).hexdigest()
    assert seen == [(SIZE, SIZE)]
    _check_copy(source, destination)


def test_reflink_without_checksum_or_progress(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_clone(monkeypatch)
    result = transfer(source.path, source.library / "Movie.mkv", TransferMode.REFLINK)
    assert (result.method, result.checksum) == ("reflink", None)


def test_reflink_io_error_is_not_a_fallback(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(fd: int, request: int, arg: int) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(fcntl, "ioctl", broken)
    destination = source.library / "Movie.mkv"
    with pytest.raises(TransferError, match="Input/output error"):
        transfer(source.path, destination, TransferMode.REFLINK)
    assert not destination.exists()
    assert _temporaries(source.library) == []


def test_chunk_size_must_be_positive(source: Source) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        transfer(source.path, source.library / "x.mkv", chunk_size=0)
    assert not source.library.exists()


# --- Hardlink fallbacks -----------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP])
def test_hardlink_falls_back_to_copy(
    source: Source, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    calls = _fail(monkeypatch, "link", code, lambda src, dst: Path(src) == source.path)
    destination = source.library / "Movie.mkv"
    result = transfer(source.path, destination, TransferMode.HARDLINK)
    assert result.method == "copy"
    assert len(calls) == 2  # the source once, then the finished temporary file
    _check_copy(source, destination)


def test_hardlink_falls_back_to_reflink_first(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "link", errno.EXDEV, lambda src, dst: Path(src) == source.path)
    _fake_clone(monkeypatch)
    result = transfer(source.path, source.library / "Movie.mkv")
    assert result.method == "reflink"


def test_hardlink_race_lost_is_destination_exists(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "link", errno.EEXIST)
    with pytest.raises(DestinationExistsError, match="already exists"):
        transfer(source.path, source.library / "Movie.mkv")


@pytest.mark.parametrize(
    ("code", "error"),
    [(errno.EACCES, TransferPermissionError), (errno.ENOSPC, NoSpaceError), (errno.EIO, None)],
)
def test_hardlink_errors_are_not_fallbacks(
    source: Source, monkeypatch: pytest.MonkeyPatch, code: int, error: type[Exception] | None
) -> None:
    _fail(monkeypatch, "link", code)
    with pytest.raises(error or TransferError) as caught:
        transfer(source.path, source.library / "Movie.mkv")
    assert str(source.path) in str(caught.value)
    assert not (source.library / "Movie.mkv").exists()


# --- Never replace a destination --------------------------------------------------------------


@pytest.mark.parametrize("mode", list(TransferMode))
def test_existing_destination_is_never_replaced(source: Source, mode: TransferMode) -> None:
    destination = source.library / "Movie.mkv"
    destination.parent.mkdir()
    destination.write_bytes(b"the film already in the library")
    with pytest.raises(DestinationExistsError, match="never replaces"):
        transfer(source.path, destination, mode)
    assert destination.read_bytes() == b"the film already in the library"
    assert _temporaries(source.library) == []


def test_dangling_symlink_destination_is_never_replaced(source: Source) -> None:
    destination = source.library / "Movie.mkv"
    destination.parent.mkdir()
    destination.symlink_to(source.library / "nowhere.mkv")
    with pytest.raises(DestinationExistsError):
        transfer(source.path, destination, TransferMode.COPY)
    assert destination.is_symlink()
    assert not (source.library / "nowhere.mkv").exists()


def test_source_as_its_own_destination(source: Source) -> None:
    with pytest.raises(DestinationExistsError):
        transfer(source.path, source.path, TransferMode.COPY)


def _create_midway(destination: Path, after: int) -> Callable[[int, int], None]:
    """A progress callback that creates `destination` once `after` bytes are copied."""

    def progress(done: int, total: int) -> None:
        if done >= after and not destination.exists():
            destination.write_bytes(b"someone else's file")

    return progress


def test_destination_created_during_the_copy(source: Source) -> None:
    destination = source.library / "Movie.mkv"
    with pytest.raises(DestinationExistsError, match="appeared while"):
        transfer(
            source.path,
            destination,
            TransferMode.COPY,
            progress=_create_midway(destination, SIZE // 2),
            chunk_size=CHUNK,
        )
    assert destination.read_bytes() == b"someone else's file"
    assert _temporaries(source.library) == []


# --- Failures leave nothing behind ------------------------------------------------------------


def _nothing_left(source: Source) -> None:
    assert not (source.library / "Movie.mkv").exists()
    assert _temporaries(source.library) == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_no_space_during_kernel_copy(
    source: Source, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    _fail(monkeypatch, "copy_file_range", code)
    with pytest.raises(NoSpaceError, match=f"no space left on {source.library}"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    _nothing_left(source)


def test_no_space_during_write(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    writes = _fail(monkeypatch, "write", errno.ENOSPC)
    with pytest.raises(NoSpaceError, match="free some space"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY, verify_checksum=True)
    assert writes
    _nothing_left(source)


def test_no_space_reported_before_writing(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.statvfs(source.path.parent)

    class Full:
        f_blocks = real.f_blocks
        f_bavail = 1
        f_frsize = 4096

    monkeypatch.setattr(os, "statvfs", lambda path: Full())
    copies = _fail(monkeypatch, "copy_file_range", errno.EIO)
    with pytest.raises(NoSpaceError, match=f"needs {SIZE} bytes, 4096 are free"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    assert copies == []
    _nothing_left(source)


def test_free_space_unknown_is_no_obstacle(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    class Fuse:
        f_blocks = 0
        f_bavail = 0
        f_frsize = 4096

    monkeypatch.setattr(os, "statvfs", lambda path: Fuse())
    assert transfer(source.path, source.library / "a.mkv", TransferMode.COPY).size == SIZE
    _fail(monkeypatch, "statvfs", errno.ENOSYS)
    assert transfer(source.path, source.library / "b.mkv", TransferMode.COPY).size == SIZE


def _permissions_enforced(folder: Path) -> bool:
    """Whether a 0o500 folder refuses us; root (CAP_DAC_OVERRIDE) ignores the mode."""
    if os.geteuid() == 0 and os.access(folder, os.W_OK):
        probe = folder / "probe"
        try:
            probe.touch()
        except PermissionError:
            return True
        probe.unlink()
        return False
    return True


def test_permission_denied_on_the_destination_folder(source: Source) -> None:
    source.library.mkdir()
    source.library.chmod(0o500)
    if not _permissions_enforced(source.library):
        source.library.chmod(0o755)
        pytest.skip("root ignores folder permissions; see the injected variants")
    try:
        with pytest.raises(TransferPermissionError, match="permission denied"):
            transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
        with pytest.raises(TransferPermissionError, match="creating the folder"):
            transfer(source.path, source.library / "Movie" / "Movie.mkv", TransferMode.COPY)
    finally:
        source.library.chmod(0o755)
    _nothing_left(source)


def test_permission_denied_injected(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail(monkeypatch, "open", errno.EACCES, lambda path, *rest: _is_temp(path))
    with pytest.raises(TransferPermissionError, match="user running Home Assistant"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    _nothing_left(source)


def test_permission_denied_creating_folders(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "mkdir", errno.EACCES)
    with pytest.raises(TransferPermissionError, match="creating the folder"):
        transfer(source.path, source.library / "Movie" / "Movie.mkv")
    assert not source.library.exists()


def test_permission_denied_reading_the_source(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "open", errno.EACCES, lambda path, *rest: Path(path) == source.path)
    with pytest.raises(TransferPermissionError, match=f"opening {source.path}"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    _nothing_left(source)


def test_keyboard_interrupt_during_copy(source: Source) -> None:
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY, progress=interrupt)
    _nothing_left(source)


def test_keyboard_interrupt_after_hardlink_takes_it_back(source: Source) -> None:
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        transfer(source.path, source.library / "Movie.mkv", progress=interrupt)
    _nothing_left(source)
    assert source.path.stat().st_nlink == 1


def test_temporary_removed_by_someone_else(source: Source) -> None:
    def remove_and_fail(done: int, total: int) -> None:
        for temp in _temporaries(source.library):
            temp.unlink()
        raise RuntimeError("progress callback failed")

    with pytest.raises(RuntimeError, match="progress callback failed"):
        transfer(
            source.path, source.library / "Movie.mkv", TransferMode.COPY, progress=remove_and_fail
        )
    _nothing_left(source)


def test_temporary_that_cannot_be_removed_is_logged(
    source: Source, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _fail(monkeypatch, "copy_file_range", errno.ENOSPC)
    _fail(monkeypatch, "unlink", errno.EBUSY, lambda path, *rest: _is_temp(path))
    with pytest.raises(NoSpaceError):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    assert "Could not remove the temporary file" in caplog.text
    assert not (source.library / "Movie.mkv").exists()


# --- The source changing ----------------------------------------------------------------------


@pytest.fixture
def moving(tmp_path: Path) -> Path:
    """A source the test changes on purpose (so not the checked `source`)."""
    path = tmp_path / "incoming" / "Show.S01E01.mkv"
    path.parent.mkdir()
    path.write_bytes(_random_bytes(1, SIZE))
    return path


def _change_midway(action: Callable[[], None]) -> Callable[[int, int], None]:
    done_once: list[bool] = []

    def progress(done: int, total: int) -> None:
        if not done_once and done >= total // 2:
            done_once.append(True)
            action()

    return progress


def test_source_growing_during_copy(moving: Path, tmp_path: Path) -> None:
    def grow() -> None:
        with moving.open("ab") as file:
            file.write(b"more data still downloading")

    destination = tmp_path / "library" / "Show.mkv"
    with pytest.raises(SourceChangedError, match="still being written"):
        transfer(
            moving, destination, TransferMode.COPY, progress=_change_midway(grow), chunk_size=CHUNK
        )
    assert not destination.exists()
    assert _temporaries(tmp_path) == []


def test_source_shrinking_during_copy(moving: Path, tmp_path: Path) -> None:
    def shrink() -> None:
        os.truncate(moving, SIZE // 2 + CHUNK)

    with pytest.raises(SourceChangedError, match="changed while"):
        transfer(
            moving,
            tmp_path / "library" / "Show.mkv",
            TransferMode.COPY,
            progress=_change_midway(shrink),
            chunk_size=CHUNK,
        )
    assert _temporaries(tmp_path) == []


def test_source_rewritten_in_place_during_copy(moving: Path, tmp_path: Path) -> None:
    def rewrite() -> None:
        with moving.open("r+b") as file:
            file.write(b"X")
        os.utime(moving, ns=(MTIME_NS, MTIME_NS + 1))

    with pytest.raises(SourceChangedError):
        transfer(
            moving,
            tmp_path / "library" / "Show.mkv",
            TransferMode.COPY,
            progress=_change_midway(rewrite),
            chunk_size=CHUNK,
        )


def test_source_deleted_during_copy(moving: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceChangedError, match="vanished"):
        transfer(
            moving,
            tmp_path / "library" / "Show.mkv",
            TransferMode.COPY,
            progress=_change_midway(moving.unlink),
            chunk_size=CHUNK,
        )
    assert not (tmp_path / "library" / "Show.mkv").exists()
    assert _temporaries(tmp_path) == []


def test_source_replaced_during_copy(moving: Path, tmp_path: Path) -> None:
    other = moving.with_name("other.mkv")

    def replace() -> None:
        other.write_bytes(moving.read_bytes())
        os.utime(other, ns=(moving.stat().st_atime_ns, moving.stat().st_mtime_ns))
        other.replace(moving)

    with pytest.raises(SourceChangedError, match="replaced by another file"):
        transfer(
            moving,
            tmp_path / "library" / "Show.mkv",
            TransferMode.COPY,
            progress=_change_midway(replace),
            chunk_size=CHUNK,
        )


def test_missing_source(tmp_path: Path) -> None:
    with pytest.raises(SourceChangedError, match="vanished"):
        transfer(tmp_path / "gone.mkv", tmp_path / "library" / "gone.mkv")
    assert not (tmp_path / "library").exists()


def test_source_must_be_a_file(tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="not a regular file"):
        transfer(tmp_path, tmp_path / "library" / "folder")


def test_unreadable_source(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail(monkeypatch, "stat", errno.EIO, lambda path, *rest, **kw: Path(path) == source.path)
    with pytest.raises(TransferError, match=f"reading {source.path} failed"):
        transfer(source.path, source.library / "Movie.mkv")
    monkeypatch.undo()


def test_source_swapped_for_a_fifo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "pipe.mkv"
    os.mkfifo(fifo)
    monkeypatch.setattr(transfer_module, "_check_source", lambda path: None)
    with pytest.raises(SourceChangedError, match="not a file"):
        transfer(fifo, tmp_path / "library" / "pipe.mkv", TransferMode.COPY)
    assert _temporaries(tmp_path) == []


# --- Verification -----------------------------------------------------------------------------


def test_corrupted_copy_fails_verification(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    def corrupt(fd: int, data: Any) -> int:
        block = bytearray(data)
        block[0] ^= 0xFF
        return _real_write(fd, block)

    monkeypatch.setattr(os, "write", corrupt)
    with pytest.raises(VerificationError, match="differs from it"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY, verify_checksum=True)
    _nothing_left(source)


def test_short_copy_fails_verification(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    def truncate_then_sync(fd: int) -> None:
        if not _is_directory_fd(fd):
            os.ftruncate(fd, 1000)
        _real_fsync(fd)

    monkeypatch.setattr(os, "fsync", truncate_then_sync)
    with pytest.raises(VerificationError, match=f"1000 bytes instead of {SIZE}"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    _nothing_left(source)


# --- Copy methods -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOSYS, errno.EXDEV, errno.EINVAL, errno.EPERM])
def test_sendfile_when_copy_file_range_is_refused(
    source: Source, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    refused = _fail(monkeypatch, "copy_file_range", code)
    sent = _fail(monkeypatch, "sendfile", 0, lambda *args: False)
    destination = source.library / "Movie.mkv"
    transfer(source.path, destination, TransferMode.COPY, chunk_size=CHUNK)
    assert len(refused) == 1
    assert len(sent) == SIZE // CHUNK + 2  # the last call finds the end
    _check_copy(source, destination)


def test_read_write_when_both_kernel_paths_are_refused(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "copy_file_range", errno.EXDEV)
    _fail(monkeypatch, "sendfile", errno.EINVAL)
    writes = _fail(monkeypatch, "write", 0, lambda *args: False)
    destination = source.library / "Movie.mkv"
    transfer(source.path, destination, TransferMode.COPY, chunk_size=CHUNK)
    assert len(writes) == SIZE // CHUNK + 1
    _check_copy(source, destination)


def test_kernel_path_reporting_an_early_end_is_not_trusted(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "copy_file_range", lambda *args, **kwargs: 0)
    destination = source.library / "Movie.mkv"
    transfer(source.path, destination, TransferMode.COPY)
    _check_copy(source, destination)


def test_short_writes_are_completed(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail(monkeypatch, "copy_file_range", errno.ENOSYS)
    _fail(monkeypatch, "sendfile", errno.ENOSYS)
    monkeypatch.setattr(os, "write", lambda fd, data: _real_write(fd, bytes(data)[:1000]))
    destination = source.library / "Movie.mkv"
    transfer(source.path, destination, TransferMode.COPY, chunk_size=CHUNK)
    _check_copy(source, destination)


def test_write_accepting_nothing_is_an_error(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "write", lambda fd, data: 0)
    with pytest.raises(TransferError, match="accepted no bytes"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY, verify_checksum=True)
    _nothing_left(source)


def test_kernel_copy_io_error_is_not_a_fallback(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "copy_file_range", errno.EIO)
    sent = _fail(monkeypatch, "sendfile", 0, lambda *args: False)
    with pytest.raises(TransferError, match=r"copying .* failed"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    assert sent == []
    _nothing_left(source)


def test_read_write_refused_is_an_error(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail(monkeypatch, "copy_file_range", errno.ENOSYS)
    _fail(monkeypatch, "sendfile", errno.ENOSYS)
    _fail(monkeypatch, "readinto", errno.EINVAL)
    with pytest.raises(TransferError, match="Invalid argument"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    _nothing_left(source)


# --- Temporary files --------------------------------------------------------------------------


def test_temporary_name_collision_takes_another(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = iter(["deadbeef", "cafef00d"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(tokens))
    source.library.mkdir()
    taken = source.library / ".Movie.mkv.videodrome-deadbeef.part"
    taken.write_bytes(b"another transfer's temporary")
    transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    assert taken.read_bytes() == b"another transfer's temporary"
    assert _temporaries(source.library) == [taken]


def test_no_free_temporary_name(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "token_hex", lambda n: "deadbeef")
    source.library.mkdir()
    (source.library / ".Movie.mkv.videodrome-deadbeef.part").touch()
    with pytest.raises(TransferError, match="free temporary name"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    assert not (source.library / "Movie.mkv").exists()


def test_temporary_name_fits_a_long_destination_name(source: Source) -> None:
    name = "é" * 120 + ".mkv"  # 244 bytes: the temporary must be shortened to 255
    seen: list[str] = []

    def look(done: int, total: int) -> None:
        seen.extend(path.name for path in _temporaries(source.library))

    transfer(source.path, source.library / name, TransferMode.COPY, progress=look)
    assert seen
    assert all(len(os.fsencode(temp)) <= 255 and TEMP_PATTERN.fullmatch(temp) for temp in seen)
    assert (source.library / name).read_bytes() == source.data


def test_temporary_is_private_while_copying(source: Source) -> None:
    modes: list[int] = []

    def look(done: int, total: int) -> None:
        modes.extend(stat.S_IMODE(path.stat().st_mode) for path in _temporaries(source.library))

    transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY, progress=look)
    assert modes
    assert set(modes) == {0o600}


# --- Publishing -------------------------------------------------------------------------------


def test_publish_by_renameat2_without_hardlinks(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "link", errno.EPERM)
    destination = source.library / "Movie.mkv"
    result = transfer(source.path, destination, TransferMode.HARDLINK, verify_checksum=True)
    assert result.method == "copy"
    assert result.checksum == hashlib.sha256(source.data).hexdigest()
    _check_copy(source, destination)


def test_renameat2_never_replaces_a_destination_created_meanwhile(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "link", errno.EPERM, lambda src, dst: _is_temp(src))
    destination = source.library / "Movie.mkv"
    with pytest.raises(DestinationExistsError, match="left untouched"):
        transfer(
            source.path,
            destination,
            TransferMode.COPY,
            progress=_create_midway(destination, SIZE),
            chunk_size=CHUNK,
        )
    assert destination.read_bytes() == b"someone else's file"
    assert _temporaries(source.library) == []


def _fake_renameat2(code: int) -> Callable[[int, bytes, int, bytes, int], int]:
    def renameat2(old_dir: int, old: bytes, new_dir: int, new: bytes, flags: int) -> int:
        assert (old_dir, new_dir, flags) == (-100, -100, 1)
        ctypes.set_errno(code)
        return -1

    return renameat2


@pytest.mark.parametrize(
    ("renameat2", "error", "message"),
    [
        (None, TransferError, "neither hard links nor renaming"),
        (_fake_renameat2(errno.EINVAL), TransferError, "without risking an overwrite"),
        (_fake_renameat2(errno.ENOSYS), TransferError, "without risking an overwrite"),
        (_fake_renameat2(errno.EACCES), TransferPermissionError, "permission denied"),
        (_fake_renameat2(errno.EIO), TransferError, "Input/output error"),
    ],
)
def test_no_safe_publish_means_no_publish(
    source: Source,
    monkeypatch: pytest.MonkeyPatch,
    renameat2: Callable[..., int] | None,
    error: type[Exception],
    message: str,
) -> None:
    _fail(monkeypatch, "link", errno.EPERM, lambda src, dst: _is_temp(src))
    monkeypatch.setattr(fs_module, "renameat2", lambda: renameat2)
    with pytest.raises(error, match=message):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    _nothing_left(source)


def test_renameat2_missing_from_the_c_library(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoRenameat2:
        def __init__(self, name: None, *, use_errno: bool) -> None:
            assert name is None
            assert use_errno

    fs_module.renameat2.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", NoRenameat2)
    try:
        assert fs_module.renameat2() is None
    finally:
        fs_module.renameat2.cache_clear()
    monkeypatch.undo()
    assert fs_module.renameat2() is not None


def test_publish_link_error(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail(monkeypatch, "link", errno.EIO, lambda src, dst: _is_temp(src))
    with pytest.raises(TransferError, match="Input/output error"):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    _nothing_left(source)


def test_temporary_left_after_publishing_is_only_logged(
    source: Source, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _fail(monkeypatch, "unlink", errno.EBUSY, lambda path, *rest: _is_temp(path))
    destination = source.library / "Movie.mkv"
    transfer(source.path, destination, TransferMode.COPY)
    assert destination.read_bytes() == source.data
    assert "is published, but its temporary" in caplog.text
    assert len(_temporaries(source.library)) == 1


# --- Flushing folders -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [TransferMode.HARDLINK, TransferMode.COPY])
def test_folder_flush_failure_takes_the_file_back(
    source: Source, monkeypatch: pytest.MonkeyPatch, mode: TransferMode
) -> None:
    _fail(monkeypatch, "fsync", errno.EIO, _is_directory_fd)
    with pytest.raises(TransferError, match="Input/output error"):
        transfer(source.path, source.library / "Movie" / "Movie.mkv", mode)
    assert not (source.library / "Movie" / "Movie.mkv").exists()
    assert _temporaries(source.library) == []
    assert source.path.stat().st_nlink == 1


def test_folder_flush_unsupported_is_fine(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    synced = _fail(monkeypatch, "fsync", errno.EINVAL, _is_directory_fd)
    transfer(source.path, source.library / "a" / "b" / "Movie.mkv", TransferMode.COPY)
    assert len(synced) == 1 + 4  # the temporary; the new folder, and the parents of the new three


def test_folder_that_cannot_be_opened(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail(monkeypatch, "open", errno.EACCES, lambda path, flags, *rest: flags & os.O_DIRECTORY)
    transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    assert (source.library / "Movie.mkv").exists()


def test_folder_open_error_takes_the_file_back(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "open", errno.EIO, lambda path, flags, *rest: flags & os.O_DIRECTORY)
    with pytest.raises(TransferError):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    _nothing_left(source)


def test_rollback_spares_a_file_that_replaced_ours(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    destination = source.library / "Movie.mkv"

    def replace_then_fail(fd: int) -> None:
        if _is_directory_fd(fd):
            other = source.library / "other.mkv"
            other.write_bytes(b"theirs")
            other.replace(destination)
            raise OSError(errno.EIO, "Input/output error")
        _real_fsync(fd)

    monkeypatch.setattr(os, "fsync", replace_then_fail)
    with pytest.raises(TransferError):
        transfer(source.path, destination, TransferMode.COPY)
    assert destination.read_bytes() == b"theirs"


def test_rollback_failure_is_logged(
    source: Source, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _fail(monkeypatch, "fsync", errno.EIO, _is_directory_fd)
    _fail(monkeypatch, "unlink", errno.EROFS, lambda path, *rest: Path(path).name == "Movie.mkv")
    with pytest.raises(TransferError):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    assert "Could not undo" in caplog.text


# --- Folders ----------------------------------------------------------------------------------


def test_parent_folders_follow_the_umask(source: Source) -> None:
    old = os.umask(0o027)
    try:
        transfer(source.path, source.library / "Show" / "Season 01" / "E01.mkv")
    finally:
        os.umask(old)
    for folder in (source.library, source.library / "Show", source.library / "Show" / "Season 01"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o750


def test_a_file_where_a_folder_should_be(source: Source) -> None:
    source.library.mkdir()
    (source.library / "Show").write_bytes(b"not a folder")
    with pytest.raises(TransferError, match="not a folder"):
        transfer(source.path, source.library / "Show" / "Season 01" / "E01.mkv")
    assert (source.library / "Show").read_bytes() == b"not a folder"


def test_folder_created_by_someone_else_meanwhile(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_mkdir = os.mkdir

    def race(path: Any, mode: int = 0o777, **kwargs: Any) -> None:
        real_mkdir(path, mode)
        raise FileExistsError(errno.EEXIST, "File exists", str(path))

    monkeypatch.setattr(os, "mkdir", race)
    destination = source.library / "Show" / "E01.mkv"
    transfer(source.path, destination)
    assert destination.exists()


# --- same_content -----------------------------------------------------------------------------


def test_same_content(tmp_path: Path) -> None:
    a, b, c, d = (tmp_path / name for name in "abcd")
    a.write_bytes(b"x" * 100 + b"1")
    b.write_bytes(b"x" * 100 + b"1")
    c.write_bytes(b"x" * 100 + b"2")
    d.write_bytes(b"x" * 100)
    assert same_content(a, b, chunk_size=7)
    assert not same_content(a, c, chunk_size=7)
    assert not same_content(a, d)
    assert same_content(a, a)
    assert not same_content(a, tmp_path)
    assert not same_content(tmp_path, tmp_path)
    (tmp_path / "e").touch()
    (tmp_path / "f").touch()
    assert same_content(tmp_path / "e", tmp_path / "f")


def test_same_content_of_hardlinks_reads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = tmp_path / "a"
    a.write_bytes(b"film")
    _real_link(a, tmp_path / "b")
    monkeypatch.setattr(Path, "open", None)
    assert same_content(a, tmp_path / "b")


def test_same_content_of_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "a").touch()
    with pytest.raises(FileNotFoundError):
        same_content(tmp_path / "a", tmp_path / "missing")


# --- cleanup_temporaries ----------------------------------------------------------------------


def test_cleanup_removes_only_old_temporaries(tmp_path: Path) -> None:
    keep = [
        "Movie.mkv",
        "Movie.mkv.part",
        ".Movie.mkv.part",
        "Movie.mkv.videodrome-deadbeef.part",
        ".Movie.mkv.videodrome-deadbeef.part.mkv",
        ".Movie.mkv.videodrome-DEADBEEF.part",
        ".Movie.mkv.videodrome-deadbee.part",
        ".videodrome-deadbeef.part",
    ]
    for name in keep:
        (tmp_path / name).write_bytes(b"keep")
    stale = tmp_path / ".Movie.mkv.videodrome-deadbeef.part"
    stale.write_bytes(b"half a film")
    (tmp_path / ".Folder.videodrome-0badf00d.part").mkdir()
    (tmp_path / ".Link.videodrome-12345678.part").symlink_to(tmp_path / "Movie.mkv")
    nested = tmp_path / "Season 01" / ".E01.mkv.videodrome-abcdef01.part"
    nested.parent.mkdir()
    nested.write_bytes(b"half an episode")

    assert cleanup_temporaries(tmp_path, min_age=3600) == []
    assert stale.exists()
    assert cleanup_temporaries(tmp_path, min_age=0) == [stale]
    assert nested.exists()
    assert cleanup_temporaries(tmp_path, min_age=0, recursive=True) == [nested]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [*keep, ".Folder.videodrome-0badf00d.part", ".Link.videodrome-12345678.part", "Season 01"]
    )
    assert (tmp_path / ".Link.videodrome-12345678.part").is_symlink()
    assert (tmp_path / "Movie.mkv").read_bytes() == b"keep"


def test_cleanup_of_a_missing_folder(tmp_path: Path) -> None:
    assert cleanup_temporaries(tmp_path / "missing", recursive=True) == []


def test_cleanup_skips_what_it_cannot_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    busy = tmp_path / ".A.videodrome-00000001.part"
    gone = tmp_path / ".B.videodrome-00000002.part"
    busy.touch()
    gone.touch()

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path) == gone:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory")
        raise OSError(errno.EBUSY, "Device or resource busy")

    monkeypatch.setattr(os, "unlink", unlink)
    with caplog.at_level(logging.WARNING):
        assert cleanup_temporaries(tmp_path, min_age=0) == []
    assert "Could not remove the stale temporary file" in caplog.text


def test_cleanup_after_an_interrupted_transfer(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between copy and publish (simulated: the temporary cannot be removed)."""
    _fail(monkeypatch, "copy_file_range", errno.ENOSPC)
    _fail(monkeypatch, "unlink", errno.EBUSY, lambda path, *rest: _is_temp(path))
    with pytest.raises(NoSpaceError):
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    monkeypatch.undo()
    left = _temporaries(source.library)
    assert len(left) == 1
    assert cleanup_temporaries(source.library, min_age=0) == left
    assert list(source.library.iterdir()) == []


# --- Error translation ------------------------------------------------------------------------


def test_missing_destination_folder_is_not_a_vanished_source(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(monkeypatch, "open", errno.ENOENT, lambda path, *rest: _is_temp(path))
    with pytest.raises(TransferError, match="No such file") as caught:
        transfer(source.path, source.library / "Movie.mkv", TransferMode.COPY)
    assert not isinstance(caught.value, SourceChangedError)
