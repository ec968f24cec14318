"""TMDb's own recorded answers, served again on loopback: nobody here wrote them.

The WireMock mappings of jellyfin/TMDbLib (`../shared/corpora/tmdblib-wiremock`, MIT) are real
TMDb v3 answers with the request each answered. `RecordedTMDb` serves them by path: among the
recordings of a path that do not contradict the request (a recorded parameter the request
also sends has the same value; the parts appended and the language may differ: a details
request appending parts TMDbLib did not ask for gets the plain answer), the one that shares
the most parameters with it. A request nothing answers gets TMDb's 404 body.
Any API key is accepted; the key is not part of the recordings.

`CORPORA` is where the corpora are expected, beside the repository; tests that need them skip
when it is absent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
import orjson

from tests.emulators.server import EmulatorServer

if TYPE_CHECKING:
    from collections.abc import Iterable

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
WIREMOCK = CORPORA / "tmdblib-wiremock" / "mappings"
# Parameters that change what an answer holds, not which work it is about.
LOOSE = frozenset({"append_to_response", "language", "include_image_language"})
NOT_FOUND = {
    "success": False,
    "status_code": 34,
    "status_message": "The resource you requested could not be found.",
}


@dataclass(frozen=True, slots=True)
class Recording:
    """One recorded exchange: the request's path and parameters, TMDb's status and body."""

    path: str
    params: dict[str, str]
    status: int
    body: Any


def read_mappings(folder: Path = WIREMOCK) -> list[Recording]:
    """Every GET mapping of the folder with a JSON body."""
    found: list[Recording] = []
    for file in sorted(folder.glob("*.json")):
        mapping = json.loads(file.read_text(encoding="utf-8"))
        request, response = mapping.get("Request", {}), mapping.get("Response", {})
        if "GET" not in request.get("Methods", []) or "BodyAsJson" not in response:
            continue
        matchers = request.get("Path", {}).get("Matchers", [])
        if not matchers:
            continue
        params = {
            p["Name"]: p["Matchers"][0]["Pattern"]
            for p in request.get("Params", [])
            if p.get("Matchers")
        }
        status, body = response["StatusCode"], response["BodyAsJson"]
        found.append(Recording(matchers[0]["Pattern"], params, status, body))
    return found


class RecordedTMDb(EmulatorServer):
    """An aiohttp server answering TMDb v3 requests with recorded answers (`url` ends in /3)."""

    path = "/3"

    def __init__(self, recordings: Iterable[Recording] | None = None) -> None:
        """Serve `recordings` (TMDbLib's by default)."""
        super().__init__()
        self.by_path: dict[str, list[Recording]] = {}
        for recording in read_mappings() if recordings is None else recordings:
            self.by_path.setdefault(recording.path, []).append(recording)
        self.counts: Counter[str] = Counter()  # requests by path
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._answer)
        self.app = app

    def pick(self, path: str, query: dict[str, str]) -> Recording | None:
        """The recording that answers `path` with `query`, if any."""
        compatible = [
            r
            for r in self.by_path.get(path, [])
            if all(query.get(k, v) == v for k, v in r.params.items() if k not in LOOSE)
        ]
        return max(
            compatible,
            key=lambda r: (sum(query.get(k) == v for k, v in r.params.items()), -len(r.params)),
            default=None,
        )

    async def _answer(self, request: web.Request) -> web.Response:
        self.counts[request.path] += 1
        query = {k: v for k, v in request.query.items() if k != "api_key"}
        recording = self.pick(request.path, query)
        status, body = (404, NOT_FOUND) if recording is None else (recording.status, recording.body)
        return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")
