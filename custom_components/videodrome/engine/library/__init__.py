"""The index of the Plex library: built from paged section reads, kept current by notifications.

Answers "does Plex already have this?" by TMDb, TVDB or IMDb id or by title, and which seasons
and episodes of a show are there: `records` (what it holds), `parsing` (Plex's JSON into
records), `building` (snapshots read from Plex), `seasons` (present, missing, watched) and
`index` (`LibraryIndex`). May import `plex`, `identify`, `tmdb`, `store` and the engine's
top-level modules; never `provider` or `ingest`.
"""
