"""Can Videodrome be installed beside Home Assistant and its own integrations?

Home Assistant installs an integration's manifest requirements into its own environment, held
to its `package_constraints.txt`, beside the requirements of every core integration already set
up. A pin that disagrees with one of them fails the install: Videodrome's manifest once pinned
`plexapi==4.18.3` where Home Assistant 2026.10's `plex` integration pins `PlexAPI==4.18.2`,
and most Plex users of Home Assistant have that integration (issue 21).

`conflicts()` checks requirements the way that install would meet them: for each package (by
its canonical name) every specifier that applies (ours, the constraint file's, each core
integration's that names the package, and those of our requirements' own dependencies, read
from the installed distributions) must be met by one version: a version one of them pins
exactly, or the installed one. Without a package index this cannot prove every range
compatible, so it reports only what it can prove; `uv pip compile` (`--uv`, which needs PyPI)
resolves everything for real.

Run it: `scripts/check_coexistence [HA]...`, where HA is the installed Home Assistant (the
default), a folder holding its `package_constraints.txt` and `components/`, that file, a wheel,
or a version to download from PyPI (`2026.11.0`).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
import importlib.metadata
import importlib.util
import json
from pathlib import Path
import re
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING, TextIO
import zipfile

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "custom_components" / "videodrome" / "manifest.json"
REQUIREMENTS_TEST = ROOT / "requirements_test.txt"
OURS = "videodrome"
CONSTRAINTS = "package_constraints.txt"


def installed_package() -> Path:
    """The folder of the `homeassistant` package this environment runs."""
    spec = importlib.util.find_spec("homeassistant")
    if spec is None or spec.origin is None:
        raise RuntimeError("Home Assistant is not installed here")
    return Path(spec.origin).parent


def manifest_requirements(path: Path = MANIFEST) -> list[str]:
    """The requirements of an integration's manifest."""
    requirements: list[str] = json.loads(path.read_text(encoding="utf-8"))["requirements"]
    return requirements


def requirement_lines(text: str) -> list[str]:
    """The requirement lines of a requirements file (comments, options and blanks left out)."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def _parse(text: str) -> Requirement | None:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None  # a URL or an editable: nothing a version check can say
    marker = requirement.marker
    return requirement if marker is None or marker.evaluate({"extra": ""}) else None


@dataclass
class HomeAssistantPins:
    """One Home Assistant's pins: its constraint file and its core integrations' requirements."""

    version: str
    constraints: list[Requirement]
    integrations: dict[str, list[Requirement]]  # domain -> its manifest's requirements
    python: str = field(default_factory=lambda: ".".join(map(str, sys.version_info[:3])))

    @classmethod
    def from_files(
        cls, version: str, constraints: str, manifests: Iterable[tuple[str, str]]
    ) -> HomeAssistantPins:
        """From the text of `package_constraints.txt` and (domain, manifest.json text) pairs."""
        integrations: dict[str, list[Requirement]] = {}
        for domain, text in manifests:
            parsed = (_parse(r) for r in json.loads(text).get("requirements", []))
            if found := [r for r in parsed if r is not None]:
                integrations[domain] = found
        pinned = (_parse(line) for line in requirement_lines(constraints))
        return cls(version, [r for r in pinned if r is not None], integrations)

    @classmethod
    def installed(cls) -> HomeAssistantPins:
        """The Home Assistant this environment runs."""
        return cls.from_folder(installed_package(), importlib.metadata.version("homeassistant"))

    @classmethod
    def from_folder(cls, package: Path, version: str | None = None) -> HomeAssistantPins:
        """An unpacked `homeassistant` package (its `package_constraints.txt`, `components/`)."""
        if version is None:
            const = package / "const.py"
            text = const.read_text(encoding="utf-8") if const.is_file() else ""
            parts = [
                re.search(rf'^{name}: Final = "?([0-9a-z.]+)"?', text, re.MULTILINE)
                for name in ("MAJOR_VERSION", "MINOR_VERSION", "PATCH_VERSION")
            ]
            version = ".".join(p[1] for p in parts if p is not None) or "unknown"
        manifests = (
            (path.parent.name, path.read_text(encoding="utf-8"))
            for path in sorted((package / "components").glob("*/manifest.json"))
        )
        return cls.from_files(
            version, (package / CONSTRAINTS).read_text(encoding="utf-8"), manifests
        )

    @classmethod
    def from_wheel(cls, wheel: Path) -> HomeAssistantPins:
        """A `homeassistant-X-py3-none-any.whl`, read without unpacking it."""
        version = wheel.name.split("-")[1]
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            manifests = [
                (name.split("/")[2], archive.read(name).decode())
                for name in sorted(names)
                if re.fullmatch(r"homeassistant/components/[^/]+/manifest\.json", name)
            ]
            constraints = archive.read(f"homeassistant/{CONSTRAINTS}").decode()
        return cls.from_files(version, constraints, manifests)

    @classmethod
    def from_path(cls, path: Path) -> HomeAssistantPins:
        """A folder, its `package_constraints.txt`, or a wheel."""
        if path.suffix == ".whl":
            return cls.from_wheel(path)
        return cls.from_folder(path.parent if path.name == CONSTRAINTS else path)

    def naming(self, package: str) -> list[tuple[str, Requirement]]:
        """(where, requirement) for every pin of `package`: the constraints, then integrations."""
        name = canonicalize_name(package)
        found = [(CONSTRAINTS, r) for r in self.constraints if canonicalize_name(r.name) == name]
        for domain, requirements in sorted(self.integrations.items()):
            found += [(domain, r) for r in requirements if canonicalize_name(r.name) == name]
        return found


@dataclass(frozen=True)
class Conflict:
    """A package no one version of which meets every specifier."""

    package: str
    specifiers: tuple[tuple[str, str], ...]  # (where, requirement)

    def __str__(self) -> str:
        """`plexapi: videodrome wants plexapi==4.18.3; plex wants PlexAPI==4.18.2`."""
        wanted = "; ".join(f"{where} wants {text}" for where, text in self.specifiers)
        return f"{self.package}: {wanted}"


def _installed_version(name: str) -> Version | None:
    try:
        return Version(importlib.metadata.version(name))
    except importlib.metadata.PackageNotFoundError, InvalidVersion:
        return None


def _dependencies(requirements: Iterable[Requirement]) -> Iterator[tuple[str, Requirement]]:
    """(whose, requirement) for the installed dependencies of `requirements`, all the way down."""
    seen: set[str] = set()
    todo = [r.name for r in requirements]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            needs = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in needs:
            requirement = _parse(text)
            if requirement is not None:
                yield f"{name} (dependency)", requirement
                todo.append(requirement.name)


def _satisfiable(specifiers: Sequence[tuple[str, Requirement]]) -> bool:
    """Whether a version we know of (pinned exactly by one of them, or installed) meets all."""
    candidates: set[Version] = set()
    for _where, requirement in specifiers:
        for spec in requirement.specifier:
            if spec.operator in {"==", "==="} and "*" not in spec.version:
                try:
                    candidates.add(Version(spec.version))
                except InvalidVersion:
                    continue
    if (installed := _installed_version(specifiers[0][1].name)) is not None:
        candidates.add(installed)
    if not candidates:
        return True  # nothing pinned, nothing installed: only a resolver could tell
    return any(
        all(r.specifier.contains(v, prereleases=True) for _w, r in specifiers) for v in candidates
    )


def conflicts(
    requirements: Iterable[str], pins: HomeAssistantPins, *, dependencies: bool = True
) -> list[Conflict]:
    """What in `requirements` cannot be installed beside `pins` (empty: nothing found)."""
    ours = [(OURS, r) for r in (_parse(text) for text in requirements) if r is not None]
    everything = ours + (list(_dependencies(r for _w, r in ours)) if dependencies else [])
    by_name: dict[str, list[tuple[str, Requirement]]] = {}
    for where, requirement in everything:
        by_name.setdefault(canonicalize_name(requirement.name), []).append((where, requirement))
    found: list[Conflict] = []
    for name, wanted in sorted(by_name.items()):
        specifiers = wanted + pins.naming(name)
        if not _satisfiable(specifiers):
            found.append(Conflict(name, tuple((w, str(r)) for w, r in specifiers)))
    return found


def uv_compile(
    requirements: Sequence[str], pins: HomeAssistantPins, constraints: Path, *, offline: bool
) -> subprocess.CompletedProcess[str]:
    """`uv pip compile` of `requirements` with Home Assistant itself and the integrations that
    name the same packages, held to `constraints` (its `package_constraints.txt`)."""
    names = {canonicalize_name(r.name) for r in map(Requirement, requirements)}
    others = sorted(
        {str(r) for name in names for where, r in pins.naming(name) if where != CONSTRAINTS}
    )
    lines = [*requirements, *others]
    if not offline:
        lines.append(f"homeassistant=={pins.version}")
    with tempfile.TemporaryDirectory() as folder:
        wanted = Path(folder) / "requirements.in"
        wanted.write_text("\n".join(lines) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "uv", "pip", "compile", "--quiet", str(wanted)]
        command += ["-c", str(constraints), "--python-version", pins.python]
        command += ["--offline", "--no-deps"] if offline else ["--python-platform", "linux"]
        return subprocess.run(  # noqa: S603 (our own interpreter, our own arguments)
            command, capture_output=True, text=True, check=False, timeout=600
        )


def _pins_for(target: str, work: Path) -> tuple[HomeAssistantPins, Path]:
    """The pins of one `target` (see the module's docstring) and its constraint file."""
    if target == "installed":
        return HomeAssistantPins.installed(), installed_package() / CONSTRAINTS
    path = Path(target)
    if not path.exists() and re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9a-z.]+", target):
        subprocess.run(  # noqa: S603 (pip, as the brief allows, for one wheel)
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(work),
             f"homeassistant=={target}"],
            check=True,
        )  # fmt: skip
        path = next(work.glob(f"homeassistant-{target}-*.whl"))
    pins = HomeAssistantPins.from_path(path)
    if path.suffix == ".whl":
        constraints = work / f"constraints-{pins.version}.txt"
        with zipfile.ZipFile(path) as archive:
            constraints.write_bytes(archive.read(f"homeassistant/{CONSTRAINTS}"))
        return pins, constraints
    return pins, (path if path.name == CONSTRAINTS else path / CONSTRAINTS)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Check the manifest (and the test requirements' plexapi) against each Home Assistant."""

    def say(text: str) -> None:
        out.write(text + "\n")

    parser = argparse.ArgumentParser(prog="scripts/check_coexistence", description=__doc__)
    parser.add_argument("targets", nargs="*", default=["installed"], metavar="HA")
    parser.add_argument("--uv", action="store_true", help="also resolve with uv (needs PyPI)")
    args = parser.parse_args(argv)
    ours = manifest_requirements()
    plexapi = [
        r for r in requirement_lines(REQUIREMENTS_TEST.read_text(encoding="utf-8"))
        if canonicalize_name(Requirement(r).name) == "plexapi"
    ]  # fmt: skip
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for target in args.targets:
            pins, constraints = _pins_for(target, Path(folder))
            named = (pins.naming(Requirement(r).name) for r in ours + plexapi)
            compared = sorted({where for pinned in named for where, _r in pinned})
            say(f"Home Assistant {pins.version}: {', '.join(ours + plexapi)}")
            say(f"  compared with: {', '.join(compared) or 'nothing that names them'}")
            found = conflicts(ours, pins) + conflicts(plexapi, pins, dependencies=False)
            for conflict in found:
                say(f"  CONFLICT {conflict}")
            if not found:
                say("  no conflict (packaging: exact pins and installed versions)")
            if args.uv:
                result = uv_compile(ours + plexapi, pins, constraints, offline=False)
                verdict = "resolves" if result.returncode == 0 else "FAILS"
                say(f"  uv pip compile with homeassistant=={pins.version}: {verdict}")
                if result.returncode:
                    say("    " + result.stderr.strip().replace("\n", "\n    "))
                failed |= result.returncode != 0
            failed |= bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
