"""Tests of the Home Assistant integration, against the emulators on loopback."""
