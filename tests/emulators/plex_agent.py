"""The emulated Plex server's side of a custom metadata provider: what PMS asks when it scans.

Plex Media Server 1.43 scans a library whose agent is a custom provider like this (its provider
docs, shared/research/provider_perf.md §A): for each new file, `POST {provider}/library/
metadata/matches` with the file's path relative to the library and the language and country
as query parameters; the first answer's key (relative to the provider's URL) is then asked for
(`GET {provider}{key}`), the images it names are downloaded, and only then is the item stored
under the provider's guid, with the provider's title, year and date. A file the provider does
not know becomes an unmatched item (`local://` guid), as in a scan with Plex's own agents.

`ProviderAgent.scan` does that for one section of a `PlexEmulator`, waiting `store_delay`
seconds between the provider's answer and storing the item (Plex's own work), and records
every request it made (`asked`), every image it downloaded (`images`), and how many requests
the emulator had recorded when each item was stored (`stored_at`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any

from tests.emulators.plex_library import timeline_entries

if TYPE_CHECKING:
    import aiohttp

    from tests.emulators.plex import PlexEmulator
    from tests.emulators.plex_library import Item, Section

IMAGE_FIELDS = ("thumb", "art")
TAG_LISTS = ("Role", "Collection")


@dataclass
class Asked:
    """A request to the provider: method, URL, status."""

    method: str
    url: str
    status: int


@dataclass
class ProviderAgent:
    """Plex's scanner with a custom provider as a section's agent."""

    plex: PlexEmulator
    provider_url: str
    session: aiohttp.ClientSession
    store_delay: float = 0.0
    language: str = "en-US"
    asked: list[Asked] = field(default_factory=list)
    images: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)  # url: status...
    stored_at: dict[str, int] = field(default_factory=dict)  # guid: emulator requests so far

    async def scan(self, section_key: int) -> list[Item]:
        """Match, describe and store every file of the section Plex does not have yet."""
        library = self.plex.library
        section = library.sections[section_key]
        found = await asyncio.get_running_loop().run_in_executor(None, library.walk, section)
        known = {file for item in library.items.values() for file, _ in item.files}
        added = [
            await self._add(section, Path(path), size)
            for path, size in sorted(found.items())
            if path not in known
        ]
        section.scanned_at = int(time.time())
        return added

    async def _add(self, section: Section, path: Path, size: int) -> Item:
        location = next(
            Path(loc.path) for loc in section.locations if path.is_relative_to(loc.path)
        )
        relative = "/" + path.relative_to(location).as_posix()
        body = {"type": 1, "title": path.stem, "filename": relative, "includeChildren": 0}
        params = {"X-Plex-Language": self.language, "X-Plex-Country": "US"}
        answer = await self._json("POST", "/library/metadata/matches", json=body, params=params)
        matches = answer["MediaContainer"]["Metadata"]
        if not matches:
            return await self._store(
                section, path, size, guid=f"local://{path.stem}", title=path.stem
            )
        described = await self._json("GET", matches[0]["key"], params=params)
        (metadata,) = described["MediaContainer"]["Metadata"]
        for url in image_urls(metadata):
            await self._download(url)
        await asyncio.sleep(self.store_delay)
        date = metadata.get("originallyAvailableAt") or None
        item = await self._store(
            section,
            path,
            size,
            guid=metadata["guid"],
            title=metadata["title"],
            year=metadata.get("year"),
            originally_available_at=date,
        )
        item.poster = metadata.get("thumb")
        return item

    async def _store(self, section: Section, path: Path, size: int, **fields: Any) -> Item:
        self.stored_at[fields["guid"]] = len(self.plex.requests)
        item = self.plex.library._new(
            type="movie", section_key=section.key, files=[(str(path), size)], **fields
        )
        container = {"type": "timeline", "size": 1, "TimelineEntry": timeline_entries(item, (5,))}
        await self.plex.broadcast({"NotificationContainer": container})
        return item

    async def _json(self, method: str, key: str, **kwargs: Any) -> Any:
        url = self.provider_url + key  # feature keys are relative to the provider's URL
        async with self.session.request(method, url, **kwargs) as response:
            self.asked.append(Asked(method, url, response.status))
            response.raise_for_status()
            return await response.json()

    async def _download(self, url: str) -> None:
        async with self.session.get(url) as response:
            self.asked.append(Asked("GET", url, response.status))
            self.images[url] = (response.status, response.content_type, await response.read())


def image_urls(metadata: dict[str, Any]) -> list[str]:
    """Every image a Metadata object names: its own, its roles' and its collections'."""
    urls = [metadata[name] for name in IMAGE_FIELDS if metadata.get(name)]
    urls += [image["url"] for image in metadata.get("Image", [])]
    urls += [tag["thumb"] for name in TAG_LISTS for tag in metadata.get(name, []) if "thumb" in tag]
    return list(dict.fromkeys(urls))
