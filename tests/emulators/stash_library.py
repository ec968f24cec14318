"""What the Stash emulator holds: scenes and what they name, found by path as Stash finds them.

Stash keeps a file's folder and name apart and matches its `path` criterion with SQLite's
LIKE on `folder || '/' || name` (pkg/sqlite/criterion_handlers.go): case-insensitive for
ASCII letters, `%` and `_` as wildcards, no escape character. `INCLUDES` wraps the value in
`%`, after splitting it on spaces into words any of which may match, unless the whole value
is in double quotes; `EQUALS` compares the whole path. The emulator does the same over an
index of every file's path folded to lower case, joined into one text that one regular
expression search runs over: 50,000 scenes are searched in milliseconds, no scene object is
looked at but those found.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
import json
from pathlib import Path
import random
import re
import string
from typing import Any, Self

DEMO = Path(__file__).parent / "data" / "stash_demo.json"
_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_UPDATED = 1_767_225_600  # 2026-01-01: the `t=` of image URLs


def fold(text: str) -> str:
    """Lower case for ASCII letters only, as SQLite's LIKE compares them."""
    return text.translate(_FOLD)


def like_regex(pattern: str) -> str:
    """A LIKE pattern (folded) as a regular expression over one line of the index."""
    parts = []
    for char in fold(pattern):
        if char == "%":
            parts.append("[^\n]*")
        elif char == "_":
            parts.append("[^\n]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


@dataclass
class EmulatedTag:
    """A tag."""

    id: int
    name: str


@dataclass
class EmulatedStudio:
    """A studio; `image`: it has a picture (else Stash serves its placeholder)."""

    id: int
    name: str
    image: bool = True


@dataclass
class EmulatedPerformer:
    """A performer; `image`: they have a picture (else Stash serves its placeholder)."""

    id: int
    name: str
    image: bool = True


@dataclass
class EmulatedGroup:
    """A group (Stash's former "movie"); `front_image`: it has a front cover."""

    id: int
    name: str
    front_image: bool = True


@dataclass
class EmulatedScene:
    """A scene: its files (full paths on Stash's side) and its metadata."""

    id: int
    files: list[str]
    title: str | None = None
    details: str | None = None
    date: str | None = None
    rating100: int | None = None
    studio: int | None = None
    performers: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    groups: list[tuple[int, int | None]] = field(default_factory=list)  # (group, scene_index)
    duration: float = 1800.0
    # The size of its screenshot, or None: Stash has generated none (the route answers 404).
    screenshot: tuple[int, int] | None = (640, 360)


class StashLibrary:
    """Everything the emulator serves."""

    def __init__(self) -> None:
        """An empty library."""
        self.scenes: dict[int, EmulatedScene] = {}
        self.studios: dict[int, EmulatedStudio] = {}
        self.performers: dict[int, EmulatedPerformer] = {}
        self.tags: dict[int, EmulatedTag] = {}
        self.groups: dict[int, EmulatedGroup] = {}
        self._text = ""  # every file's folded path, one a line
        self._starts: list[int] = []  # where each line starts in _text
        self._owners: list[int] = []  # the scene of each line
        self._paths: list[str] = []  # each line's path as it is
        self._stale = True

    def add_scene(self, scene: EmulatedScene) -> None:
        """Make a scene exist (or replace the one with its id)."""
        self.scenes[scene.id] = scene
        self._stale = True

    def add(
        self, *objects: EmulatedStudio | EmulatedPerformer | EmulatedTag | EmulatedGroup
    ) -> None:
        """Make studios, performers, tags or groups exist (or replace those with their ids)."""
        for item in objects:
            if isinstance(item, EmulatedStudio):
                self.studios[item.id] = item
            elif isinstance(item, EmulatedPerformer):
                self.performers[item.id] = item
            elif isinstance(item, EmulatedTag):
                self.tags[item.id] = item
            else:
                self.groups[item.id] = item

    # ---- finding scenes by path -----------------------------------------------------------

    def _index(self) -> None:
        if not self._stale:
            return
        lines = [(p, s.id) for s in self.scenes.values() for p in s.files]
        self._paths = [p for p, _ in lines]
        self._owners = [i for _, i in lines]
        self._starts = []
        position = 0
        for path in self._paths:
            self._starts.append(position)
            position += len(path) + 1
        self._text = "\n".join(fold(p) for p in self._paths)
        self._stale = False

    def _lines(self, regex: str) -> set[int]:
        """The lines of the index with a match of `regex` (which never crosses a line)."""
        return {
            bisect_right(self._starts, m.start()) - 1
            for m in re.finditer(regex, self._text, re.MULTILINE)
        }

    def find_by_path(self, value: str, modifier: str) -> list[int]:
        """The ids of the scenes with a file whose path meets the criterion, in id order."""
        self._index()
        every = set(range(len(self._paths)))
        if modifier in {"INCLUDES", "EXCLUDES"}:
            query = value.strip()
            trimmed = query.strip('"')
            words = [trimmed] if trimmed != query else re.sub(r"\s+", " ", query).split(" ")
            hits = set().union(*(self._lines(like_regex(w)) for w in words))
            # EXCLUDES: a file whose path contains none of the words
            lines = hits if modifier == "INCLUDES" else every - hits
        elif modifier in {"EQUALS", "NOT_EQUALS"}:
            lines = self._lines(f"^{like_regex(value)}$")
            if modifier == "NOT_EQUALS":
                lines = every - lines
        elif modifier == "MATCHES_REGEX":
            found = re.compile(value)
            lines = {n for n, path in enumerate(self._paths) if found.search(path)}
        else:  # pragma: no cover - the schema's enum admits no other
            raise ValueError(modifier)
        return sorted({self._owners[n] for n in lines})

    # ---- the JSON Stash answers with ------------------------------------------------------

    def scene_json(self, scene: EmulatedScene, base_url: str) -> dict[str, Any]:
        """A scene with every field the emulator's schema has."""
        width, height = scene.screenshot or (1920, 1080)
        studio = self.studios.get(scene.studio) if scene.studio is not None else None
        return {
            "id": str(scene.id),
            "title": scene.title,
            "details": scene.details,
            "date": scene.date,
            "rating100": scene.rating100,
            "organized": False,
            "files": [
                {
                    "id": str(scene.id * 10 + n),
                    "path": path,
                    "basename": path.rsplit("/", 1)[-1],
                    "duration": scene.duration,
                    "width": width,
                    "height": height,
                }
                for n, path in enumerate(scene.files)
            ],
            # Stash sends the URL whether or not it has generated a screenshot.
            "paths": {"screenshot": f"{base_url}/scene/{scene.id}/screenshot?t={_UPDATED}"},
            "studio": _with_image(studio, "image", f"{base_url}/studio/{scene.studio}/image")
            if studio
            else None,
            "performers": [
                _with_image(p, "image", f"{base_url}/performer/{p.id}/image")
                for i in scene.performers
                if (p := self.performers.get(i)) is not None
            ],
            "tags": [
                {"id": str(t.id), "name": t.name} for i in scene.tags if (t := self.tags.get(i))
            ],
            "groups": [
                {
                    "group": _with_image(
                        g, "front_image", f"{base_url}/group/{g.id}/frontimage", "front_image_path"
                    ),
                    "scene_index": index,
                }
                for i, index in scene.groups
                if (g := self.groups.get(i)) is not None
            ],
        }

    # ---- libraries ------------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """A library from the emulator's JSON (see data/stash_demo.json)."""
        library = cls()
        library.add(*(EmulatedStudio(**s) for s in data.get("studios", [])))
        library.add(*(EmulatedPerformer(**p) for p in data.get("performers", [])))
        library.add(*(EmulatedTag(**t) for t in data.get("tags", [])))
        library.add(*(EmulatedGroup(**g) for g in data.get("groups", [])))
        for scene in data.get("scenes", []):
            fields = dict(scene)
            fields["groups"] = [tuple(g) for g in fields.get("groups", [])]
            if fields.get("screenshot") is not None:
                fields["screenshot"] = tuple(fields["screenshot"])
            library.add_scene(EmulatedScene(**fields))
        return library

    @classmethod
    def load(cls, path: Path = DEMO) -> Self:
        """A library from a JSON file (the demo's by default)."""
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def generated(cls, count: int, *, seed: int = 22, first_id: int = 1) -> Self:
        """`count` scenes across 50 studios, with names like real downloads (repeatable)."""
        rng = random.Random(seed)  # noqa: S311  (repeatable test data)
        library = cls()
        library.add(*(EmulatedStudio(n, f"Studio {n:02d}", image=n % 3 != 0) for n in range(1, 51)))
        library.add(
            *(EmulatedPerformer(n, f"Performer {n:03d}", image=n % 4 != 0) for n in range(1, 201))
        )
        library.add(*(EmulatedTag(n, f"Tag {n:02d}") for n in range(1, 41)))
        library.add(
            *(EmulatedGroup(n, f"Group {n:02d}", front_image=n % 2 == 0) for n in range(1, 21))
        )
        for offset in range(count):
            scene_id = first_id + offset
            studio = rng.randint(1, 50)
            year = rng.randint(2005, 2025)
            name = f"Studio.{studio:02d}.{year}.Scene.{scene_id:06d}.{rng.choice(_QUALITIES)}.mp4"
            library.add_scene(
                EmulatedScene(
                    scene_id,
                    [f"/data/studio-{studio:02d}/{year}/{name}"],
                    title=f"Scene {scene_id}" if rng.random() < 0.9 else None,
                    date=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    rating100=rng.choice([None, 20, 40, 60, 80, 100]),
                    studio=studio,
                    performers=rng.sample(range(1, 201), rng.randint(0, 3)),
                    tags=rng.sample(range(1, 41), rng.randint(0, 5)),
                    groups=[(rng.randint(1, 20), rng.randint(1, 9))] if rng.random() < 0.1 else [],
                    duration=float(rng.randint(600, 5400)),
                )
            )
        return library


_QUALITIES = ("1080p", "720p", "2160p", "480p")


def _with_image(item: Any, flag: str, url: str, field_name: str = "image_path") -> dict[str, Any]:
    """An object with its image URL as Stash writes it (`default=true`: its placeholder)."""
    suffix = "" if getattr(item, flag) else "&default=true"
    return {"id": str(item.id), "name": item.name, field_name: f"{url}?t={_UPDATED}{suffix}"}
