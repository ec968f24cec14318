"""Prepares the demo Home Assistant over its REST API: onboarding, then the Videodrome entry.

Run by `scripts/develop` beside Home Assistant. It waits for Home Assistant to answer, creates
the user demo/demo on a fresh config (completing onboarding), signs in, and adds the emulated
Plex server through Videodrome's own config flow, exactly as a user would in the UI. Each step
is skipped when already done, so restarts keep the user's state.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import aiohttp

USERNAME = "demo"
PASSWORD = "demo"  # noqa: S105 (the demo's documented password, on loopback only)
DEMO_TMDB_KEY = "demo-tmdb-key"
STARTUP_TIMEOUT = 600  # seconds; a first start unpacks the frontend and may be slow


class Bootstrap:
    """One Home Assistant instance being prepared."""

    def __init__(self, session: aiohttp.ClientSession, ha_url: str) -> None:
        """Talk to Home Assistant at `ha_url`."""
        self.session = session
        self.ha = ha_url.rstrip("/")
        self.client_id = f"{self.ha}/"
        self.headers: dict[str, str] = {}

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the REST API and return its JSON."""
        async with self.session.request(
            method, f"{self.ha}{path}", headers=self.headers, **kwargs
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def wait_until_up(self) -> None:
        """Wait for Home Assistant to serve its API (the caller bounds the wait)."""
        while True:
            try:
                async with self.session.get(f"{self.ha}/api/") as response:
                    if response.status in {200, 401}:  # answering, with or without a user
                        return
            except aiohttp.ClientError, OSError:
                pass
            await asyncio.sleep(1)

    async def token(self, auth_code: str) -> None:
        """Exchange an authorization code for an access token."""
        data = {"grant_type": "authorization_code", "code": auth_code, "client_id": self.client_id}
        tokens = await self.call("POST", "/auth/token", data=data)
        self.headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    async def onboard_or_sign_in(self) -> None:
        """Create the demo user on a fresh config, otherwise sign in as it."""
        async with self.session.get(f"{self.ha}/api/onboarding") as response:
            # Once onboarding is complete, Home Assistant no longer serves this view.
            onboarding = await response.json() if response.status == 200 else []  # noqa: PLR2004
        steps = {s["step"]: s["done"] for s in onboarding}
        if not steps.get("user", True):
            created = await self.call(
                "POST",
                "/api/onboarding/users",
                json={
                    "client_id": self.client_id,
                    "name": "Demo",
                    "username": USERNAME,
                    "password": PASSWORD,
                    "language": "en",
                },
            )
            await self.token(created["auth_code"])
            for step in ("core_config", "analytics"):
                if not steps.get(step, True):
                    await self.call("POST", f"/api/onboarding/{step}", json={})
            if not steps.get("integration", True):
                await self.call(
                    "POST",
                    "/api/onboarding/integration",
                    json={"client_id": self.client_id, "redirect_uri": self.client_id},
                )
            return
        flow = await self.call(
            "POST",
            "/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        )
        result = await self.call(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json={"client_id": self.client_id, "username": USERNAME, "password": PASSWORD},
        )
        await self.token(result["result"])

    async def add_videodrome(self, plex_url: str, plex_token: str, demo_dir: Path) -> str:
        """Add the demo Plex server (and its ingest) through the config flow, unless there."""
        entries = await self.call("GET", "/api/config/config_entries/entry?domain=videodrome")
        if entries:
            return "Videodrome is already set up"
        flow = await self.call(
            "POST", "/api/config/config_entries/flow", json={"handler": "videodrome"}
        )
        if flow.get("type") == "menu":  # sign in with Plex, or address and token: the latter
            await self.call(
                "POST",
                f"/api/config/config_entries/flow/{flow['flow_id']}",
                json={"next_step_id": "manual"},
            )
        result = await self.call(
            "POST",
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            json={"url": plex_url, "token": plex_token, "verify_ssl": True},
        )
        if result.get("step_id") == "ingest" and not result.get("errors"):
            media = demo_dir / "media"
            result = await self.call(
                "POST",
                f"/api/config/config_entries/flow/{flow['flow_id']}",
                json={
                    "tmdb_api_key": DEMO_TMDB_KEY,
                    "ingest_folders": [str(demo_dir / "ingest")],
                    "movies_root": str(media / "Movies"),
                    "tv_root": str(media / "TV Shows"),
                    "path_map": "",
                    "transfer_mode": "hardlink",
                    "verify_checksum": False,
                    "include_ids": True,
                    "auto_threshold": 0.85,
                    "auto_ingest": True,
                    "stability_seconds": 10,
                    "network_share": False,
                    "rescan_minutes": 5,
                },
            )
        if result.get("type") != "create_entry":
            return f"Videodrome's config flow did not finish: {result.get('errors')}"
        return f"Videodrome is connected to {result['title']}, ingesting from {demo_dir / 'ingest'}"


async def main() -> None:
    """Prepare the demo and say what was done."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ha", required=True, help="Home Assistant's URL")
    parser.add_argument("--plex", required=True, help="the emulated Plex server's URL")
    parser.add_argument("--plex-token", required=True)
    parser.add_argument("--demo-dir", required=True, help="the demo's folder (media, ingest)")
    args = parser.parse_args()
    async with aiohttp.ClientSession() as session:
        bootstrap = Bootstrap(session, args.ha)
        async with asyncio.timeout(STARTUP_TIMEOUT):
            await bootstrap.wait_until_up()
        await bootstrap.onboard_or_sign_in()
        added = await bootstrap.add_videodrome(args.plex, args.plex_token, Path(args.demo_dir))
        print(f"demo: {added}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
