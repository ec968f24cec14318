"""Putting a file into the library without ever losing or replacing one: hardlink, reflink, copy.

Blocking: every function here does file I/O on the calling thread, so the integration runs
them in executor jobs. Linux only. The primitives are `fs.py`'s; this module is
the policy that strings them together.

The rules come from the data-loss reports against Radarr, Sonarr, FileBot and friends:

- The source is never removed, written, truncated, renamed or chmod-ed.
- An existing destination is never replaced, not even in a race. A hardlink refuses an
  existing name by itself (EEXIST). A reflink or copy is written under a hidden temporary name
  in the destination folder (`fs.create_temp()`: `.{name}.videodrome-{8 hex}.part`, created
  with O_EXCL, so Plex and the watcher ignore it) and published with `link()`, or
  `renameat2(RENAME_NOREPLACE)` where the filesystem has no hardlinks; both refuse an existing
  name atomically, so there is no check-then-rename window. Where neither works the transfer
  fails rather than risk it.
- A copy is published only when complete: flushed with fsync, as large as the source, the
  source unchanged meanwhile (size, mtime, still the same file), and with `verify_checksum`
  both hashed with SHA-256 (a size check misses zero-filled blocks, Sonarr#2770); the copy is
  hashed after its cached pages are dropped, so what is read back comes from the disk.
- Any failure, KeyboardInterrupt included, removes the temporary file, and the final name
  holds a file afterwards only if it held one before or the transfer succeeded (a failure
  after publishing, such as the folder's fsync, takes the new name away again). Folders
  created for the destination stay: removing them could pull the floor from under another
  transfer into the same new folder. A crash can still leave a temporary file behind;
  `fs.cleanup_temporaries()` removes those, and nothing else.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
import hashlib
import logging
import os
import stat
import time
from typing import TYPE_CHECKING, Final, Literal

from . import fs
from .errors import (
    DestinationExistsError,
    NoSpaceError,
    SourceChangedError,
    TransferError,
    VerificationError,
    transfer_error,
)

if TYPE_CHECKING:
    from pathlib import Path

_LOGGER = logging.getLogger(__name__)

type Method = Literal["hardlink", "reflink", "copy"]

DEFAULT_CHUNK_SIZE: Final = 8 * 1024 * 1024


class TransferMode(StrEnum):
    """How a file is put into the library; each falls back to the next one where unsupported."""

    HARDLINK = "hardlink"
    REFLINK = "reflink"
    COPY = "copy"


@dataclass(frozen=True, slots=True)
class TransferResult:
    """What `transfer()` did: the method that worked, the bytes, the time, the SHA-256."""

    source: Path
    destination: Path
    method: Method
    size: int
    seconds: float
    checksum: str | None


@dataclass(frozen=True, slots=True)
class _Published:
    """A reflink or copy now under its final name, and the inode to take away on rollback."""

    method: Method
    size: int
    checksum: str | None
    identity: tuple[int, int]


def transfer(
    source: Path,
    destination: Path,
    mode: TransferMode = TransferMode.HARDLINK,
    *,
    verify_checksum: bool = False,
    progress: fs.Progress | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> TransferResult:
    """Put `source` at `destination` (the full final path), never touching the source.

    HARDLINK falls back to REFLINK when the two paths are on different filesystems or the
    filesystem has no hardlinks, and REFLINK to COPY where cloning is unsupported. Missing
    parent folders are created (mode 0o777 minus the umask). `progress(done, total)` is
    called after each copied chunk, once for a hardlink or reflink. With `verify_checksum`
    the result carries the SHA-256 of the published file, compared with the source's for a
    reflink or copy. Raises DestinationExistsError if the name is or becomes taken, and
    other TransferError subclasses on failure; then nothing is left under the final name.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    mode = TransferMode(mode)
    started = time.perf_counter()
    _check_source(source)
    if os.path.lexists(destination):
        raise _exists(destination)
    created = _make_folders(destination.parent, source)
    published: tuple[int, int] | None = None
    try:
        if mode is TransferMode.HARDLINK and _hardlink(source, destination):
            linked = os.lstat(destination)
            published = (linked.st_dev, linked.st_ino)
            method: Method = "hardlink"
            size = linked.st_size
            checksum = fs.sha256_file(destination, chunk_size) if verify_checksum else None
            if progress is not None:
                progress(size, size)
        else:
            result = _copy(
                source,
                destination,
                reflink=mode is not TransferMode.COPY,
                verify=verify_checksum,
                progress=progress,
                chunk_size=chunk_size,
            )
            published = result.identity
            method, size, checksum = result.method, result.size, result.checksum
        fs.sync_folders([destination.parent, *(folder.parent for folder in created)])
    except BaseException as err:
        if published is not None:
            _unpublish(destination, published)
        if isinstance(err, OSError):
            raise transfer_error(
                err, f"transferring {source} to {destination}", source, destination.parent
            ) from err
        raise
    return TransferResult(
        source, destination, method, size, time.perf_counter() - started, checksum
    )


def _check_source(source: Path) -> None:
    """Refuse a source that is missing or not a regular file."""
    try:
        info = source.stat()
    except OSError as err:
        raise transfer_error(err, f"reading {source}", source, source.parent) from err
    if not stat.S_ISREG(info.st_mode):
        raise TransferError(f"{source} is not a regular file; only files can be transferred")


def _make_folders(folder: Path, source: Path) -> list[Path]:
    """Create `folder` and its missing parents (umask applies); return those created."""
    missing: list[Path] = []
    current = folder
    while not current.is_dir() and current.parent != current:
        missing.append(current)
        current = current.parent
    created: list[Path] = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError as err:
            if path.is_dir():  # created by someone else meanwhile
                continue
            raise TransferError(
                f"{path} exists but is not a folder; move it away to file {source} there"
            ) from err
        except OSError as err:
            raise transfer_error(err, f"creating the folder {path}", source, path.parent) from err
        created.append(path)
    return created


def _hardlink(source: Path, destination: Path) -> bool:
    """Link `destination` to the source's inode; False where the filesystems cannot."""
    try:
        return fs.hardlink(source, destination)
    except FileExistsError as err:
        raise _exists(destination) from err
    except OSError as err:
        doing = f"linking {source} to {destination}"
        raise transfer_error(err, doing, source, destination.parent) from err


def _copy(
    source: Path,
    destination: Path,
    *,
    reflink: bool,
    verify: bool,
    progress: fs.Progress | None,
    chunk_size: int,
) -> _Published:
    """Clone or copy into a temporary file beside `destination`, check it, then publish it."""
    doing = f"copying {source} to {destination}"
    try:
        source_fd = fs.open_for_reading(source)
    except OSError as err:
        raise transfer_error(err, f"opening {source}", source, destination.parent) from err
    try:
        fd, temp = _create_temp(destination, source)
        published = False
        try:
            result = _fill(
                source_fd,
                fd,
                source,
                reflink=reflink,
                verify=verify,
                progress=progress,
                chunk_size=chunk_size,
                folder=destination.parent,
            )
            _publish(temp, destination, source)
            published = True
        except OSError as err:
            raise transfer_error(err, doing, source, destination.parent) from err
        finally:
            os.close(fd)
            if not published:
                fs.remove_temp(temp)
    finally:
        os.close(source_fd)
    return result


def _fill(
    source_fd: int,
    fd: int,
    source: Path,
    *,
    reflink: bool,
    verify: bool,
    progress: fs.Progress | None,
    chunk_size: int,
    folder: Path,
) -> _Published:
    """Put the source's bytes, mode and times into the temporary file and check them."""
    before = os.fstat(source_fd)
    if not stat.S_ISREG(before.st_mode):
        raise SourceChangedError(f"{source} was replaced by something that is not a file")
    method: Method = "copy"
    digest = hashlib.sha256() if verify else None
    if reflink and fs.reflink(source_fd, fd):
        method = "reflink"
        digest = None
        copied = os.fstat(fd).st_size
        if progress is not None:
            progress(copied, before.st_size)
    else:
        _check_space(folder, before.st_size, source)
        copied = fs.copy_data(
            source_fd, fd, before.st_size, chunk_size=chunk_size, progress=progress, digest=digest
        )
    _check_unchanged(source, source_fd, before, copied)
    os.fchmod(fd, stat.S_IMODE(before.st_mode) & 0o777)
    os.utime(fd, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.fsync(fd)
    written = os.fstat(fd)
    if written.st_size != before.st_size:
        raise VerificationError(
            f"the copy of {source} has {written.st_size} bytes instead of {before.st_size}; "
            "it was discarded: check the destination's disk or share"
        )
    checksum = None
    if verify:
        expected = digest.hexdigest() if digest is not None else fs.sha256_fd(source_fd, chunk_size)
        with suppress(OSError):  # drop the cached pages: read the copy back from the disk
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        checksum = fs.sha256_fd(fd, chunk_size)
        if checksum != expected:
            raise VerificationError(
                f"the copy of {source} differs from it (SHA-256 {checksum} instead of "
                f"{expected}); it was discarded: check the destination's disk or share"
            )
    return _Published(method, written.st_size, checksum, (written.st_dev, written.st_ino))


def _create_temp(destination: Path, source: Path) -> tuple[int, Path]:
    """A fresh, private temporary file beside `destination` (`fs.create_temp()`)."""
    try:
        return fs.create_temp(destination)
    except FileExistsError as err:
        raise TransferError(
            f"could not find a free temporary name in {destination.parent}"
        ) from err
    except OSError as err:
        folder = destination.parent
        raise transfer_error(err, f"creating a temporary file in {folder}", source, folder) from err


def _check_space(folder: Path, size: int, source: Path) -> None:
    """Fail early, before writing, when the folder's filesystem reports too little room."""
    free = fs.free_space(folder)
    if free is not None and free < size:
        raise NoSpaceError(
            f"no space left on {folder}: {source} needs {size} bytes, {free} are free; "
            "free some space there or choose another library folder"
        )


def _check_unchanged(source: Path, source_fd: int, before: os.stat_result, copied: int) -> None:
    """Refuse a copy of a source that changed, vanished or was replaced while copying."""
    after = os.fstat(source_fd)
    if (
        copied != before.st_size
        or after.st_size != before.st_size
        or after.st_mtime_ns != before.st_mtime_ns
    ):
        raise SourceChangedError(
            f"{source} changed while it was being copied ({before.st_size} bytes before, "
            f"{after.st_size} after, {copied} copied): it is probably still being written; "
            "try again once it is complete"
        )
    try:
        now = source.stat()
    except FileNotFoundError as err:
        raise SourceChangedError(f"{source} vanished while it was being copied") from err
    if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
        raise SourceChangedError(f"{source} was replaced by another file while being copied")


def _publish(temp: Path, destination: Path, source: Path) -> None:
    """Give the finished temporary file its final name, failing if the name is taken."""
    try:
        linked = fs.hardlink(temp, destination)
    except FileExistsError as err:
        raise _appeared(destination, source) from err
    if not linked:
        _rename_noreplace(temp, destination, source)
        return
    try:
        temp.unlink()
    except OSError as err:
        _LOGGER.warning("%s is published, but its temporary %s stays: %s", destination, temp, err)


def _rename_noreplace(temp: Path, destination: Path, source: Path) -> None:
    """`renameat2(RENAME_NOREPLACE)`, for filesystems without hardlinks (FAT, exFAT, ...)."""
    try:
        renamed = fs.rename_noreplace(temp, destination)
    except FileExistsError as err:
        raise _appeared(destination, source) from err
    if not renamed:
        raise TransferError(
            f"cannot publish {destination} without risking an overwrite: its filesystem "
            "supports neither hard links nor renaming without replacing; the copy was discarded."
            " Use a library folder on a Linux filesystem (ext4, XFS, btrfs) or a share that has"
            " hard links"
        )


def _unpublish(destination: Path, identity: tuple[int, int]) -> None:
    """Take the name away again after a failure, only if it still names our inode."""
    try:
        info = os.lstat(destination)
        if (info.st_dev, info.st_ino) == identity:
            destination.unlink()
    except OSError as err:
        _LOGGER.warning("Could not undo %s after a failed transfer: %s", destination, err)


def _exists(destination: Path) -> DestinationExistsError:
    """The error for a destination that is already taken."""
    return DestinationExistsError(
        f"{destination} already exists; Videodrome never replaces a file: move or rename the "
        "existing one, or choose another name"
    )


def _appeared(destination: Path, source: Path) -> DestinationExistsError:
    """The error for a destination someone else created while the source was copied."""
    return DestinationExistsError(
        f"{destination} appeared while {source} was being copied; that file was left "
        "untouched and the copy discarded"
    )
