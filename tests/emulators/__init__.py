"""Loopback emulators of Plex Media Server and TMDb, for tests, benchmarks and the demo."""
