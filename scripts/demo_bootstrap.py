"""Prepares the demo Home Assistant over its APIs: onboarding, the Videodrome entry, a dashboard.

Run by `scripts/develop` beside Home Assistant. It waits for Home Assistant to answer, creates
the user demo/demo on a fresh config (completing onboarding), signs in, and adds the emulated
Plex server through Videodrome's own config flow, exactly as a user would in the UI. Each step
is skipped when already done, so restarts keep the user's state.

On the first run it also makes the "Videodrome" dashboard (the review card, the server's,
libraries' and queue's sensors, the watcher's switch and button) and makes it the one every
user lands on after signing in. Both through the websocket commands the frontend itself sends
for "Settings > Dashboards > Add dashboard" and "Set as default" (`lovelace/dashboards/create`,
`lovelace/config/save`, `frontend/set_system_data` with `default_panel`): public, checked by
Home Assistant like any change a person makes, and kept in Home Assistant's own storage, so a
later person's choices are never overwritten (an existing dashboard is left alone).
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
ENTITIES_TIMEOUT = 120  # seconds for Videodrome's entities to be registered after its setup
DASHBOARD = "videodrome-demo"  # a dashboard's path needs a hyphen
# Videodrome's entities on the dashboard, by domain and translation key, in this order.
SERVER = (("sensor", "server_status"), ("sensor", "active_sessions"), ("sensor", "library_section"))
QUEUE = (("sensor", "review_queue"), ("sensor", "files_waiting"), ("sensor", "last_ingest"))
WATCHER = (
    ("switch", "watching"),
    ("button", "rescan"),
    ("switch", "auto_ingest"),
    ("sensor", "watcher"),
)


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

    async def websocket(self, *messages: dict[str, Any]) -> list[Any]:
        """Send websocket commands as the signed-in user; their results, in order."""
        token = self.headers["Authorization"].removeprefix("Bearer ")
        results = []
        async with self.session.ws_connect(f"{self.ha}/api/websocket") as socket:
            await socket.receive_json()  # auth_required
            await socket.send_json({"type": "auth", "access_token": token})
            if (answer := await socket.receive_json())["type"] != "auth_ok":
                raise RuntimeError(f"the websocket refused the sign-in: {answer['type']}")
            for number, message in enumerate(messages, start=1):
                await socket.send_json({**message, "id": number})
                answer = await socket.receive_json()
                if not answer["success"]:
                    raise RuntimeError(f"{message['type']} failed: {answer['error']}")
                results.append(answer["result"])
        return results

    async def videodrome_entities(self) -> dict[tuple[str, str], list[str]]:
        """Videodrome's entity ids by (domain, translation key), once they are registered."""
        async with asyncio.timeout(ENTITIES_TIMEOUT):
            while True:
                (registry,) = await self.websocket({"type": "config/entity_registry/list"})
                found: dict[tuple[str, str], list[str]] = {}
                for entry in registry:
                    if entry["platform"] == "videodrome" and not entry.get("disabled_by"):
                        domain = entry["entity_id"].partition(".")[0]
                        key = (domain, entry.get("translation_key") or "")
                        found.setdefault(key, []).append(entry["entity_id"])
                if ("sensor", "review_queue") in found:
                    return found
                await asyncio.sleep(1)

    async def add_dashboard(self) -> str:
        """The Videodrome dashboard, made the default for everyone; unless there already."""
        (dashboards,) = await self.websocket({"type": "lovelace/dashboards/list"})
        if any(board["url_path"] == DASHBOARD for board in dashboards):
            return "the Videodrome dashboard is already there"
        entities = await self.videodrome_entities()
        config = dashboard_config(entities)
        (system,) = await self.websocket({"type": "frontend/get_system_data", "key": "core"})
        await self.websocket(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD,
                "title": "Videodrome",
                "icon": "mdi:filmstrip-box-multiple",
                "show_in_sidebar": True,
                "require_admin": False,
                "mode": "storage",
            },
            {"type": "lovelace/config/save", "url_path": DASHBOARD, "config": config},
            {
                "type": "frontend/set_system_data",
                "key": "core",
                "value": {**(system.get("value") or {}), "default_panel": DASHBOARD},
            },
        )
        return f"the Videodrome dashboard is at /{DASHBOARD}, the default after signing in"


def dashboard_config(entities: dict[tuple[str, str], list[str]]) -> dict[str, Any]:
    """One view: the review card, then the server, the queue and the watcher."""

    def rows(wanted: tuple[tuple[str, str], ...]) -> list[str]:
        return [entity for key in wanted for entity in entities.get(key, [])]

    (queue,) = entities[("sensor", "review_queue")][:1]
    cards: list[dict[str, Any]] = [
        {"type": "custom:videodrome-review-card", "entity": queue, "recent": 5},
        {"type": "entities", "title": "Plex server and libraries", "entities": rows(SERVER)},
        {"type": "entities", "title": "Ingest", "entities": rows(QUEUE)},
        {"type": "entities", "title": "Watcher", "entities": rows(WATCHER)},
    ]
    return {
        "title": "Videodrome",
        "views": [{"title": "Videodrome", "path": "review", "cards": cards}],
    }


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
        if "did not finish" not in added:
            print(f"demo: {await bootstrap.add_dashboard()}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
