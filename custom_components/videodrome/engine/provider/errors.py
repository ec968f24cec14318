"""What the metadata provider answers instead of metadata: 400, 404, 503."""

from ..errors import VideodromeError


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
