"""Videodrome's service actions, registered once in `async_setup`."""
