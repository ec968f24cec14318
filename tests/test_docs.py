"""The documentation holds together: a short README, and every relative link resolves.

The README is for users and stays short; everything else lives in docs/ and CONTRIBUTING.md,
reached by links. A link to a file that moved, or to a heading that was renamed, fails here
(anchors are GitHub's: the heading's text, lower case, punctuation dropped, spaces as dashes).
"""

from __future__ import annotations

import json
from pathlib import Path
import re

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / "videodrome"
README = ROOT / "README.md"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
DOCUMENTS = sorted([README, CONTRIBUTING, ROOT / "info.md", *(ROOT / "docs").glob("*.md")])
MAX_README_LINES = 300

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _prose(markdown: str) -> str:
    """The text outside code: fenced blocks dropped, code spans replaced by a placeholder."""
    return _CODE_SPAN.sub("code", _FENCE.sub("", markdown))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every anchor a Markdown document offers (repeated headings get -1, -2, …)."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in _HEADING.findall(_FENCE.sub("", markdown)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    found.update(_HTML_ANCHOR.findall(markdown))
    return found


def relative_links(markdown: str) -> list[str]:
    """The targets of the document's links and images that point inside the repository."""
    return [t for t in _LINK.findall(_prose(markdown)) if not _SCHEME.match(t)]


def broken_links(document: Path, root: Path = ROOT) -> list[str]:
    """Each relative link of `document` whose file (or heading) does not exist in `root`."""
    broken: list[str] = []
    for target in relative_links(document.read_text(encoding="utf-8")):
        path, _, fragment = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not resolved.is_relative_to(root):
            broken.append(f"{target}: outside the repository")
        elif not resolved.exists():
            broken.append(f"{target}: no such file")
        elif (
            fragment
            and resolved.suffix == ".md"
            and fragment not in anchors(resolved.read_text(encoding="utf-8"))
        ):
            broken.append(f"{target}: no heading with that anchor")
    return broken


def _section(document: Path, title: str) -> str:
    """The text under the heading `title` of `document`, up to the next heading."""
    text = document.read_text(encoding="utf-8")
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"{document.name} has no heading {title}"
    return match.group(1)


def test_the_readme_is_short() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines"


def test_the_documents_exist() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in DOCUMENTS}
    for name in ("docs/services.md", "docs/provider.md", "docs/reliability.md"):
        assert name in names
    assert {"docs/benchmarks.md", "docs/architecture.md", "CONTRIBUTING.md"} <= names


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(document: Path) -> None:
    assert broken_links(document) == []


def test_the_readme_links_to_every_document_in_docs() -> None:
    targets = {t.partition("#")[0] for t in relative_links(README.read_text(encoding="utf-8"))}
    for document in (ROOT / "docs").glob("*.md"):
        assert document.relative_to(ROOT).as_posix() in targets, document.name


def test_contributing_names_the_two_commands() -> None:
    text = CONTRIBUTING.read_text(encoding="utf-8")
    assert "scripts/develop" in text
    assert "scripts/test" in text


def test_every_action_is_in_the_readme_and_in_the_reference() -> None:
    actions = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    readme = README.read_text(encoding="utf-8")
    reference = anchors((ROOT / "docs" / "services.md").read_text(encoding="utf-8"))
    for name, action in actions.items():
        assert f"| `videodrome.{name}` |" in readme, name
        assert f"videodrome{name}" in reference, name
        section = _section(ROOT / "docs" / "services.md", f"`videodrome.{name}`")
        for field in action.get("fields", {}):
            assert f"`{field}`" in section, (name, field)


def test_every_option_is_in_the_readme() -> None:
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    config = strings["config"]["step"]["ingest"]["data"]
    readme = README.read_text(encoding="utf-8")
    for key, label in strings["options"]["step"]["init"]["data"].items():
        shown = config[key] if label.startswith("[%key:") else label  # shared with the setup
        assert shown in readme, key


def test_every_option_of_every_page_is_in_the_configuration_reference() -> None:
    """Each field of the options' pages (the ingest page, the Stash page) by its label."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    config = strings["config"]["step"]["ingest"]["data"]
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    pages = strings["options"]["step"]
    assert {"init", "stash"} <= set(pages)
    for page in pages.values():
        for key, label in page["data"].items():
            shown = config[key] if label.startswith("[%key:") else label
            assert shown in reference, key


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("10,000 files at once", "10000-files-at-once"),
        ("`videodrome.check_library`", "videodromecheck_library"),
        ("The engine's command line", "the-engines-command-line"),
        ("Options (ingest settings)", "options-ingest-settings"),
        ("Dependencies, and why each", "dependencies-and-why-each"),
        ("See [the card](review-card.md)", "see-the-card"),
    ],
)
def test_anchors_are_github_s(heading: str, expected: str) -> None:
    assert slug(heading) == expected


def test_a_broken_link_is_caught(tmp_path: Path) -> None:
    """The check itself: a missing file, a missing heading, and a link out of the repository."""
    (tmp_path / "README.md").write_text("# Videodrome\n\n## Install\n", encoding="utf-8")
    document = tmp_path / "docs" / "example.md"
    document.parent.mkdir()
    document.write_text(
        "# Title\n\n[ok](#title) [up](../README.md#install) [gone](nowhere.md)\n"
        "[heading](../README.md#no-such-heading) [out](../../etc/passwd)\n"
        "[web](https://example.org/x) `[code](nowhere.md)`\n"
        "```\n[fenced](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(document, root=tmp_path.resolve()) == [
        "nowhere.md: no such file",
        "../README.md#no-such-heading: no heading with that anchor",
        "../../etc/passwd: outside the repository",
    ]
