"""From a file name to a decision: parse (guessit in a child process), score, identify, name.

Owns the guessit child processes (`GuessitProcesses`: a program makes one and closes it), TMDb
candidate scoring, the decision and its reasons, and Plex's naming rules (`naming`,
`companions`, `safe_names`, `language_codes`). May import `tmdb`, `store` and the engine's
top-level modules.
"""
