"""Answers without absolute paths: names relative to the configured folders, else last parts."""

from __future__ import annotations

import pytest

from custom_components.videodrome.engine.redact import is_absolute, redact_paths

ROOTS = [
    "/srv/ingest",
    "/srv/media/Movies/",  # a trailing separator changes nothing
    "/srv/media/TV Shows",
    "D:\\Plex\\Movies",
    "/",  # a bare root would say nothing: ignored
    "relative/folder",  # not a folder anyone configured: ignored
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/srv/ingest/Dune.2021.mkv", "Dune.2021.mkv"),
        ("/srv/ingest/sub/dir/x.mkv", "sub/dir/x.mkv"),
        ("/srv/ingest/(2021) x.mkv", "(2021) x.mkv"),
        ("/srv/ingest/ spaced", "ingest spaced"),
        ("/srv/media/Movies/Dune (2021)/Dune (2021).mkv", "Dune (2021)/Dune (2021).mkv"),
        ("/srv/media/TV Shows/Lost (2004)/Season 01/e.mkv", "Lost (2004)/Season 01/e.mkv"),
        ("/srv/media/Movies", "Movies"),  # a root itself: its name
        ("/srv/media/Movies/", "Movies"),
        ("/srv/ingestion/x.mkv", "x.mkv"),  # a prefix of a name is not the folder
        ("/etc/passwd", "passwd"),  # outside every folder: the last part
        ("D:\\Plex\\Movies\\Heat (1995)\\Heat.mkv", "Heat (1995)\\Heat.mkv"),
        ("C:\\Users\\me\\x.mkv", "x.mkv"),
        ("\\\\nas\\share\\x.mkv", "x.mkv"),
        ("//nas/share/x.mkv", "x.mkv"),
        # Inside text: every path, whatever quotes or punctuation surround it.
        (
            "[Errno 2] No such file or directory: '/srv/media/Movies/Dune (2021)/x.mkv'",
            "[Errno 2] No such file or directory: 'Dune (2021)/x.mkv'",
        ),
        ("copy /srv/ingest/a.mkv -> /var/lib/b.mkv failed", "copy a.mkv -> b.mkv failed"),
        ("folders: /srv/ingest, /srv/media/TV Shows", "folders: ingest, TV Shows"),
        ("file:/srv/ingest/a.mkv", "file:a.mkv"),
        ("(/opt/x/y.mkv)", "(y.mkv)"),
        ("/var/my dir/x.mkv", "my dir/x.mkv"),  # unknown folders with spaces: nothing absolute
        # Left alone: relative names, URLs, Plex's guids, plain text.
        ("Dune (2021)/Dune (2021).mkv", "Dune (2021)/Dune (2021).mkv"),
        (
            "Westworld (2016) {tvdb-296762}/Season 01/x.mkv",
            "Westworld (2016) {tvdb-296762}/Season 01/x.mkv",
        ),
        ("https://image.tmdb.org/t/p/w342/abc.jpg", "https://image.tmdb.org/t/p/w342/abc.jpg"),
        ("plex://movie/5d776b59ad5437001f79c6f8", "plex://movie/5d776b59ad5437001f79c6f8"),
        ("movies and/or shows, 1/2 done", "movies and/or shows, 1/2 done"),
        ("no path here", "no path here"),
    ],
)
def test_strings(text: str, expected: str) -> None:
    assert redact_paths(text, ROOTS) == expected


def test_structures_are_walked_and_left_as_they_were() -> None:
    answer = {
        "path": "/srv/ingest/Dune.mkv",
        "companions": [["/srv/ingest/Dune.en.srt", "/srv/media/Movies/Dune (2021)/Dune.en.srt"]],
        "pair": ("/srv/ingest", 3),
        "nested": {"files": ["/srv/media/Movies/a.mkv"], "size": 12, "ok": True, "none": None},
    }
    before = repr(answer)
    redacted = redact_paths(answer, ROOTS)
    assert redacted == {
        "path": "Dune.mkv",
        "companions": [["Dune.en.srt", "Dune (2021)/Dune.en.srt"]],
        "pair": ("ingest", 3),
        "nested": {"files": ["a.mkv"], "size": 12, "ok": True, "none": None},
    }
    assert repr(answer) == before  # a new value; the answer is untouched


def test_tmdb_poster_paths_stay_other_paths_do_not() -> None:
    """TMDb's "/abc.jpg" names an image on TMDb's server; a deeper path is a local one."""
    answer = {
        "poster_path": "/abc.jpg",
        "candidates": [{"poster_path": "/srv/ingest/poster.jpg"}, {"poster_path": None}],
        "other": "/abc.jpg",
    }
    assert redact_paths(answer, ROOTS) == {
        "poster_path": "/abc.jpg",
        "candidates": [{"poster_path": "poster.jpg"}, {"poster_path": None}],
        "other": "abc.jpg",
    }


def test_the_innermost_folder_wins() -> None:
    roots = ["/srv", "/srv/media/Movies"]
    assert redact_paths("/srv/media/Movies/x.mkv", roots) == "x.mkv"
    assert redact_paths("/srv/media/Other/x.mkv", roots) == "media/Other/x.mkv"


def test_without_roots_only_last_parts() -> None:
    assert redact_paths(["/a/b/c.mkv", "x"], []) == ["c.mkv", "x"]


@pytest.mark.parametrize(
    ("text", "absolute"),
    [("/x", True), ("C:\\x", True), ("c:/x", True), ("\\\\nas\\x", True), ("x/y", False)],
)
def test_is_absolute(text: str, absolute: bool) -> None:
    assert is_absolute(text) is absolute
