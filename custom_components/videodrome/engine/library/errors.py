"""The library index's errors: when it cannot say whether Plex already has a title."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import VideodromeError

if TYPE_CHECKING:
    from .loading import SectionLoad


class LibraryUnknownError(VideodromeError):
    """The index cannot say whether Plex has a title: "not found" could be wrong."""


class LibraryNotLoadedError(LibraryUnknownError):
    """Plex's library has not been read yet (Plex has not answered since the start)."""


class LibraryIncompleteError(LibraryUnknownError):
    """Not in the index, but a library section that could hold it is missing from it."""

    def __init__(self, sections: tuple[SectionLoad, ...]) -> None:
        """`sections`: the sections missing, entirely or in part."""
        titles = ", ".join(f"{s.title} ({s.state})" for s in sections)
        super().__init__(f"the library index is incomplete: {titles}")
        self.sections = sections
