"""The engine's errors: one hierarchy, mapped onto Home Assistant's exceptions by the integration.

Messages never contain a token or an API key: clients build them from the request path only.
"""


class VideodromeError(Exception):
    """Base of every error the engine raises on purpose."""


class PlexError(VideodromeError):
    """Talking to Plex Media Server failed."""


class PlexConnectionError(PlexError):
    """Plex could not be reached (refused, reset, DNS, TLS)."""


class PlexTimeoutError(PlexConnectionError):
    """Plex did not answer in time."""


class PlexAuthError(PlexError):
    """Plex refused the token (HTTP 401)."""


class PlexProtocolError(PlexError):
    """Plex answered, but not with what its API promises (bad status, bad JSON, wrong shape)."""


class PlexNotFoundError(PlexProtocolError):
    """Plex has no such object (HTTP 404): a library section or item that is gone."""


class PlexMatchError(PlexError):
    """Plex's match could not be changed (its agent offers no such title, or it did not take)."""


class TMDbError(VideodromeError):
    """Talking to TMDb failed."""


class TMDbConnectionError(TMDbError):
    """TMDb could not be reached, or kept failing after the retries."""


class TMDbAuthError(TMDbError):
    """TMDb rejected the API key or bearer token (HTTP 401)."""


class TMDbRateLimitError(TMDbError):
    """TMDb kept answering 429 after the retries."""


class TMDbNotFoundError(TMDbError):
    """TMDb has no such object (HTTP 404)."""


class TMDbProtocolError(TMDbError):
    """TMDb answered, but not with what its API promises."""


class UnsafePathError(VideodromeError):
    """A path is malformed, relative, climbs out with `..`, or lies outside the allowed folders."""


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


class ProviderError(VideodromeError):
    """The metadata provider cannot answer a request from Plex."""


class ProviderRequestError(ProviderError):
    """The request is malformed: not JSON, a field of the wrong type, a page out of range (400)."""


class ProviderNotFoundError(ProviderError):
    """No such ratingKey (404)."""


class ProviderBusyError(ProviderError):
    """The provider cannot answer now; asking again later may succeed (503 with Retry-After).

    Its share of TMDb's rate is used up, the request needs more TMDb requests than one request
    may make (what it fetched is cached, so asking again continues), or too many file names
    wait to be read.
    """

    def __init__(self, reason: str, retry_after: float = 1.0) -> None:
        """`retry_after`: seconds until asking again may succeed."""
        super().__init__(reason)
        self.retry_after = retry_after
