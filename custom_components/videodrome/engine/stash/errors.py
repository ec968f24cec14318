"""What can go wrong talking to Stash, or making a poster of one of its screenshots.

Messages never contain the API key: it travels in the `ApiKey` header only, and the client
builds messages from the operation or route it asked for.
"""

from ..errors import ServiceAnswerError, ServiceError, VideodromeError


class StashError(ServiceError):
    """Talking to Stash failed."""


class StashConnectionError(StashError):
    """Stash could not be reached (refused, reset, DNS, TLS), or answered with a 5xx."""


class StashTimeoutError(StashConnectionError):
    """Stash did not answer in time."""


class StashAuthError(StashError, ServiceAnswerError):
    """Stash refused the API key, or asked for one (401, 403, or a redirect to its login)."""


class StashGraphQLError(StashError, ServiceAnswerError):
    """Stash answered a query with GraphQL errors (a query it rejects, or one that failed)."""


class StashNotFoundError(StashError, ServiceAnswerError):
    """Stash has no such scene, or no such image."""


class StashProtocolError(StashError):
    """Stash answered, but not with what its API promises."""


class NotStashError(StashProtocolError):
    """The URL answers, but not as Stash's GraphQL endpoint does (a wrong port or path)."""


class StashImageError(VideodromeError):
    """An image from Stash cannot be made into a poster (not an image, or far too large)."""
