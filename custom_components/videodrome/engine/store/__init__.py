"""SQLite: the history, the review queue and the TMDb cache, in one file per entry.

Owns the database schema and its migrations. Imports nothing of the engine but the modules
at the engine's top level (errors, blocking, availability).
"""
