"""What hassfest and the HACS action check, checked here (their containers cannot run here)."""

from __future__ import annotations

import ast
import importlib.metadata
import json
from pathlib import Path
import re
import sys
from typing import Any

import homeassistant
import yaml

from custom_components.videodrome.const import DOMAIN, VERSION

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / DOMAIN


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_manifest_has_the_keys_hassfest_requires_in_its_order() -> None:
    manifest = _json(INTEGRATION / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "hassfest sorts the keys after domain and name"
    assert manifest["domain"] == DOMAIN == INTEGRATION.name
    for key in ("codeowners", "documentation", "issue_tracker", "version", "iot_class"):
        assert manifest[key], key
    assert manifest["iot_class"] == "local_push"
    assert manifest["config_flow"] is True
    assert manifest["version"] == VERSION


def test_manifest_requirements_are_the_pinned_runtime_requirements() -> None:
    manifest = _json(INTEGRATION / "manifest.json")
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pinned = [line for line in lines if line and not line.startswith("#")]
    assert manifest["requirements"] == pinned
    # A range only for what Home Assistant pins itself (its pin wins); anything else is pinned.
    constraints = Path(homeassistant.__file__).with_name("package_constraints.txt")
    by_ha = {line.partition("==")[0].lower() for line in constraints.read_text().splitlines()}
    for req in pinned:
        found = re.fullmatch(r"([A-Za-z0-9_.\-]+)(==|>=)[0-9][\w.]*", req)
        assert found, req
        assert found[2] == "==" or found[1].lower() in by_ha, req


def _imported_top_level_modules() -> set[str]:
    """Every module custom_components/videodrome imports (inside functions too), top level."""
    found: set[str] = set()
    for path in INTEGRATION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.partition(".")[0])
    return found


def _distribution(requirement: str) -> str:
    """The canonical name of a requirement's distribution ("RapidFuzz==3" -> "rapidfuzz")."""
    name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _distributions_imported() -> set[str]:
    providers = importlib.metadata.packages_distributions()
    return {
        _distribution(dist)
        for module in _imported_top_level_modules() - set(sys.stdlib_module_names)
        for dist in providers.get(module, ())
    }


def test_every_manifest_requirement_is_imported_by_the_integration() -> None:
    """A requirement Home Assistant installs for Videodrome is one Videodrome imports."""
    manifest = _json(INTEGRATION / "manifest.json")
    imported = _distributions_imported()
    assert {"guessit", "rapidfuzz", "watchdog", "homeassistant"} <= imported
    unused = {_distribution(req) for req in manifest["requirements"]} - imported
    assert unused == set(), f"required by the manifest, never imported: {unused}"


def test_every_library_the_integration_imports_is_required() -> None:
    """What it imports is Home Assistant, one of Home Assistant's requirements, or listed."""
    manifest = _json(INTEGRATION / "manifest.json")
    provided = {"homeassistant"} | {
        _distribution(req) for req in importlib.metadata.requires("homeassistant") or ()
    }
    listed = {_distribution(req) for req in manifest["requirements"]}
    assert _distributions_imported() - provided - listed == set()


def test_hacs_json_has_only_known_keys() -> None:
    hacs = _json(ROOT / "hacs.json")
    known = {
        "name", "content_in_root", "zip_release", "filename", "hide_default_branch", "country",
        "homeassistant", "hacs", "persistent_directory", "render_readme",
    }  # fmt: skip
    assert hacs["name"] == "Videodrome"
    assert set(hacs) <= known
    assert (ROOT / "README.md").is_file()
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_english_translations_are_strings_json() -> None:
    assert _json(INTEGRATION / "strings.json") == _json(INTEGRATION / "translations" / "en.json")


def _leaves(tree: Any, path: str = "") -> dict[str, str]:
    if isinstance(tree, dict):
        return {
            k: v for key, child in tree.items() for k, v in _leaves(child, f"{path}.{key}").items()
        }
    return {path: tree}


def test_strings_hold_no_urls_and_every_reference_resolves() -> None:
    strings = _json(INTEGRATION / "strings.json")
    leaves = _leaves(strings)
    for path, text in leaves.items():
        # hassfest refuses URLs in strings: they go in description placeholders.
        assert not re.search(r"https?://", text), path
        for ref in re.findall(r"\[%key:component::videodrome::([a-z_:]+)%\]", text):
            assert "." + ref.replace("::", ".") in leaves, (path, ref)


def test_every_service_has_strings_and_an_icon() -> None:
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    strings = _json(INTEGRATION / "strings.json")["services"]
    icons = _json(INTEGRATION / "icons.json")["services"]
    assert set(services) == set(strings) == set(icons)
    for name, service in services.items():
        assert strings[name]["name"]
        assert strings[name]["description"]
        assert set(service.get("fields", {})) == set(strings[name]["fields"])


def _integration_source() -> str:
    """The text of every module of the integration layer (its subpackages too, not the engine)."""
    modules = (p for p in INTEGRATION.rglob("*.py") if "engine" not in p.parts)
    return "\n".join(p.read_text(encoding="utf-8") for p in modules)


def test_every_entity_translation_key_has_a_name_and_an_icon() -> None:
    source = _integration_source()
    keys = set(re.findall(r'_attr_translation_key = "([a-z_]+)"', source))
    strings = {
        k for platform in _json(INTEGRATION / "strings.json")["entity"].values() for k in platform
    }
    icons = {
        k for platform in _json(INTEGRATION / "icons.json")["entity"].values() for k in platform
    }
    assert keys == strings == icons


def test_every_exception_translation_key_used_exists() -> None:
    source = _integration_source()
    used = set(re.findall(r'translation_key="([a-z_]+)"', source))
    used |= set(re.findall(r'(?:validation_error|service_failure)\(\s*"([a-z_]+)"', source))
    # services/errors.py's context manager: `translated_errors(hass, "ingest_failed", ...)`.
    used |= set(re.findall(r'translated_errors\(\s*[\w.]+,\s*"([a-z_]+)"', source))
    exceptions = set(_json(INTEGRATION / "strings.json")["exceptions"])
    assert used <= exceptions, used - exceptions
    assert exceptions <= used, f"unused exception strings: {exceptions - used}"


def test_config_flow_errors_and_aborts_have_strings() -> None:
    flow = ("config_flow.py", "sign_in_steps.py")
    source = "\n".join((INTEGRATION / name).read_text(encoding="utf-8") for name in flow)
    config = _json(INTEGRATION / "strings.json")["config"]
    errors = set(re.findall(r'errors\[[^\]]+\] = "([a-z_]+)"', source))
    assert errors <= set(config["error"])
    aborts = set(re.findall(r'reason="([a-z_]+)"', source)) | {
        "already_configured", "reauth_successful", "reconfigure_successful",
    }  # fmt: skip
    assert aborts <= set(config["abort"])
