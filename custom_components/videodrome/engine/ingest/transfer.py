"""Putting a file into the library without ever losing or replacing one: hardlink, reflink, copy.

Blocking: every function here does file I/O on the calling thread, so the integration runs
them in executor jobs. Linux only (hardlinks, `ioctl(FICLONE)`, `renameat2`).

The rules come from the data-loss reports against Radarr, Sonarr, FileBot and friends:

- The source is never removed, written, truncated, renamed or chmod-ed.
- An existing destination is never replaced, not even in a race. A hardlink refuses an
  existing name by itself (EEXIST). A reflink or copy is written under a hidden temporary name
  in the destination folder (`.{name}.videodrome-{8 hex}.part`, created with O_EXCL, so Plex
  and the watcher ignore it) and published with `link()`, or `renameat2(RENAME_NOREPLACE)`
  where the filesystem has no hardlinks; both refuse an existing name atomically, so there is
  no check-then-rename window. Where neither works the transfer fails rather than risk it.
- A copy is published only when complete: flushed with fsync, as large as the source, the
  source unchanged meanwhile (size, mtime, still the same file), and with `verify_checksum`
  both hashed with SHA-256 (a size check misses zero-filled blocks, Sonarr#2770); the copy is
  hashed after its cached pages are dropped, so what is read back comes from the disk.
- Any failure, KeyboardInterrupt included, removes the temporary file, and the final name
  holds a file afterwards only if it held one before or the transfer succeeded (a failure
  after publishing, such as the folder's fsync, takes the new name away again). Folders
  created for the destination stay: removing them could pull the floor from under another
  transfer into the same new folder. A crash can still leave a temporary file behind;
  `cleanup_temporaries()` removes those, and nothing else.
"""

from __future__ import annotations

from contextlib import suppress
import ctypes
from dataclasses import dataclass
from enum import StrEnum
import errno
import fcntl
import functools
import hashlib
import logging
import os
import re
import secrets
import stat
import time
from typing import TYPE_CHECKING, Final, Literal, Protocol

from .errors import (
    DestinationExistsError,
    NoSpaceError,
    SourceChangedError,
    TransferError,
    TransferPermissionError,
    VerificationError,
)

if TYPE_CHECKING:
    from collections.abc import Buffer, Callable, Iterator
    from pathlib import Path

_LOGGER = logging.getLogger(__name__)

type Method = Literal["hardlink", "reflink", "copy"]
type Progress = Callable[[int, int], None]
type _Renameat2 = Callable[[int, bytes, int, bytes, int], int]

DEFAULT_CHUNK_SIZE: Final = 8 * 1024 * 1024
FICLONE: Final = 0x40049409  # _IOW(0x94, 9, int): share the source's extents (btrfs, XFS, ...)
AT_FDCWD: Final = -100
RENAME_NOREPLACE: Final = 1
NAME_MAX: Final = 255  # bytes in one file name on every filesystem Plex libraries live on
TEMP_PATTERN: Final = re.compile(r"\..+\.videodrome-[0-9a-f]{8}\.part", re.DOTALL)

_NO_HARDLINK: Final = frozenset(
    {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
)
_NO_REFLINK: Final = frozenset(
    {errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.ENOSYS}
)
# copy_file_range() and sendfile() are refused for some filesystem pairs, by old kernels, and
# by container seccomp profiles (EPERM); the next method copies or reports the real error.
_NO_KERNEL_COPY: Final = frozenset(
    {errno.ENOSYS, errno.EXDEV, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM}
)
_NO_NOREPLACE: Final = frozenset({errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP})
_NO_DIR_FSYNC: Final = frozenset({errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF})
_NO_SPACE: Final = frozenset({errno.ENOSPC, errno.EDQUOT})
_DENIED: Final = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_TEMP_ATTEMPTS: Final = 5
_STAGES: Final = ("copy_file_range", "sendfile", "read/write")


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


class _Digest(Protocol):
    """What the copy loop needs of a running SHA-256."""

    def update(self, data: Buffer, /) -> None:
        """Feed more bytes."""


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
    progress: Progress | None = None,
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
            checksum = _hash_path(destination, chunk_size) if verify_checksum else None
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
        _sync_folders([destination.parent, *(folder.parent for folder in created)])
    except BaseException as err:
        if published is not None:
            _unpublish(destination, published)
        if isinstance(err, OSError):
            raise _translate(
                err, f"transferring {source} to {destination}", source, destination.parent
            ) from err
        raise
    return TransferResult(
        source, destination, method, size, time.perf_counter() - started, checksum
    )


def same_content(a: Path, b: Path, *, chunk_size: int = 1024 * 1024) -> bool:
    """Whether two regular files hold the same bytes (two links to one inode at once).

    Raises OSError if either cannot be read; a folder or other non-file is never the same.
    """
    stat_a, stat_b = a.stat(), b.stat()
    if not (stat.S_ISREG(stat_a.st_mode) and stat.S_ISREG(stat_b.st_mode)):
        return False
    if (stat_a.st_dev, stat_a.st_ino) == (stat_b.st_dev, stat_b.st_ino):
        return True
    if stat_a.st_size != stat_b.st_size:
        return False
    with a.open("rb") as file_a, b.open("rb") as file_b:
        while True:
            block = file_a.read(chunk_size)
            if block != file_b.read(chunk_size):
                return False
            if not block:
                return True


def cleanup_temporaries(
    folder: Path, *, min_age: float = 24 * 3600, recursive: bool = False
) -> list[Path]:
    """Remove the temporary files a crashed transfer left in `folder`; return what went.

    Only regular files named like `.{name}.videodrome-{8 hex}.part` whose last change (mtime
    or ctime, in seconds) is at least `min_age` ago; never a symlink, a folder or any other
    name, and `min_age` keeps the temporary of a transfer still running. Best effort: a
    file that cannot be removed is logged and skipped, a missing folder yields nothing.
    """
    removed: list[Path] = []
    now = time.time()
    for path in _temporaries(folder, recursive=recursive):
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or now - max(info.st_mtime, info.st_ctime) < min_age:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as err:
            _LOGGER.warning("Could not remove the stale temporary file %s: %s", path, err)
            continue
        _LOGGER.info("Removed %s, left behind by an interrupted transfer", path)
        removed.append(path)
    return removed


def _temporaries(folder: Path, *, recursive: bool) -> Iterator[Path]:
    """The names in `folder` (and below it when recursive) matching the temporary pattern."""
    for dirpath, _folders, names in folder.walk(on_error=_log_walk_error):
        yield from (dirpath / name for name in names if TEMP_PATTERN.fullmatch(name))
        if not recursive:
            return


def _log_walk_error(err: OSError) -> None:
    """Note a folder `cleanup_temporaries` could not list."""
    _LOGGER.debug("Skipping %s while looking for temporary files: %s", err.filename, err)


def _check_source(source: Path) -> None:
    """Refuse a source that is missing or not a regular file."""
    try:
        info = source.stat()
    except OSError as err:
        raise _translate(err, f"reading {source}", source, source.parent) from err
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
            raise _translate(err, f"creating the folder {path}", source, path.parent) from err
        created.append(path)
    return created


def _hardlink(source: Path, destination: Path) -> bool:
    """Link `destination` to the source's inode; False where the filesystems cannot."""
    try:
        os.link(source, destination)
    except OSError as err:
        if err.errno == errno.EEXIST:
            raise _exists(destination) from err
        if err.errno not in _NO_HARDLINK:
            raise _translate(
                err, f"linking {source} to {destination}", source, destination.parent
            ) from err
        _LOGGER.debug("No hardlink from %s to %s (%s): reflink or copy", source, destination, err)
        return False
    return True


def _copy(
    source: Path,
    destination: Path,
    *,
    reflink: bool,
    verify: bool,
    progress: Progress | None,
    chunk_size: int,
) -> _Published:
    """Clone or copy into a temporary file beside `destination`, check it, then publish it."""
    doing = f"copying {source} to {destination}"
    source_fd = _open_source(source, destination.parent)
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
            raise _translate(err, doing, source, destination.parent) from err
        finally:
            os.close(fd)
            if not published:
                _remove_temp(temp)
    finally:
        os.close(source_fd)
    return result


def _open_source(source: Path, folder: Path) -> int:
    """Open the source for reading, leaving its atime alone where the OS lets us.

    O_NOATIME is allowed only to the file's owner; O_NONBLOCK keeps a FIFO swapped in for
    the source from blocking the open (it is then refused as not a file).
    """
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        try:
            return os.open(source, flags | os.O_NOATIME)
        except PermissionError:
            return os.open(source, flags)
    except OSError as err:
        raise _translate(err, f"opening {source}", source, folder) from err


def _fill(
    source_fd: int,
    fd: int,
    source: Path,
    *,
    reflink: bool,
    verify: bool,
    progress: Progress | None,
    chunk_size: int,
    folder: Path,
) -> _Published:
    """Put the source's bytes, mode and times into the temporary file and check them."""
    before = os.fstat(source_fd)
    if not stat.S_ISREG(before.st_mode):
        raise SourceChangedError(f"{source} was replaced by something that is not a file")
    method: Method = "copy"
    digest = hashlib.sha256() if verify else None
    if reflink and _clone(source_fd, fd, source):
        method = "reflink"
        digest = None
        copied = os.fstat(fd).st_size
        if progress is not None:
            progress(copied, before.st_size)
    else:
        _check_space(folder, before.st_size, source)
        copied = _copy_data(
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
        expected = digest.hexdigest() if digest is not None else _hash_fd(source_fd, chunk_size)
        with suppress(OSError):  # drop the cached pages: read the copy back from the disk
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        checksum = _hash_fd(fd, chunk_size)
        if checksum != expected:
            raise VerificationError(
                f"the copy of {source} differs from it (SHA-256 {checksum} instead of "
                f"{expected}); it was discarded: check the destination's disk or share"
            )
    return _Published(method, written.st_size, checksum, (written.st_dev, written.st_ino))


def _create_temp(destination: Path, source: Path) -> tuple[int, Path]:
    """Create a fresh, private temporary file beside `destination` (O_EXCL: never reused)."""
    # O_NOATIME: reading the copy back for verification must not change the atime it gets.
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOATIME
    for _ in range(_TEMP_ATTEMPTS):
        temp = destination.with_name(_temp_name(destination.name))
        try:
            return os.open(temp, flags, 0o600), temp
        except FileExistsError:
            continue
        except OSError as err:
            raise _translate(
                err, f"creating a temporary file in {temp.parent}", source, temp.parent
            ) from err
    raise TransferError(f"could not find a free temporary name in {destination.parent}")


def _temp_name(name: str) -> str:
    """`.{name}.videodrome-{8 hex}.part`, the name shortened to fit NAME_MAX bytes."""
    token = secrets.token_hex(4)
    while len(os.fsencode(temp := f".{name}.videodrome-{token}.part")) > NAME_MAX:
        name = name[:-1]
    return temp


def _remove_temp(temp: Path) -> None:
    """Remove a temporary file after a failure, never masking the failure itself."""
    try:
        temp.unlink()
    except FileNotFoundError:
        pass
    except OSError as err:
        _LOGGER.warning("Could not remove the temporary file %s: %s", temp, err)


def _clone(source_fd: int, fd: int, source: Path) -> bool:
    """Reflink the source's extents into `fd`; False where the filesystem cannot."""
    try:
        fcntl.ioctl(fd, FICLONE, source_fd)
    except OSError as err:
        if err.errno not in _NO_REFLINK:
            raise
        _LOGGER.debug("No reflink of %s (%s): copying", source, err)
        return False
    return True


def _check_space(folder: Path, size: int, source: Path) -> None:
    """Fail early, before writing, when the folder's filesystem reports too little room."""
    try:
        info = os.statvfs(folder)
    except OSError:
        return
    free = info.f_bavail * info.f_frsize
    if info.f_blocks and free < size:  # some FUSE and network filesystems report zero blocks
        raise NoSpaceError(
            f"no space left on {folder}: {source} needs {size} bytes, {free} are free; "
            "free some space there or choose another library folder"
        )


def _copy_data(
    source_fd: int,
    fd: int,
    total: int,
    *,
    chunk_size: int,
    progress: Progress | None,
    digest: _Digest | None,
) -> int:
    """Copy from the source's offset to its end; return the bytes copied.

    The kernel's zero-copy paths first (copy_file_range, then sendfile), plain read/write
    where they are refused or when hashing on the way. A kernel path reporting the end of
    the file early is confirmed by the next method, never trusted outright.
    """
    copied = 0
    stage = len(_STAGES) - 1 if digest is not None else 0
    view: memoryview | None = None
    while True:
        try:
            if stage == 0:
                count = os.copy_file_range(source_fd, fd, chunk_size)
            elif stage == 1:
                count = os.sendfile(fd, source_fd, None, chunk_size)
            else:
                if view is None:
                    view = memoryview(bytearray(chunk_size))
                count = _read_write(source_fd, fd, view, digest)
        except OSError as err:
            if stage == len(_STAGES) - 1 or err.errno not in _NO_KERNEL_COPY:
                raise
            _LOGGER.debug("%s refused (%s): trying %s", _STAGES[stage], err, _STAGES[stage + 1])
            stage += 1
            continue
        if count == 0:
            if copied < total and stage < len(_STAGES) - 1:
                stage += 1
                continue
            return copied
        copied += count
        if progress is not None:
            progress(copied, total)


def _read_write(source_fd: int, fd: int, view: memoryview, digest: _Digest | None) -> int:
    """Copy one chunk through user space, hashing it if asked; 0 at the end of the file."""
    count = os.readinto(source_fd, view)
    data = view[:count]
    if digest is not None:
        digest.update(data)
    while data:
        written = os.write(fd, data)
        if written < 1:
            raise OSError(errno.EIO, "write() accepted no bytes")
        data = data[written:]
    return count


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


def _hash_fd(fd: int, chunk_size: int) -> str:
    """The SHA-256 of an open file, read from its start."""
    digest = hashlib.sha256()
    view = memoryview(bytearray(chunk_size))
    os.lseek(fd, 0, os.SEEK_SET)
    while count := os.readinto(fd, view):
        digest.update(view[:count])
    return digest.hexdigest()


def _hash_path(path: Path, chunk_size: int) -> str:
    """The SHA-256 of a file."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return _hash_fd(fd, chunk_size)
    finally:
        os.close(fd)


def _publish(temp: Path, destination: Path, source: Path) -> None:
    """Give the finished temporary file its final name, failing if the name is taken."""
    try:
        os.link(temp, destination)
    except OSError as err:
        if err.errno == errno.EEXIST:
            raise _appeared(destination, source) from err
        if err.errno not in _NO_HARDLINK:
            raise
        _rename_noreplace(temp, destination, source)
        return
    try:
        temp.unlink()
    except OSError as err:
        _LOGGER.warning("%s is published, but its temporary %s stays: %s", destination, temp, err)


def _rename_noreplace(temp: Path, destination: Path, source: Path) -> None:
    """`renameat2(RENAME_NOREPLACE)`, for filesystems without hardlinks (FAT, exFAT, ...)."""
    rename = _renameat2()
    if rename is not None:
        old, new = os.fsencode(temp), os.fsencode(destination)
        if rename(AT_FDCWD, old, AT_FDCWD, new, RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise _appeared(destination, source)
        if code not in _NO_NOREPLACE:
            raise OSError(code, os.strerror(code), str(temp), None, str(destination))
    raise TransferError(
        f"cannot publish {destination} without risking an overwrite: its filesystem supports "
        "neither hard links nor renaming without replacing; the copy was discarded. Use a "
        "library folder on a Linux filesystem (ext4, XFS, btrfs) or a share that has hard links"
    )


@functools.cache
def _renameat2() -> _Renameat2 | None:
    """The C library's `renameat2`, or None where it lacks one."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except OSError, AttributeError:
        return None
    function.argtypes = (
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    )
    function.restype = ctypes.c_int

    def renameat2(old_dir: int, old: bytes, new_dir: int, new: bytes, flags: int) -> int:
        return int(function(old_dir, old, new_dir, new, flags))

    return renameat2


def _sync_folders(folders: list[Path]) -> None:
    """Flush the folders' entries (the new name, new folders) to disk, where supported."""
    for folder in dict.fromkeys(folders):
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as err:
            if err.errno not in _DENIED:
                raise
            continue  # a folder we may write but not list: its entries are flushed by the OS
        try:
            os.fsync(fd)
        except OSError as err:
            if err.errno not in _NO_DIR_FSYNC:
                raise
        finally:
            os.close(fd)


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


def _translate(err: OSError, doing: str, source: Path, folder: Path) -> TransferError:
    """The TransferError for an OSError, naming the paths and what to do about it."""
    where = f" ({err.filename})" if err.filename else ""
    if err.errno in _NO_SPACE:
        return NoSpaceError(
            f"no space left on {folder} while {doing}: free some space there or choose "
            "another library folder"
        )
    if err.errno == errno.EROFS:
        return TransferPermissionError(
            f"read-only filesystem{where} while {doing}: {folder} cannot be written to; "
            "remount it read-write or choose another library folder"
        )
    if err.errno in _DENIED:
        return TransferPermissionError(
            f"permission denied{where} while {doing}: the user running Home Assistant must "
            f"be able to read {source} and to create files in {folder}"
        )
    if err.errno == errno.ENOENT and not os.path.lexists(source):
        return SourceChangedError(f"{source} vanished (moved or deleted?) while {doing}")
    return TransferError(f"{doing} failed: {err.strerror or err}{where}")
