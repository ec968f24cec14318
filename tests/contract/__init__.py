"""Contract tests: the emulators against real recorded responses."""
