"""Removing an entry deletes its database and repair issues, and nothing else.

Home Assistant's configuration folder is a fresh one per test here, so the storage folder
holds only what the test put there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.videodrome import issues
from custom_components.videodrome.const import DOMAIN
from custom_components.videodrome.entry_files import database_path, remove_entry_files

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry


@pytest.fixture
def hass_config_dir(tmp_path: Path) -> str:
    """An empty configuration folder of the test's own (not the shared testing_config)."""
    config = tmp_path / "config"
    (config / ".storage").mkdir(parents=True)
    return str(config)


def _tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under `root`: its inode and content (a link or a rename would show)."""
    return {
        str(path.relative_to(root)): (path.stat().st_ino, path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


async def _ingest(hass: HomeAssistant, source: Path) -> Any:
    response: Any = await hass.services.async_call(
        DOMAIN, "ingest", {"path": str(source)}, blocking=True, return_response=True
    )
    (result,) = response["results"]
    return result


async def test_removing_an_entry_deletes_its_database_and_issues_only(
    hass: HomeAssistant,
    make_ingest_entry: Callable[..., MockConfigEntry],
    media_root: Path,
    tmp_path: Path,
) -> None:
    entry = make_ingest_entry()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    source = tmp_path / "ingest" / "Titanic.1997.1080p.BluRay.x264-GRP.mkv"
    source.write_bytes(b"titanic")
    assert (await _ingest(hass, source))["status"] == "ingested"
    filed = (
        media_root / "Movies" / "Titanic (1997) {tmdb-597}" / "Titanic (1997) - 1080p Blu-ray.mkv"
    )
    assert filed.read_bytes() == b"titanic"
    database = database_path(hass, entry.entry_id)
    assert database.is_file()
    storage = database.parent
    # Another entry's database and Home Assistant's own files sit beside it.
    neighbours = {
        storage / f"{DOMAIN}_01OTHERENTRY.db": b"another entry",
        storage / f"{DOMAIN}_{entry.entry_id}.db.backup": b"the user's copy",
        storage / "core.config_entries": b"{}",
    }
    for path, content in neighbours.items():
        path.write_bytes(content)
    issues.report(hass, issues.ISSUE_PATH_MAPPING, entry.entry_id, folder="/x")
    issues.report(hass, issues.ISSUE_PATH_MAPPING, "01OTHERENTRY", folder="/y")
    library, ingest = _tree(media_root), _tree(tmp_path / "ingest")

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert not database.exists()
    assert not [p for p in storage.iterdir() if p.name.startswith(database.name + "-")]
    assert {path: path.read_bytes() for path in neighbours} == neighbours
    assert _tree(media_root) == library
    assert _tree(tmp_path / "ingest") == ingest
    assert source.read_bytes() == b"titanic"
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, f"path_mapping_wrong_{entry.entry_id}") is None
    assert registry.async_get_issue(DOMAIN, "path_mapping_wrong_01OTHERENTRY") is not None


async def test_only_regular_files_named_after_the_entry_are_deleted(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A link or a folder in a database file's place stays, and so does what a link points to."""
    entry_id = "01KQJJ0TG012VCMSGNX5TK3AX9"
    database = database_path(hass, entry_id)
    outside = tmp_path / "precious.db"
    outside.write_bytes(b"not Videodrome's")
    database.write_bytes(b"sqlite")
    database.with_name(database.name + "-wal").write_bytes(b"wal")
    database.with_name(database.name + "-shm").symlink_to(outside)
    database.with_name(database.name + "-journal").mkdir()

    removed = remove_entry_files(hass, entry_id)

    assert sorted(p.name for p in removed) == [database.name, database.name + "-wal"]
    assert database.with_name(database.name + "-shm").is_symlink()
    assert database.with_name(database.name + "-journal").is_dir()
    assert outside.read_bytes() == b"not Videodrome's"
    assert remove_entry_files(hass, entry_id) == []  # nothing left to remove, no error


@pytest.mark.parametrize("entry_id", ["x/../../precious", "x/../x", "", "01KQ.db"])
async def test_an_entry_id_that_is_no_plain_name_removes_nothing(
    hass: HomeAssistant, tmp_path: Path, entry_id: str
) -> None:
    """A made-up id cannot point the removal anywhere, not even at a file of its own name."""
    config = tmp_path / "config"
    storage = config / ".storage"
    (storage / f"{DOMAIN}_x").mkdir()
    precious = {
        config / "precious.db": b"keep",  # where "x/../../precious" would lead
        storage / f"{DOMAIN}_x.db": b"keep",  # where "x/../x" would lead
        storage / f"{DOMAIN}_.db": b"keep",
        storage / f"{DOMAIN}_01KQ.db.db": b"keep",
    }
    for path, content in precious.items():
        path.write_bytes(content)
    assert remove_entry_files(hass, entry_id) == []
    assert {path: path.read_bytes() for path in precious} == precious
