"""Non-admin answers over generated paths and text (Hypothesis, deterministic in CI).

- a path inside a configured folder becomes exactly its name relative to that folder;
- whatever text surrounds them, no absolute path survives where a path may start (the
  start, after a space, a quote, an opening bracket, "=", ",", ";" or ":"), and no
  configured folder appears at all.

What is left as prose: "/" followed by a space, a quote, "," or ";" ("movies / shows").
What the first property leaves out: a relative name in which a folder's name ends with an
opening bracket ("x (/y"): the rest looks like a path starting there, and is shortened too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hypothesis import given, settings, strategies as st

from custom_components.videodrome.engine.redact import redact_paths

if TYPE_CHECKING:
    from tests.reliability.conftest import Counter

EXAMPLES = 600
# Ordinary names: letters and digits of any script, and the punctuation titles use.
_PLAIN = st.characters(categories=("L", "N"), exclude_characters="\x00") | st.sampled_from(
    list(" .-_()[]{}!&+#~@")
)
plain_names = st.text(_PLAIN, min_size=1, max_size=12).filter(
    lambda n: n == n.strip() and n not in {".", ".."} and n[-1] not in "([{"
)
# Anything a file system allows in a name but a separator (and NUL).
any_names = st.text(
    st.characters(exclude_characters="/\\\x00"),
    min_size=1,
    max_size=12,
)
roots = st.lists(plain_names, min_size=2, max_size=4).map(lambda parts: "/" + "/".join(parts))
_SEPARATORS = (" ", ": '", "' ", ", ", "\n", "(", "=", '"', "; ", " -> ")
# An absolute path where one may start: a separator, then something a path is made of.
_PATH_START = re.compile(r"""(?:^|[\s'"`(\[{<=,;:])[/\\][^\s'"`<>|,;]""")


@settings(max_examples=EXAMPLES)
@given(root=roots, parts=st.lists(plain_names, min_size=1, max_size=5))
def test_a_path_in_a_folder_becomes_its_relative_name(
    root: str, parts: list[str], generated: Counter
) -> None:
    generated()
    relative = "/".join(parts)
    assert redact_paths(f"{root}/{relative}", [root]) == relative
    assert redact_paths(root, [root]) == root.rsplit("/", 1)[-1]


@st.composite
def texts(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Text mixing words, paths inside configured folders and other absolute paths."""
    folders = draw(st.lists(roots, min_size=1, max_size=3))
    words = st.text(st.characters(exclude_characters="/\\\x00"), max_size=10)
    inside = st.builds(
        lambda root, names: "/".join([root, *names]),
        st.sampled_from(folders),
        st.lists(any_names, max_size=4),
    )
    foreign = st.builds(
        lambda first, names: "/".join(["", first, *names]),
        plain_names,
        st.lists(any_names, max_size=4),
    )
    pieces = draw(st.lists(words | inside | foreign, min_size=1, max_size=6))
    text = ""
    for piece in pieces:
        text += draw(st.sampled_from(_SEPARATORS)) + piece
    return text, folders


@settings(max_examples=EXAMPLES)
@given(case=texts())
def test_no_absolute_path_survives_in_text(case: tuple[str, list[str]], generated: Counter) -> None:
    generated()
    text, folders = case
    redacted = redact_paths({"error": text, "paths": [text]}, folders)
    assert redacted["paths"] == [redacted["error"]]
    for out in redacted["paths"]:
        assert _PATH_START.search(out) is None, (text, out)
        assert not any(folder in out for folder in folders), (text, out)
