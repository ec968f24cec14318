"""Engine tests: no Home Assistant."""
