"""The Stash emulator's own behaviour: auth as Stash does it, GraphQL, paths, images, faults."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
from pathlib import Path
import signal
import sys
from typing import TYPE_CHECKING, Any

import aiohttp
from PIL import Image
import pytest

from tests.emulators.stash import StashEmulator
from tests.emulators.stash_library import (
    EmulatedScene,
    StashLibrary,
    fold,
    like_regex,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

KEY = "emulator-key"
SCENES = "query Q($f: SceneFilterType, $p: FindFilterType) { findScenes(scene_filter: $f, filter: $p) { count scenes { id files { path basename } } } }"  # noqa: E501


@pytest.fixture
async def stash(socket_enabled: None) -> AsyncIterator[StashEmulator]:
    async with StashEmulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _graphql(
    http: aiohttp.ClientSession,
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    key: str | None = KEY,
) -> tuple[int, Any]:
    headers = {"ApiKey": key} if key else {}
    body = {"query": query, "variables": variables or {}}
    async with http.post(f"{url}/graphql", json=body, headers=headers) as response:
        return response.status, await response.json() if response.status != 401 else None


async def _ids(
    http: aiohttp.ClientSession,
    url: str,
    value: str,
    modifier: str = "INCLUDES",
    paging: dict[str, Any] | None = None,
    *,
    key: str | None = KEY,
) -> list[str]:
    variables = {"f": {"path": {"value": value, "modifier": modifier}}, "p": paging}
    status, body = await _graphql(http, url, SCENES, variables, key=key)
    assert status == 200, body
    return [s["id"] for s in body["data"]["findScenes"]["scenes"]]


# ---- authentication -----------------------------------------------------------------------


async def test_the_key_is_required_as_stash_requires_it(
    stash: StashEmulator, http: aiohttp.ClientSession
) -> None:
    query = "{ version { version } }"
    assert (await _graphql(http, stash.url, query))[0] == 200
    assert (await _graphql(http, stash.url, query, key=None))[0] == 401
    async with http.post(
        f"{stash.url}/graphql", json={"query": query}, headers={"ApiKey": "x"}
    ) as r:
        assert (r.status, r.headers["WWW-Authenticate"]) == (401, "FormBased")
    async with http.get(f"{stash.url}/graphql", params={"query": query, "apikey": KEY}) as r:
        assert (r.status, (await r.json())["data"]["version"]["version"]) == (200, "v0.30.1")
    async with http.get(f"{stash.url}/scene/1/screenshot", allow_redirects=False) as r:
        assert (r.status, r.headers["Location"]) == (302, "/login?returnURL=/scene/1/screenshot")
    async with http.get(f"{stash.url}/scene/1/screenshot") as r:  # a browser lands on the login
        assert (r.status, r.content_type) == (200, "text/html")
    assert [r.with_key for r in stash.requests] == [True, False, True, True, False, False, False]


async def test_without_authentication_a_key_is_refused(
    http: aiohttp.ClientSession, socket_enabled: None
) -> None:
    async with StashEmulator() as open_stash:
        assert (await _graphql(http, open_stash.url, "{ version { hash } }", key=None))[0] == 200
        assert (await _graphql(http, open_stash.url, "{ version { hash } }", key="k"))[0] == 401


# ---- GraphQL ------------------------------------------------------------------------------


async def test_graphql_errors_as_stash_sends_them(
    stash: StashEmulator, http: aiohttp.ClientSession
) -> None:
    headers = {"ApiKey": KEY, "Content-Type": "application/json"}
    async with http.post(f"{stash.url}/graphql", data=b"{not json", headers=headers) as r:
        assert r.status == 400
    async with http.post(f"{stash.url}/graphql", data=b"[1]", headers=headers) as r:
        assert r.status == 400
    status, body = await _graphql(http, stash.url, "{ version { ")
    assert (status, body["errors"][0]["extensions"]["code"]) == (422, "GRAPHQL_PARSE_FAILED")
    status, body = await _graphql(
        http, stash.url, "query Q($id: ID!) { findScene(id: $id) { id } }"
    )
    assert status == 422  # a variable missing
    status, body = await _graphql(http, stash.url, SCENES, {"p": {"sort": "o_counter"}})
    assert status == 200  # a field that failed as it ran: an answer with errors
    assert body["errors"][0]["message"] == "invalid sort: o_counter"
    assert body["data"] is None
    assert stash.queries[-1].variables == {"p": {"sort": "o_counter"}}


async def test_scenes_paged_and_sorted(stash: StashEmulator, http: aiohttp.ClientSession) -> None:
    status, body = await _graphql(http, stash.url, SCENES, {"p": {"per_page": -1, "sort": "id"}})
    assert (status, body["data"]["findScenes"]["count"]) == (200, 4)
    assert await _ids(http, stash.url, "/data", paging={"sort": "title"}) == ["3", "1", "4", "2"]
    by_date = {"sort": "date", "direction": "DESC", "per_page": 2, "page": 1}
    assert await _ids(http, stash.url, "/data", paging=by_date) == ["2", "1"]
    by_path = {"sort": "path", "per_page": 2, "page": 2}
    assert await _ids(http, stash.url, "/data", paging=by_path) == ["1", "2"]
    query = '{ findScene(id: "2") { title files { basename duration width height } } }'
    status, body = await _graphql(http, stash.url, query)
    assert body["data"]["findScene"] == {
        "title": "The Cliffs",
        "files": [
            {
                "basename": "Coastal.Journeys.E02.Cliffs.1080p.mp4",
                "duration": 1510.0,
                "width": 1280,
                "height": 720,
            }
        ],
    }
    for missing in ('"99"', '"x"'):
        status, body = await _graphql(http, stash.url, f"{{ findScene(id: {missing}) {{ id }} }}")
        assert (status, body["data"]["findScene"]) == (200, None)


async def test_paths_are_matched_as_stashs_sql_matches_them(
    http: aiohttp.ClientSession, socket_enabled: None
) -> None:
    library = StashLibrary()
    paths = [
        "/data/a/Night Walk.mp4",
        "/data/b/night_walk.mp4",
        "/data/c/NIGHTXWALK.mp4",
        "/data/d/Été.mp4",
        "/data/e/walk.mkv",
    ]
    for number, path in enumerate(paths, start=1):
        library.add_scene(EmulatedScene(number, [path]))
    async with StashEmulator(library) as emulator:
        url = emulator.url

        async def ids(value: str, modifier: str = "INCLUDES") -> list[str]:
            paging = {"per_page": -1, "sort": "id"}
            return await _ids(http, url, value, modifier, paging, key=None)

        assert await ids("night walk") == ["1", "2", "3", "5"]  # any of the words
        assert await ids('"night walk"') == ["1"]  # the phrase
        assert await ids('"night_walk"') == ["1", "2", "3"]  # _ is any one character
        assert await ids('"%.mkv"') == ["5"]
        assert await ids('"été"') == []  # case folds for ASCII letters only
        assert await ids('"Été"') == ["4"]
        assert await ids("/data/b/NIGHT_WALK.MP4", "EQUALS") == ["2"]
        assert await ids("night_walk.mp4", "EQUALS") == []  # the whole path
        assert await ids("/data/%.mp4", "NOT_EQUALS") == ["5"]
        assert await ids("walk", "EXCLUDES") == ["4"]
        assert await ids(r"/[a-c]/", "MATCHES_REGEX") == ["1", "2", "3"]


def test_like_patterns() -> None:
    assert fold("ÉtÉ ABC") == "ÉtÉ abc"
    assert like_regex("A_b%.c") == "a[^\n]b[^\n]*\\.c"


# ---- images -------------------------------------------------------------------------------


async def test_images_are_real(stash: StashEmulator, http: aiohttp.ClientSession) -> None:
    headers = {"ApiKey": KEY}
    expected = {
        "/scene/1/screenshot": (1920, 1080),
        "/scene/3/screenshot": (640, 480),
        "/performer/1/image": (400, 600),
        "/performer/3/image": (200, 300),  # Stash's placeholder
        "/studio/1/image": (300, 100),
        "/group/1/frontimage": (400, 600),
        "/group/2/frontimage": (400, 600),
    }
    for path, size in expected.items():
        async with http.get(f"{stash.url}{path}", headers=headers) as response:
            assert (response.status, response.content_type) == (200, "image/jpeg"), path
            image = Image.open(io.BytesIO(await response.read()))
            assert (image.format, image.size) == ("JPEG", size), path
    for path in ("/scene/4/screenshot", "/scene/9/screenshot", "/performer/9/image"):
        async with http.get(f"{stash.url}{path}", headers=headers) as response:
            assert response.status == 404, path
    for path in ("/studio/9/image", "/group/9/frontimage"):
        async with http.get(f"{stash.url}{path}", headers=headers) as response:
            assert response.status == 404, path


# ---- faults -------------------------------------------------------------------------------


async def test_images_are_served_as_stashs_servecontent_serves_them(
    stash: StashEmulator, http: aiohttp.ClientSession
) -> None:
    """As stashapp/stash's pkg/utils/http.go (cf3489efd): Go's http.ServeContent, an MD5 ETag."""
    url = f"{stash.url}/performer/1/image"
    headers = {"ApiKey": KEY}
    async with http.get(url, headers=headers) as response:
        body = await response.read()
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'  # noqa: S324
        assert response.content_length == len(body)
        etag = response.headers["ETag"]
    for condition in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        async with http.get(url, headers={**headers, "If-None-Match": condition}) as again:
            assert (again.status, again.headers["ETag"], await again.read()) == (304, etag, b"")
    async with http.get(url, headers={**headers, "If-None-Match": '"other"'}) as changed:
        assert changed.status == 200
    async with http.head(url, headers=headers) as head:  # Stash's routes are GET only
        assert head.status == 405


async def test_faults(stash: StashEmulator, http: aiohttp.ClientSession) -> None:
    query = "{ version { hash } }"
    stash.faults.fail_next = 1
    async with http.post(
        f"{stash.url}/graphql", json={"query": query}, headers={"ApiKey": KEY}
    ) as response:
        assert (response.status, await response.text()) == (500, "emulated failure")
    stash.faults.graphql_errors_next = 1
    status, body = await _graphql(http, stash.url, query)
    assert (status, body["data"]) == (200, None)
    assert "database is locked" in body["errors"][0]["message"]
    stash.faults.malformed_next = 1
    async with http.post(
        f"{stash.url}/graphql", json={"query": query}, headers={"ApiKey": KEY}
    ) as response:
        with pytest.raises(json.JSONDecodeError):
            json.loads(await response.read())
    stash.faults.drop_next = 1
    with pytest.raises(aiohttp.ClientError):
        await _graphql(http, stash.url, query)
    stash.faults.latency = 0.3
    async with asyncio.timeout(5):
        started = asyncio.get_running_loop().time()
        assert (await _graphql(http, stash.url, query))[0] == 200
        assert asyncio.get_running_loop().time() - started >= 0.3


# ---- libraries and the command line -------------------------------------------------------


def test_generated_libraries_are_repeatable() -> None:
    first, second = StashLibrary.generated(300), StashLibrary.generated(300)
    assert [s.files for s in first.scenes.values()] == [s.files for s in second.scenes.values()]
    assert len(first.studios) == 50
    assert any(s.title is None for s in first.scenes.values())  # some scenes have no title
    assert StashLibrary.generated(3, first_id=10).scenes.keys() == {10, 11, 12}


async def test_the_command_line_serves_a_library(tmp_path: Path, socket_enabled: None) -> None:
    data = tmp_path / "stash.json"
    data.write_text(
        json.dumps(
            {
                "studios": [{"id": 1, "name": "CLI Studio"}],
                "scenes": [{"id": 7, "files": ["/data/cli.mp4"], "title": "CLI", "studio": 1}],
            }
        )
    )
    repository = Path(__file__).parents[2]
    for extra in (["--data", str(data), "--api-key", "cli-key"], ["--scenes", "50"]):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.emulators.stash", "--port", "0", *extra,
            stdout=asyncio.subprocess.PIPE, cwd=repository,
            env={**os.environ, "PYTHONPATH": str(repository)},
        )  # fmt: skip
        try:
            assert process.stdout is not None
            async with asyncio.timeout(30):
                line = (await process.stdout.readline()).decode()
            assert line.startswith("Stash emulator listening on http://127.0.0.1:")
            url = line.split()[-1]
            async with aiohttp.ClientSession() as http:
                if "--data" in extra:
                    status, body = await _graphql(
                        http, url, '{ findScene(id: "7") { title studio { name } } }', key="cli-key"
                    )
                    assert status == 200
                    assert body["data"]["findScene"] == {
                        "title": "CLI",
                        "studio": {"name": "CLI Studio"},
                    }
                    assert (await _graphql(http, url, "{ version { hash } }", key=None))[0] == 401
                else:
                    status, body = await _graphql(http, url, SCENES, key=None)
                    assert (status, body["data"]["findScenes"]["count"]) == (200, 50)
        finally:
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                assert await process.wait() == 0
