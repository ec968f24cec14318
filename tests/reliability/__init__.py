"""Reliability and security suite: crashes, faults, bad input, load."""
