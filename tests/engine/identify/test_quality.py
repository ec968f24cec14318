"""The quality model (engine/identify/quality.py): names, Plex's media info, the order."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.videodrome.engine.identify.quality import (
    Quality,
    Source,
    from_media,
    from_name,
    from_path,
    is_better,
)


@pytest.mark.parametrize(
    ("name", "resolution", "source"),
    [
        ("Dune.2021.2160p.UHD.BluRay.REMUX.HDR.HEVC.Atmos-GRP.mkv", 2160, Source.REMUX),
        ("Dune.2021.1080p.BluRay.x264-GRP.mkv", 1080, Source.BLURAY),
        ("Dune.2021.720p.WEB-DL.DDP5.1.H.264-GRP.mkv", 720, Source.WEBDL),
        ("Dune.2021.1080p.AMZN.WEBRip.x265-GRP.mkv", 1080, Source.WEBRIP),
        ("Show.S01E01.720p.HDTV.x264-GRP.mkv", 720, Source.HDTV),
        ("Dune.2021.DVDRip.XviD-GRP.avi", 480, Source.DVD),
        ("Dune.2021.HDCAM.x264-GRP.mkv", None, Source.CAM),
        ("Dune.2021.720p.TSRip.x264-GRP.mkv", 720, Source.TELESYNC),
        ("Dune.2021.DVDSCR.x264-GRP.mkv", None, Source.SCREENER),
        ("Dune.2021.4K.WEB.h265-GRP.mkv", 2160, Source.WEBDL),
        ("Dune.2021.720p.BluRay.REMUX.AVC-GRP.mkv", 720, Source.BLURAY),  # not a real remux
        ("Show.S01E01.Raw-HD.ts", None, Source.HDTV),  # `.ts` is the container, not a telesync
        ("Dune (2021) - 2160p.mkv", 2160, Source.UNKNOWN),
        ("Dune (2021).mkv", None, Source.UNKNOWN),
        ("[Group] Show - 01 [BD 1080p FLAC][ABCD1234].mkv", 1080, Source.BLURAY),
        ("Show.S01E01.4Kto1080p.Webrip.x265", 1080, Source.WEBRIP),
        ("Show.S01E01.1440p.WEB-DL", 1080, Source.WEBDL),
        ("Dune.2021.1080p.Bluray.iso", 1080, Source.REMUX),  # a whole disc
    ],
)
def test_names(name: str, resolution: int | None, source: Source) -> None:
    quality = from_name(name)
    assert (quality.resolution, quality.source) == (resolution, source)


def test_revisions_hdr_codec() -> None:
    assert from_name("Show.S01E01.720p.HDTV.x264-GRP").version == 1
    assert from_name("Show.S01E01.PROPER.720p.HDTV.x264-GRP").version == 2
    assert from_name("Show.S01E01.REPACK2.720p.HDTV.x264-GRP").version == 3
    assert from_name("[Group] Show - 01v2 [720p]").version == 2
    real = from_name("Show.S01E01.REAL.PROPER.720p.HDTV.x264-GRP")
    assert (real.version, real.real, real.is_revision) == (2, 1, True)
    assert from_name("Show.S01E01.real.proper.720p").real == 0  # REAL is upper case only
    assert from_name("Dune.2021.2160p.WEB-DL.DV.HDR10.HEVC").hdr is True
    assert from_name("Dune.2021.2160p.WEB-DL.HEVC").hdr is False
    assert from_name("Dune.2021.2160p.WEB-DL.x265").codec == "hevc"
    assert from_name("Dune.2021.1080p.BluRay.x264").codec == "h264"
    assert from_name("Dune.2021.DVDRip.XviD").codec == "mpeg4"


def test_labels_and_json() -> None:
    assert from_name("Dune.2021.2160p.UHD.BluRay.REMUX.HDR.HEVC").label() == "2160p Remux HDR"
    assert from_name("Show.S01E01.PROPER.720p.HDTV").label() == "720p HDTV Proper"
    assert from_name("Show.S01E01.REAL.REPACK2.720p.HDTV").label() == "720p HDTV Proper 2 Real"
    assert Quality().label() == ""
    record = from_name("Dune.2021.1080p.BluRay.x264").as_json()
    assert record["label"] == "1080p Blu-ray"
    assert record["source"] == "Blu-ray"
    assert Quality().as_json()["source"] is None


def test_paths_fall_back_to_the_release_folder() -> None:
    obfuscated = "/downloads/Dune.2021.2160p.WEB-DL.x265-GRP/a8f3k2.mkv"
    assert from_path(obfuscated).label() == "2160p WEB-DL"
    windows = r"E:\Downloads\Show.S01E01.720p.HDTV\ajifajj.avi"
    assert from_path(windows).label() == "720p HDTV"
    assert from_path("/library/Dune (2021)/Dune (2021) - 1080p.mkv").resolution == 1080
    assert not from_path("/downloads/plain/a8f3k2.mkv").known
    assert not from_path("a8f3k2.mkv").known


def test_plex_media_info() -> None:
    held = from_media(
        "/data/Movies/Dune (2021)/Dune.2021.1080p.BluRay.x264.mkv",
        resolution="1080",
        codec="H264",
        bitrate=9800,
        container="MKV",
    )
    assert (held.resolution, held.source, held.codec, held.bitrate, held.container) == (
        1080,
        Source.BLURAY,
        "h264",
        9800,
        "mkv",
    )
    assert from_media("/m/Dune (2021).mkv", resolution="4k").resolution == 2160
    assert from_media("/m/Dune (2021).mkv", resolution="sd").resolution == 480
    assert from_media(None, resolution="720").resolution == 720
    # Plex's measurement wins over what the name claims; the listing says nothing of HDR.
    assert from_media("/m/Dune.2160p.mkv", resolution="1080").resolution == 1080
    assert from_media("/m/Dune (2021).mkv", resolution="720").hdr is None


def test_decisions() -> None:
    held_720 = from_media("/m/Dune (2021)/Dune (2021).mkv", resolution="720")
    assert is_better(from_name("Dune.2021.2160p.WEB-DL.x265"), held_720)
    assert not is_better(from_name("Dune.2021.720p.WEB-DL.x264"), held_720)  # the same
    assert not is_better(from_name("Dune.2021.480p.WEB-DL.x264"), held_720)
    # A PROPER of the same quality counts as better; a source Plex cannot tell is passed over.
    assert is_better(from_name("Show.S01E01.PROPER.720p.HDTV.x264"), held_720)
    assert is_better(
        from_name("Dune.2021.1080p.BluRay.x264"), from_name("Dune.2021.1080p.WEB-DL.x264")
    )
    # Nothing known on one side: never better.
    assert not is_better(from_name("Dune.2021.mkv"), held_720)
    assert not is_better(from_name("Dune.2021.1080p.mkv"), Quality())
    # The codec never ranks a copy.
    assert not is_better(
        from_name("Dune.2021.1080p.BluRay.x265"), from_name("Dune.2021.1080p.BluRay.x264")
    )


_QUALITIES = st.builds(
    Quality,
    resolution=st.sampled_from([None, 480, 576, 720, 1080, 2160]),
    source=st.sampled_from(list(Source)),
    hdr=st.sampled_from([None, False, True]),
    codec=st.sampled_from([None, "h264", "hevc"]),
    version=st.integers(1, 4),
    real=st.integers(0, 2),
)
_KNOWN = st.builds(
    Quality,
    resolution=st.sampled_from([480, 576, 720, 1080, 2160]),
    source=st.sampled_from([s for s in Source if s is not Source.UNKNOWN]),
    hdr=st.booleans(),
    codec=st.sampled_from([None, "h264", "hevc"]),
    version=st.integers(1, 4),
    real=st.integers(0, 2),
)


@settings(max_examples=300, deadline=None)
@given(_QUALITIES, _QUALITIES, _QUALITIES)
def test_the_order_is_total_and_transitive(a: Quality, b: Quality, c: Quality) -> None:
    assert a.rank() <= b.rank() or b.rank() <= a.rank()  # total
    if a.rank() <= b.rank() <= c.rank():
        assert a.rank() <= c.rank()  # transitive
    assert not is_better(a, a)  # irreflexive
    assert not (is_better(a, b) and is_better(b, a))  # antisymmetric


@settings(max_examples=300, deadline=None)
@given(_KNOWN, _KNOWN)
def test_decisions_follow_the_order_when_everything_is_known(a: Quality, b: Quality) -> None:
    assert is_better(a, b) == (a.rank() > b.rank())
