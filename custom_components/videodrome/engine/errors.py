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
