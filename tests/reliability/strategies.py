"""Hypothesis strategies for hostile file names, paths and text.

Names are built from pieces that have broken media tools before: release-name tokens, `..`,
separators of both flavours, NUL and other control characters, surrogates (undecodable bytes
read with `surrogateescape`), bidirectional overrides, zero-width and combining characters,
look-alike slashes, Windows device names, ID hints, braces and very long runs.
"""

from __future__ import annotations

from hypothesis import strategies as st

HOSTILE = (
    "..",
    ".",
    "/",
    "\\",
    "//",
    "../..",
    "\x00",
    "\n",
    "\r\n",
    "\t",
    "\x1b[31m",
    "\x7f",
    "\udc80",
    "\udcff",
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\ufeff",
    "e\u0301",  # combining acute
    "\u2215",  # division slash
    "\uff0f",  # fullwidth solidus
    "%2e%2e",
    "~",
    "$HOME",
    "CON",
    "nul",
    "COM1",
    "LPT¹",
    ":",
    "*",
    "?",
    '"',
    "<>",
    "|",
    "{tmdb-603}",
    "{tmdb-}",
    "[imdbid-tt0133093]",
    "{edition-Director's Cut}",
    "{edition-../../x}",
    "tt1234567",
    "🎬",
    "名前",
    "Ωmega",
    " ",
    "   ",
    ". .",
)
WORDS = (
    "The",
    "Matrix",
    "Titanic",
    "Dune",
    "Part",
    "Two",
    "Blade",
    "Runner",
    "2049",
    "1999",
    "S01E02",
    "s2024e01",
    "1x03",
    "E05",
    "Season 1",
    "2024.03.05",
    "1080p",
    "2160p",
    "BluRay",
    "WEB-DL",
    "x264",
    "HEVC",
    "REMUX",
    "GRP",
    "sample",
    "trailer",
    "Extras",
    "pt1",
    "cd2",
    "Director's Cut",
    "Extended",
)
EXTENSIONS = (".mkv", ".mp4", ".avi", ".srt", ".part", ".mkv.part", ".!qB", ".nfo", "", ".MKV")
SEPARATORS = (".", " ", "_", "-", "/", " - ")

hostile_text = st.text(
    # Every code point, surrogates included (`exclude_categories=()`).
    alphabet=st.characters(exclude_categories=()),
    max_size=40,
)
token = st.one_of(st.sampled_from(HOSTILE), st.sampled_from(WORDS), hostile_text)


@st.composite
def release_names(draw: st.DrawFn) -> str:
    """A file name (or relative path) built from release tokens and hostile pieces."""
    tokens = draw(st.lists(token, min_size=1, max_size=12))
    separators = draw(
        st.lists(st.sampled_from(SEPARATORS), min_size=len(tokens), max_size=len(tokens))
    )
    name = "".join(t + s for t, s in zip(tokens, separators, strict=True))
    return name + draw(st.sampled_from(EXTENSIONS))


overlong = st.builds(
    lambda unit, n, ext: unit * n + ext,
    st.sampled_from(("a", "é", "名", "🎬", "../", "x.", " ")),
    st.integers(min_value=60, max_value=1500),
    st.sampled_from(EXTENSIONS),
)
names = st.one_of(release_names(), hostile_text, overlong)
"""Any file name or relative path worth throwing at a parser or a path check."""

titles = st.one_of(
    st.sampled_from(("Mission: Impossible", "AC/DC: Live", "..", ".", "CON", "What?", "x" * 400)),
    hostile_text,
    release_names(),
)
"""Titles as TMDb (a remote server) might send them: anything at all."""
