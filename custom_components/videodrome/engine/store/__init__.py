"""SQLite: the history, the review queue, the TMDb cache, posters uploaded; one file per entry.

`database` owns the file, its connection, the schema and its migrations (`Store`); `items`
the history's rows, `history` their queries, `tmdb_cache` the cache's table and bounds,
`poster_uploads` the posters uploaded into Plex.
Imports nothing of the engine but the modules at the engine's top level (errors, blocking,
availability).
"""
