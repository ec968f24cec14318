"""Videodrome's engine: pure Python, no Home Assistant, usable from the command line.

Subpackages, each allowed to import only those listed below it (never a peer on the same
line, never one above); `tests/engine/test_layers.py` enforces this:

    ingest/      files a download: plan, transfer, organise, match review, watcher, events
    library/     the index of the Plex library: "do I have this, which seasons?"
    plex/        provider/    the Plex client and its notifications | the metadata provider
    identify/    names → TMDb matches: parse (guessit process), score, identify, naming
    tmdb/        stash/       the TMDb client, its models and poster URLs | the Stash client
    store/       SQLite: history, review queue, the TMDb cache

Modules at this level are shared by all of them: `errors` (the base of every error),
`blocking` (how blocking work is handed to a thread), `guids` (the outside ids in Plex's guids,
from every agent), `availability` (one log line when a service goes and comes back). `redact`
(answers without absolute paths) and `__main__` (the command line) sit on top and may import
anything.
"""
