"""The base of the engine's errors; each subpackage adds its own in its `errors.py`.

One hierarchy, mapped onto Home Assistant's exceptions by the integration. Messages never
contain a token or an API key: clients build them from the request path only.
"""


class VideodromeError(Exception):
    """Base of every error the engine raises on purpose."""


class UnsafePathError(VideodromeError):
    """A path is malformed, relative, climbs out with `..`, or lies outside the allowed folders."""


class ServiceError(VideodromeError):
    """Talking to an outside service (Plex, TMDb) failed: unreachable, or a wrong answer."""


class ServiceAnswerError(ServiceError):
    """The service answered, but refused or had nothing: a key, a missing object, a match.

    Not an outage (`availability.is_outage`): the service is there.
    """
