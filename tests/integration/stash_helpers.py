"""What the Stash tests in this folder share."""

from __future__ import annotations

STASH_KEY = "eyJhbGciOiJIUzI1NiJ9.stash-integration-key.c2VjcmV0"
