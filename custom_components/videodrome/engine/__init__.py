"""Videodrome's engine: identification, Plex and TMDb clients, transfers; no Home Assistant here."""
