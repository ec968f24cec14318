"""The index of the Plex library: built from paged section reads, kept current by notifications.

Answers "does Plex already have this?" by TMDb, TVDB or IMDb id or by title, and which seasons
and episodes of a show are there: `records` (what it holds), `parsing` (Plex's JSON into
records), `reading` (sections read from Plex page by page, each on its own), `loading` (each
section's state, what a failed read keeps, when to retry), `building` (snapshots, copy on
write), `seasons` (present, missing, watched), `errors` (when it cannot say) and `index`
(`LibraryIndex`). May import `plex`, `identify`, `tmdb`, `store` and the engine's
top-level modules; never `provider` or `ingest`.
"""
