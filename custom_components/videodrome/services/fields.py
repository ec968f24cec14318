"""The schema fields several service actions share: the entry, store ids, paths, thresholds."""

from __future__ import annotations

from typing import Final

from homeassistant.helpers import config_validation as cv
import probatio as vol

from ..const import ATTR_CONFIG_ENTRY_ID

MAX_PATH: Final = 4096
# Ids are stored as SQLite integers (signed 64-bit): a larger number is refused by the schema.
MAX_ID: Final = 2**63 - 1

# Every action may name its entry; with one server configured it may be left out.
ENTRY: Final = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
ID: Final = vol.All(cv.positive_int, vol.Range(max=MAX_ID))
PATH: Final = vol.All(cv.string, vol.Length(min=1, max=MAX_PATH))
# The confidence a call's automatic decisions need (the option "auto_threshold" for one call).
THRESHOLD: Final = vol.All(vol.Coerce(float), vol.Range(min=0.5, max=1.0))
