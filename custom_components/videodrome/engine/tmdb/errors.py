"""What can go wrong talking to TMDb.

Messages never contain the API key: the client builds them from the request path only.
"""

from ..errors import ServiceAnswerError, ServiceError


class TMDbError(ServiceError):
    """Talking to TMDb failed."""


class TMDbConnectionError(TMDbError):
    """TMDb could not be reached, or kept failing after the retries."""


class TMDbAuthError(TMDbError, ServiceAnswerError):
    """TMDb rejected the API key or bearer token (HTTP 401)."""


class TMDbRateLimitError(TMDbError):
    """TMDb kept answering 429 after the retries."""


class TMDbNotFoundError(TMDbError, ServiceAnswerError):
    """TMDb has no such object (HTTP 404)."""


class TMDbProtocolError(TMDbError):
    """TMDb answered, but not with what its API promises."""
