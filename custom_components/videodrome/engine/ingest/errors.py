"""What can go wrong filing a file: the transfer, and review actions."""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING, Final

from ..errors import VideodromeError

if TYPE_CHECKING:
    from pathlib import Path

_NO_SPACE: Final = frozenset({errno.ENOSPC, errno.EDQUOT})
_DENIED: Final = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


class TransferError(VideodromeError):
    """Putting a file into the library failed; the source is untouched and nothing was replaced."""


class DestinationExistsError(TransferError):
    """The destination name is taken (before the transfer, or by someone else during it)."""


class SourceChangedError(TransferError):
    """The source vanished, was replaced, or changed size or mtime while it was being copied."""


class NoSpaceError(TransferError):
    """The destination's filesystem is full (ENOSPC, EDQUOT)."""


class TransferPermissionError(TransferError):
    """The operating system refused access (EACCES, EPERM, EROFS) to the source or destination."""


class VerificationError(TransferError):
    """The copy does not match the source: wrong size, or a different SHA-256."""


class ReviewError(VideodromeError):
    """A review action that cannot be done (unknown item, not in the queue, bad override)."""


class CrossFilesystemError(TransferError):
    """A rename would have to copy between filesystems: organise refuses."""


def transfer_error(err: OSError, doing: str, source: Path, folder: Path) -> TransferError:
    """The TransferError for an OSError met while `doing`, naming the paths and the remedy.

    `source` is the file being filed, `folder` the one written to.
    """
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
