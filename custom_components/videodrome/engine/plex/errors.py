"""What can go wrong talking to Plex Media Server."""

from ..errors import ServiceAnswerError, ServiceError


class PlexError(ServiceError):
    """Talking to Plex Media Server failed."""


class PlexConnectionError(PlexError):
    """Plex could not be reached (refused, reset, DNS, TLS)."""


class PlexTimeoutError(PlexConnectionError):
    """Plex did not answer in time."""


class PlexAuthError(PlexError, ServiceAnswerError):
    """Plex refused the token (HTTP 401)."""


class PlexProtocolError(PlexError):
    """Plex answered, but not with what its API promises (bad status, bad JSON, wrong shape)."""


class PlexNotFoundError(PlexProtocolError, ServiceAnswerError):
    """Plex has no such object (HTTP 404): a library section or item that is gone."""


class PlexMatchError(PlexError, ServiceAnswerError):
    """Plex's match could not be changed (its agent offers no such title, or it did not take)."""
