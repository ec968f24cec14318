"""Plex's two wire formats from one tree: JSON (`Accept: application/json`) and XML (the default).

A response is built once as a `MediaContainer` dict. In JSON it is sent as
`{"MediaContainer": {...}}`; in XML scalars become attributes and lists of objects become child
elements named by their key (`Directory`, `Metadata` → `Video`/`Directory`, `Location`, `Media`,
`Part`, `Guid`), the way Plex Media Server writes both.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import orjson

JSON = "application/json"
XML = "text/xml;charset=utf-8"

# In XML, Plex names metadata elements by kind rather than `Metadata`.
_XML_METADATA_TAG = {
    "movie": "Video",
    "episode": "Video",
    "clip": "Video",
    "show": "Directory",
    "season": "Directory",
    "artist": "Directory",
    "album": "Directory",
    "track": "Track",
    "photo": "Photo",
}


def wants_json(accept: str | None) -> bool:
    """Whether the client asked for JSON (Plex answers XML otherwise)."""
    return accept is not None and "application/json" in accept


def render(container: dict[str, Any], *, as_json: bool) -> tuple[bytes, str]:
    """The body and content type of a `MediaContainer` response."""
    if as_json:
        return orjson.dumps({"MediaContainer": container}), JSON
    return xml_bytes("MediaContainer", container), XML


def xml_bytes(tag: str, tree: dict[str, Any]) -> bytes:
    """The XML document of one element tree, with Plex's declaration."""
    element = _element(tag, tree)
    body = ET.tostring(element, encoding="unicode", short_empty_elements=True)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


def _element(tag: str, tree: dict[str, Any]) -> ET.Element:
    element = ET.Element(tag)
    for key, value in tree.items():
        if isinstance(value, list):
            for child in value:
                if isinstance(child, dict):
                    child_tag = key
                    if key == "Metadata":
                        child_tag = _XML_METADATA_TAG.get(str(child.get("type")), "Directory")
                    element.append(_element(child_tag, child))
        elif isinstance(value, dict):
            element.append(_element(key, value))
        elif value is not None:
            element.set(key, _xml_value(value))
    return element


def _xml_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
