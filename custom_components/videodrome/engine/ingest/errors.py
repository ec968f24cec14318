"""What can go wrong filing a file: the transfer, and review actions."""

from ..errors import VideodromeError


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
