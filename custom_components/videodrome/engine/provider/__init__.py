"""The Plex metadata provider: Plex's requests in, TMDb's metadata out, within fixed limits.

Owns the provider protocol's documents, request parsing, matching, metadata, languages and the
limits on what one request may cost. May import `identify`, `tmdb`, `store` and the engine's
top-level modules; never `plex`.
"""
