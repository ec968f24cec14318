"""File-system primitives for filing: renames that never replace, fsync, copies, temporaries.

Blocking: every function here does file I/O on the calling thread, so the integration runs
them in executor jobs. Linux only (`ioctl(FICLONE)`, `renameat2`, `copy_file_range`).

Each function does one thing and reports failure as the OSError the kernel gave; the policy
(which method to try, what a taken name means, the message a person reads) belongs to
`transfer.py` and `organise.py`:

- `hardlink()`, `rename_noreplace()`: a new name that never replaces an existing one
  (`link()`, `renameat2(RENAME_NOREPLACE)`), refused atomically; False where the filesystem
  (or the kernel, or the C library) lacks it, so the caller picks its fallback;
- `sync_folders()`: flush folders' entries to disk, so a new name survives a power cut;
- `open_for_reading()`, `free_space()`, `reflink()`, `copy_data()`: read a file without
  touching its atime, room left on a filesystem, share a file's extents or copy its bytes
  (the kernel's zero-copy paths first);
- `sha256_fd()`, `sha256_file()`, `same_content()`: what a file holds;
- `create_temp()`, `remove_temp()`, `cleanup_temporaries()`: the hidden temporary files a
  copy is written to (`.{name}.videodrome-{8 hex}.part`, `TEMP_PATTERN`, created with
  O_EXCL, so Plex and the watcher ignore them), and removing those a crash left behind.
"""

from __future__ import annotations

import ctypes
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
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from collections.abc import Buffer, Callable, Iterable, Iterator
    from pathlib import Path

_LOGGER = logging.getLogger(__name__)

type Progress = Callable[[int, int], None]
type Renameat2 = Callable[[int, bytes, int, bytes, int], int]

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
_UNLISTABLE: Final = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_TEMP_ATTEMPTS: Final = 5
_STAGES: Final = ("copy_file_range", "sendfile", "read/write")


class _Digest(Protocol):
    """What the copy loop needs of a running SHA-256."""

    def update(self, data: Buffer, /) -> None:
        """Feed more bytes."""


def hardlink(existing: Path, new: Path) -> bool:
    """Give `existing` the further name `new` (`link()`, which never replaces one).

    False, with nothing done, where the two are on different filesystems or the filesystem
    has no hard links. Raises FileExistsError when `new` exists, OSError for other failures.
    """
    try:
        os.link(existing, new)
    except OSError as err:
        if err.errno not in _NO_HARDLINK:
            raise
        _LOGGER.debug("No hard link from %s to %s (%s)", existing, new, err)
        return False
    return True


def rename_noreplace(old: Path, new: Path) -> bool:
    """Rename `old` to `new` unless `new` exists, atomically: `renameat2(RENAME_NOREPLACE)`.

    True once renamed; False, with nothing done, where the C library, the kernel or the
    filesystem cannot (FAT, exFAT, some shares). Raises FileExistsError when `new` exists
    (a race lost: `new` is left as it was) and OSError for any other failure.
    """
    rename = renameat2()
    if rename is None:
        return False
    if rename(AT_FDCWD, os.fsencode(old), AT_FDCWD, os.fsencode(new), RENAME_NOREPLACE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_NOREPLACE:
        return False
    raise OSError(code, os.strerror(code), str(old), None, str(new))


@functools.cache
def renameat2() -> Renameat2 | None:
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

    def call(old_dir: int, old: bytes, new_dir: int, new: bytes, flags: int) -> int:
        return int(function(old_dir, old, new_dir, new, flags))

    return call


def sync_folders(folders: Iterable[Path]) -> None:
    """Flush the folders' entries (new names, new folders) to disk, where supported.

    Each folder once, in order. A folder this process may write to but not list is skipped
    (its entries are flushed by the OS); filesystems that cannot fsync a folder are too.
    """
    for folder in dict.fromkeys(folders):
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as err:
            if err.errno not in _UNLISTABLE:
                raise
            continue
        try:
            os.fsync(fd)
        except OSError as err:
            if err.errno not in _NO_DIR_FSYNC:
                raise
        finally:
            os.close(fd)


def open_for_reading(path: Path) -> int:
    """Open a file read-only, leaving its atime alone where the OS lets us; its fd.

    O_NOATIME is allowed only to the file's owner (others open without it); O_NONBLOCK
    keeps a FIFO swapped in for the file from blocking the open.
    """
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        return os.open(path, flags | os.O_NOATIME)
    except PermissionError:
        return os.open(path, flags)


def free_space(folder: Path) -> int | None:
    """The bytes an unprivileged writer may still use on `folder`'s filesystem.

    None when unknown: statvfs fails, or reports no blocks at all (some FUSE and network
    filesystems).
    """
    try:
        info = os.statvfs(folder)
    except OSError:
        return None
    return info.f_bavail * info.f_frsize if info.f_blocks else None


def reflink(source_fd: int, fd: int) -> bool:
    """Share the source's extents with `fd` (`ioctl(FICLONE)`); False where unsupported."""
    try:
        fcntl.ioctl(fd, FICLONE, source_fd)
    except OSError as err:
        if err.errno not in _NO_REFLINK:
            raise
        _LOGGER.debug("FICLONE refused (%s): copying instead", err)
        return False
    return True


def copy_data(
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
    `progress(copied, total)` is called after each chunk.
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
                count = copy_chunk(source_fd, fd, view, digest)
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


def copy_chunk(source_fd: int, fd: int, view: memoryview, digest: _Digest | None) -> int:
    """Copy one chunk (up to `view`'s size) through user space, hashing it if asked.

    Returns the bytes copied, 0 at the end of the file.
    """
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


def sha256_fd(fd: int, chunk_size: int) -> str:
    """The SHA-256 of an open file, read from its start."""
    digest = hashlib.sha256()
    view = memoryview(bytearray(chunk_size))
    os.lseek(fd, 0, os.SEEK_SET)
    while count := os.readinto(fd, view):
        digest.update(view[:count])
    return digest.hexdigest()


def sha256_file(path: Path, chunk_size: int) -> str:
    """The SHA-256 of a file."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return sha256_fd(fd, chunk_size)
    finally:
        os.close(fd)


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


def create_temp(destination: Path) -> tuple[int, Path]:
    """Create a fresh, private (0o600) temporary file beside `destination`; its fd and path.

    Created with O_EXCL, so never one that exists already: a taken name is retried with
    another token a few times, then FileExistsError. Other failures raise OSError.
    """
    # O_NOATIME: reading the copy back for verification must not change the atime it gets.
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOATIME
    for _ in range(_TEMP_ATTEMPTS):
        temp = destination.with_name(_temp_name(destination.name))
        try:
            return os.open(temp, flags, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(destination.parent))


def _temp_name(name: str) -> str:
    """`.{name}.videodrome-{8 hex}.part`, the name shortened to fit NAME_MAX bytes."""
    token = secrets.token_hex(4)
    while len(os.fsencode(temp := f".{name}.videodrome-{token}.part")) > NAME_MAX:
        name = name[:-1]
    return temp


def remove_temp(temp: Path) -> None:
    """Remove a temporary file after a failure, never masking the failure itself."""
    try:
        temp.unlink()
    except FileNotFoundError:
        pass
    except OSError as err:
        _LOGGER.warning("Could not remove the temporary file %s: %s", temp, err)


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
