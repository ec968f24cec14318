"""Videodrome's tools reached by an AI client through Home Assistant's own MCP server.

Home Assistant's Model Context Protocol Server integration (`mcp_server`) serves registered
LLM APIs over Streamable HTTP at `/api/mcp` (the APIs its entry selects, or all of them with
their names as a prefix) and `/api/mcp/<API id>` (one API). Here it is set up in the test
harness with Videodrome's API, and the official MCP client (the `mcp` package, at the pin of
Home Assistant's manifest) lists and calls the tools through Home Assistant's HTTP server, with
a user's long-lived token as the bearer.

`mcp` and `aiohttp_sse` are test requirements (requirements_test.txt); without them the module
is skipped with a reason.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from http import HTTPStatus
import json
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("mcp", reason="mcp (requirements_test.txt: mcp_server's pin) is not installed")
pytest.importorskip("aiohttp_sse", reason="aiohttp_sse (requirements_test.txt) is not installed")

from homeassistant.components.mcp_server.const import (
    CONF_ALL_LLM_APIS,
    CONF_REQUIRE_ADMIN,
)
from homeassistant.const import CONF_LLM_HASS_API
from homeassistant.setup import async_setup_component
import httpx
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.videodrome.const import DOMAIN
from tests.permissions import absolute_paths
from tests.polling import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from mcp.types import CallToolResult
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

TOOLS = {"check_library", "identify", "review_queue", "recent_ingests"}
PREFIX = "plex-videodrome-demo__"  # the API's name, "Plex (Videodrome Demo)", as a slug


@pytest.fixture
async def serve(
    hass: HomeAssistant, ingest_entry: MockConfigEntry
) -> Callable[..., MockConfigEntry]:
    """Sets up `mcp_server` serving Videodrome's API (or every API), the library index read."""
    assert await async_setup_component(hass, "homeassistant", {})  # conversation needs it
    assert await async_setup_component(hass, "mcp_server", {})
    index = ingest_entry.runtime_data.library.index
    await until(lambda: index.loaded, between=hass.async_block_till_done)

    async def make(*, all_apis: bool = False, require_admin: bool = True) -> MockConfigEntry:
        entry = MockConfigEntry(
            domain="mcp_server",
            data={
                CONF_LLM_HASS_API: [f"{DOMAIN}-{ingest_entry.entry_id}"],
                CONF_ALL_LLM_APIS: all_apis,
                CONF_REQUIRE_ADMIN: require_admin,
            },
            version=1,
            minor_version=3,
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        return entry

    return make


@asynccontextmanager
async def _session(
    hass_client: ClientSessionGenerator, token: str, path: str = "/api/mcp"
) -> AsyncIterator[ClientSession]:
    """An MCP client session with Home Assistant, as an AI client opens one."""
    url = str((await hass_client()).make_url(path))
    async with (
        httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def _data(result: CallToolResult) -> dict[str, Any]:
    """What the tool answered (Home Assistant sends it as one JSON text)."""
    (content,) = result.content
    assert content.type == "text"
    data: dict[str, Any] = json.loads(content.text)
    return data


async def test_an_ai_client_lists_and_calls_videodrome_s_tools(
    hass: HomeAssistant,
    serve: Callable[..., Any],
    hass_client: ClientSessionGenerator,
    hass_access_token: str,
    tmp_path: Path,
) -> None:
    """`/api/mcp` with Videodrome's API picked: its read-only tools, by their own names."""
    await serve()
    (tmp_path / "ingest" / "Dune.mkv").write_bytes(b"video")
    await hass.services.async_call(
        DOMAIN, "ingest", {"path": str(tmp_path / "ingest" / "Dune.mkv")}, blocking=True
    )
    async with _session(hass_client, hass_access_token) as session:
        listed = await session.list_tools()
        tools = {tool.name: tool for tool in listed.tools}
        assert set(tools) == TOOLS
        check = tools["check_library"]
        assert check.annotations is not None
        assert check.annotations.readOnlyHint is True
        assert set(check.inputSchema["properties"]) >= {"title", "year", "tmdb_id"}
        assert tools["identify"].inputSchema["required"] == ["name"]

        found = _data(await session.call_tool("check_library", {"title": "Breaking Bad"}))
        (show,) = found["items"]
        assert (found["found"], show["title"], show["tvdb_id"]) == (True, "Breaking Bad", 81189)
        assert show["availability"]["present_seasons"] == [1, 2, 3]
        identified = _data(await session.call_tool("identify", {"name": "Heat.1995.1080p.mkv"}))
        assert (identified["title"], identified["tmdb_id"]) == ("Heat", 949)
        queue = _data(await session.call_tool("review_queue", {}))
        assert queue["count"] == 1
        assert queue["items"][0]["file"] == "Dune.mkv"
        recent = _data(await session.call_tool("recent_ingests", {"limit": 5}))
        assert [item["status"] for item in recent["items"]] == ["review"]

        wrong = await session.call_tool("check_library", {"year": "nineteen"})
        assert wrong.isError, "a wrong argument is an error the model can read"


async def test_with_every_api_served_the_tools_carry_the_api_s_name(
    hass: HomeAssistant,
    serve: Callable[..., Any],
    hass_client: ClientSessionGenerator,
    hass_access_token: str,
) -> None:
    """With "All LLM APIs": Assist's tools and Videodrome's, prefixed by their API's name."""
    await serve(all_apis=True)
    async with _session(hass_client, hass_access_token) as session:
        names = {tool.name for tool in (await session.list_tools()).tools}
        assert {PREFIX + name for name in TOOLS} <= names
        assert any(name.startswith("assist__") for name in names)
        found = _data(await session.call_tool(f"{PREFIX}check_library", {"tmdb_id": 603}))
    assert found["items"][0]["title"] == "The Matrix"


async def test_the_api_s_own_address(
    hass: HomeAssistant,
    serve: Callable[..., Any],
    ingest_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_access_token: str,
) -> None:
    await serve(all_apis=True)
    path = f"/api/mcp/{DOMAIN}-{ingest_entry.entry_id}"
    async with _session(hass_client, hass_access_token, path) as session:
        assert {tool.name for tool in (await session.list_tools()).tools} == TOOLS


async def test_other_users_are_refused_or_read_without_paths(
    hass: HomeAssistant,
    serve: Callable[..., Any],
    ingest_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_read_only_access_token: str,
    media_root: Path,
) -> None:
    """An administrator's token is needed unless the MCP server's entry says otherwise; then
    a user who is not one gets answers without absolute paths."""
    entry = await serve()
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream"}
    client = await hass_client(hass_read_only_access_token)
    for path in ("/api/mcp", f"/api/mcp/{DOMAIN}-{ingest_entry.entry_id}"):
        refused = await client.post(path, json=initialize, headers=headers)
        assert refused.status == HTTPStatus.UNAUTHORIZED, path

    assert await hass.config_entries.async_unload(entry.entry_id)
    await serve(require_admin=False)
    async with _session(hass_client, hass_read_only_access_token) as session:
        found = _data(await session.call_tool("check_library", {"title": "The Matrix"}))
    (matrix,) = found["items"]
    assert matrix["files"]
    assert all(f.startswith("The Matrix (1999)/") for f in matrix["files"])
    assert absolute_paths(found, [media_root]) == []
