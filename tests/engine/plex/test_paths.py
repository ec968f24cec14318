"""Plex-side path checks: what the scan service accepts and which section a folder belongs to."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

import pytest

from custom_components.videodrome.engine.errors import UnsafePathError
from custom_components.videodrome.engine.plex.models import LibrarySection
from custom_components.videodrome.engine.plex.paths import (
    MAX_PATH_LENGTH,
    is_within,
    plex_path,
    section_for_path,
)


def _section(key: int, *locations: str) -> LibrarySection:
    return LibrarySection(
        key=key,
        uuid=f"uuid-{key}",
        title=f"Section {key}",
        type="movie",
        agent=None,
        scanner=None,
        locations=locations,
        refreshing=False,
        scanned_at=None,
        updated_at=None,
    )


def test_posix_path_is_parsed_as_posix() -> None:
    assert plex_path("/data/media/Movies") == PurePosixPath("/data/media/Movies")


@pytest.mark.parametrize("path", [r"D:\Movies\Alien (1979)", "D:/Movies", r"\\nas\media\TV"])
def test_windows_paths_are_parsed_as_windows(path: str) -> None:
    assert isinstance(plex_path(path), PureWindowsPath)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("relative/folder", "absolute"),
        ("/data/../etc", "'..'"),
        ("/data/movies\x00/x", "control"),
        ("/data/movies\n", "control"),
        ("/" + "a" * MAX_PATH_LENGTH, "too long"),
    ],
)
def test_unsafe_paths_are_refused_with_a_reason(path: str, reason: str) -> None:
    with pytest.raises(UnsafePathError, match=reason):
        plex_path(path)


def test_is_within_needs_the_same_path_flavour() -> None:
    assert is_within(PurePosixPath("/a/b"), PurePosixPath("/a"))
    assert is_within(PurePosixPath("/a"), PurePosixPath("/a"))
    assert not is_within(PurePosixPath("/ab"), PurePosixPath("/a"))
    assert not is_within(PurePosixPath("/a/b"), PureWindowsPath("C:/a"))


def test_windows_paths_compare_case_insensitively() -> None:
    assert is_within(plex_path(r"d:\movies\alien"), plex_path(r"D:\Movies"))


def test_section_for_path_prefers_the_deepest_location() -> None:
    outer = _section(1, "/media")
    inner = _section(2, "/media/tv")
    found = section_for_path([outer, inner], plex_path("/media/tv/Dark (2017)"))
    assert found == (inner, PurePosixPath("/media/tv"))


def test_section_for_path_is_none_outside_every_location() -> None:
    assert section_for_path([_section(1, "/media/movies")], plex_path("/srv/other")) is None


def test_section_for_path_skips_unparseable_locations() -> None:
    broken = _section(1, "relative/location", "")
    good = _section(2, "/media/movies")
    assert section_for_path([broken, good], plex_path("/media/movies/x")) == (
        good,
        PurePosixPath("/media/movies"),
    )
