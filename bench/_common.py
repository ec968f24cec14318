"""What several benchmarks share."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


async def tmdb_emulator(
    document: dict[str, Any], folder: Path, *, api_key: str, rate: float
) -> tuple[asyncio.subprocess.Process, str]:
    """The TMDb emulator in its own process (as TMDb is on another machine), rate limited.

    Serves `document` (written to `folder/catalogue.json`); returns the process (terminate
    and wait for it when done) and the URL it prints once it listens.
    """
    catalogue = folder / "catalogue.json"
    catalogue.write_text(json.dumps(document), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.emulators.tmdb", "--api-key", api_key, "--catalog",
        str(catalogue), "--rate-limit", str(rate), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 60)
    return process, line.decode().split()[-1]
