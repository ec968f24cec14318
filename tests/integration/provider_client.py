"""A client of the metadata provider that asks as PMS does, for the provider's HTTP tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custom_components.videodrome.const import CONF_PROVIDER_ID
from custom_components.videodrome.provider_http import PROVIDER_URL

if TYPE_CHECKING:
    from aiohttp import ClientResponse
    from aiohttp.test_utils import TestClient
    from homeassistant.config_entries import ConfigEntry


def roots(entry: ConfigEntry[Any]) -> tuple[str, str]:
    """The movie and TV providers' paths of an entry (its secret id in them)."""
    base = f"{PROVIDER_URL}/{entry.data[CONF_PROVIDER_ID]}"
    return f"{base}/movie", f"{base}/tv"


class Plex:
    """Calls the providers as PMS does, and keeps every body it was sent back."""

    def __init__(self, client: TestClient[Any, Any]) -> None:
        self.client = client
        self.bodies: list[str] = []

    async def _read(self, response: ClientResponse) -> tuple[int, Any, ClientResponse]:
        text = await response.text()
        self.bodies.append(text)
        assert response.content_type == "application/json", text
        return response.status, (await response.json()) if text else None, response

    async def get(self, path: str, **kwargs: Any) -> tuple[int, Any, ClientResponse]:
        return await self._read(await self.client.get(path, **kwargs))

    async def post(self, path: str, **kwargs: Any) -> tuple[int, Any, ClientResponse]:
        return await self._read(await self.client.post(path, **kwargs))

    async def raw(self, method: str, path: str, **kwargs: Any) -> tuple[int, str, ClientResponse]:
        """Any answer, JSON or not (Home Assistant's own 404 is text)."""
        response = await self.client.request(method, path, **kwargs)
        text = await response.text()
        self.bodies.append(text)
        return response.status, text, response

    async def shape(self, method: str, path: str, **kwargs: Any) -> tuple[Any, ...]:
        """What tells answers apart: status, body, content type, header names (not the date)."""
        status, text, response = await self.raw(method, path, **kwargs)
        names = sorted(name for name in response.headers if name.lower() != "date")
        return status, text, response.content_type, names

    async def answered(
        self, method: str, path: str, tries: int = 10, **kwargs: Any
    ) -> tuple[int, Any, ClientResponse]:
        """What PMS gets by asking again after each 503 (each try's TMDb data stays cached)."""
        for _ in range(tries):
            status, data, response = await self._read(
                await self.client.request(method, path, **kwargs)
            )
            if status != 503:
                return status, data, response
            assert int(response.headers["Retry-After"]) >= 1
        raise AssertionError(f"still 503 after {tries} tries: {data}")

    async def match(self, root: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        status, data, _ = await self.answered("POST", f"{root}/library/metadata/matches", json=body)
        assert status == 200, data
        metadata: list[dict[str, Any]] = data["MediaContainer"]["Metadata"]
        return metadata
