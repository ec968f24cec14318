"""The Plex metadata providers: Plex's requests in, TMDb's (or Stash's) metadata out, bounded.

Owns the provider protocol's documents, request parsing, matching, metadata, languages and the
limits on what one request may cost; the Stash provider's in `stash_*`. May import `identify`,
`tmdb`, `stash`, `store` and the engine's top-level modules; never `plex`.
"""
