"""The Plex Media Server client: requests, models, notifications, scans, fixing matches, posters.

Owns everything said to or read from Plex (except the library index built on it). May import
`identify`, `tmdb`, `store` and the engine's top-level modules; never `provider`.
"""
