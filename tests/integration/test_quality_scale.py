"""quality_scale.yaml covers the Integration Quality Scale; the brand images follow HA's rules.

The rules are those of developers.home-assistant `integration-quality-scale/_includes/tiers.json`,
which hassfest's `ALL_RULES` matches (see the research note ha_anchors.md, section 1). The image
rules are those of the home-assistant/brands README: PNG, transparent, trimmed; icon 256x256
(512x512 @2x); logo landscape with its shortest side 128-256 px (256-512 px @2x).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image
import pytest
import yaml

COMPONENT = Path(__file__).resolve().parents[2] / "custom_components" / "videodrome"

TIERS: dict[str, tuple[str, ...]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow-test-coverage",
        "config-flow",
        "dependency-transparency",
        "docs-actions",
        "docs-triggers",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery-update-info",
        "discovery",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
ALL_RULES = [rule for rules in TIERS.values() for rule in rules]
STATUSES = {"done", "todo", "exempt"}

ICONS = {"icon.png": 256, "icon@2x.png": 512}
LOGOS = {"logo.png": (128, 256), "logo@2x.png": (256, 512)}  # shortest side, min and max


def _rules() -> dict[str, Any]:
    document = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text(encoding="utf-8"))
    assert set(document) == {"rules"}
    rules: dict[str, Any] = document["rules"]
    return rules


def _status(value: Any) -> tuple[str, str | None]:
    """(status, comment) of a rule written as `done` or as `{status: ..., comment: ...}`."""
    if isinstance(value, str):
        return value, None
    assert isinstance(value, dict), value
    assert set(value) <= {"status", "comment"}, value
    comment = value.get("comment")
    assert comment is None or (isinstance(comment, str) and comment.strip()), value
    return value["status"], comment


def test_the_rule_list_is_the_scale() -> None:
    assert len(ALL_RULES) == len(set(ALL_RULES)) == 54


def test_quality_scale_lists_exactly_the_rules_of_the_scale() -> None:
    rules = _rules()
    assert sorted(rules) == sorted(ALL_RULES)
    assert list(rules) == ALL_RULES  # in tier order, as in tiers.json


@pytest.mark.parametrize("rule", ALL_RULES)
def test_each_rule_has_a_valid_status_and_says_why_when_not_done(rule: str) -> None:
    status, comment = _status(_rules()[rule])
    assert status in STATUSES
    if status in {"exempt", "todo"}:
        assert comment, f"{rule} is {status} without a comment"


def test_statuses_match_the_code() -> None:
    rules = {rule: _status(value)[0] for rule, value in _rules().items()}
    assert rules["brands"] == "done"
    assert (COMPONENT / "brand" / "icon.png").is_file()
    diagnostics_done = rules["diagnostics"] == "done"
    assert diagnostics_done == (COMPONENT / "diagnostics.py").is_file()
    assert rules["config-flow"] == "done"
    assert (COMPONENT / "config_flow.py").is_file()


def _open_png(name: str) -> Image.Image:
    path = COMPONENT / "brand" / name
    assert path.is_file(), f"missing {path}"
    image = Image.open(path)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    return image


def _assert_transparent_corners_and_trimmed(image: Image.Image) -> None:
    alpha = image.getchannel("A")
    right, bottom = image.width - 1, image.height - 1
    for corner in ((0, 0), (right, 0), (0, bottom), (right, bottom)):
        assert alpha.getpixel(corner) == 0, corner
    box = alpha.getbbox()
    assert box is not None, "the image is empty"
    left, top, box_right, box_bottom = box
    touches_sides = left == 0 and box_right == image.width
    touches_ends = top == 0 and box_bottom == image.height
    assert touches_sides or touches_ends, f"not trimmed: drawing spans {box}"


@pytest.mark.parametrize(("name", "size"), ICONS.items())
def test_icons_are_square_transparent_and_trimmed(name: str, size: int) -> None:
    image = _open_png(name)
    assert image.size == (size, size)
    _assert_transparent_corners_and_trimmed(image)


@pytest.mark.parametrize(("name", "limits"), LOGOS.items())
def test_logos_are_landscape_transparent_and_trimmed(name: str, limits: tuple[int, int]) -> None:
    image = _open_png(name)
    assert image.width > image.height
    low, high = limits
    assert low <= image.height <= high
    _assert_transparent_corners_and_trimmed(image)


def test_logo_at_2x_is_twice_the_logo() -> None:
    small, large = _open_png("logo.png"), _open_png("logo@2x.png")
    assert large.height == 2 * small.height
    assert abs(large.width - 2 * small.width) <= 1
