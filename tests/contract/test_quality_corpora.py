"""The quality model against Radarr's and Sonarr's own quality parser test cases.

Their expectations live in ../shared/corpora (GPL-3.0: read from there at test time, never
copied here). Each case's expected quality is in its test's name (`should_parse_webdl1080p_quality`:
WEB-DL, 1080p), PROPER/REPACK in its `proper` argument, the revision in `version`/`reality`.

Radarr and Sonarr guess where a name says nothing (an `.avi` is SDTV, a bare `1080p` is HDTV);
Videodrome never guesses a quality (it would then file a "better" copy on a guess), so a name
that states nothing leaves the part unknown. Two figures per part, printed with `-s`:
- precision: where the model states a value, how often it is Radarr's/Sonarr's (asserted high);
- coverage: how often it states one at all.
Measured when written (radarr / sonarr / radarr-pre-generic-2021 / sonarr-pre-generic-2021),
agreed where stated: source 93.9 % / 99.5 % / 98.7 % / 100 % (Radarr's misses are mostly its
BR-DISK guess for a name such as `1080p Blu-ray AVC`, read here as a Blu-ray), resolution
99.0 % / 100 % / 100 % / 99.4 %, PROPER/REPACK 98.4 % / 99.2 % / 97.9 % / 99.0 %, revision
and REAL 100 %; stated for 95 / 87 / 97 / 85 % of the sources and 80-83 % of the resolutions.
"""

from __future__ import annotations

from collections import Counter
import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.videodrome.engine.identify.quality import Source, from_name

CORPORA = Path(__file__).parents[2].parent / "shared" / "corpora"
SETS = ("radarr", "sonarr", "radarr-pre-generic-2021", "sonarr-pre-generic-2021")

pytestmark = pytest.mark.skipif(
    not CORPORA.is_dir(), reason=f"{CORPORA} is absent (../shared is not beside the repository)"
)

_METHOD = re.compile(
    r"should_parse_(sdtv|dvdr?|webdl|webrip|bluray|hdtv|remux|brdisk_|raw)(\d+p)?(_remux)?"
    r"(?:_as_bluray(\d+)p)?_quality$"
)
_SOURCES = {
    "sdtv": Source.HDTV,  # Radarr's and Sonarr's SDTV: television at standard definition
    "dvd": Source.DVD,
    "dvdr": Source.DVD,
    "webdl": Source.WEBDL,
    "webrip": Source.WEBRIP,
    "bluray": Source.BLURAY,
    "hdtv": Source.HDTV,
    "remux": Source.REMUX,
    "brdisk_": Source.REMUX,  # a whole disc ranks with a remux here
    "raw": Source.HDTV,  # Raw-HD: an HDTV capture
}
_STANDARD = {"sdtv", "dvd", "dvdr"}


def expected(method: str) -> tuple[Source, int | None] | None:
    """The (source, resolution) a quality test's name expects; None for other tests."""
    if method == "should_parse_ts":
        return Source.TELESYNC, None
    if method == "should_parse_cam":
        return Source.CAM, None
    match = _METHOD.match(method)
    if match is None:
        return None
    kind, resolution, remux, as_bluray = match.groups()
    source = Source.REMUX if remux else _SOURCES[kind]
    height = int(resolution[:-1]) if resolution else (480 if kind in _STANDARD else None)
    if as_bluray:
        source, height = Source.BLURAY, int(as_bluray)
    return source, height


def _cases(name: str) -> list[dict[str, Any]]:
    with (CORPORA / name / "parser_testcases_all.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def agreement(name: str) -> Counter[str]:
    """Counts per part: `<part>` cases, `<part>_stated` by the model, `<part>_agreed`."""
    counts: Counter[str] = Counter()
    for case in _cases(name):
        args, method = case["args"], case["method"]
        title = args.get("title")
        if not isinstance(title, str):
            continue
        quality = from_name(title)
        if case["fixture"] == "QualityParserFixture" and (wanted := expected(method)):
            source, resolution = wanted
            _count(counts, "source", quality.source or None, source)
            if resolution is not None:
                _count(counts, "resolution", quality.resolution, resolution)
            if "proper" in args:
                _count(counts, "proper", quality.version > 1, bool(args["proper"]))
        if method in {"should_parse_version_from_title", "should_be_able_to_parse_repack"}:
            _count(counts, "revision", quality.version, args.get("version", 2))
        if method == "should_parse_reality_from_title":
            _count(counts, "real", quality.real, args["reality"])
    return counts


def _count(counts: Counter[str], part: str, found: object, wanted: object) -> None:
    counts[part] += 1
    if found is not None:
        counts[f"{part}_stated"] += 1
        counts[f"{part}_agreed"] += found == wanted


@pytest.mark.parametrize("name", SETS)
def test_agreement_with_radarr_and_sonarr(name: str) -> None:
    counts = agreement(name)
    for part in ("source", "resolution", "proper", "revision", "real"):
        stated, agreed = counts[f"{part}_stated"], counts[f"{part}_agreed"]
        print(  # noqa: T201 (the figures, with -s)
            f"{name} {part}: {agreed}/{stated} agreed where stated "
            f"({agreed / stated:.1%}), stated for {stated}/{counts[part]} "
            f"({stated / counts[part]:.1%})"
        )
        assert counts[part] > 0
        assert agreed / stated >= 0.9, part
    # Where a name states them, the source and the resolution are read for most cases.
    assert counts["source_stated"] / counts["source"] >= 0.8
    assert counts["resolution_stated"] / counts["resolution"] >= 0.75


def test_the_expectations_are_read_from_the_tests_names() -> None:
    assert expected("should_parse_webdl1080p_quality") == (Source.WEBDL, 1080)
    assert expected("should_parse_bluray2160p_remux_quality") == (Source.REMUX, 2160)
    assert expected("should_parse_remux720p_as_bluray720p_quality") == (Source.BLURAY, 720)
    assert expected("should_parse_sdtv_quality") == (Source.HDTV, 480)
    assert expected("should_parse_cam") == (Source.CAM, None)
    assert expected("should_parse_hardcoded_subs") is None
