"""Videodrome tests."""
