"""The parts of a path that name a file: the text checked, the folders that count, the IDs.

Pure string work, no guessit: `as_text` says why a path cannot be parsed at all,
`relevant_part` keeps the folders that are part of the file's name (not `/mnt/disk2`),
`id_hints` / `edition_tag` / `strip_hints` find and remove the IDs and Plex's edition tag
written into the path.
"""

from __future__ import annotations

from pathlib import PurePath, PurePosixPath
import re

from .parsed_name import IdHints

MAX_NAME_BYTES = 255  # NAME_MAX: the longest a file or folder name can be on disk
MAX_PATH_CHARS = 4096
# Folders that say nothing about the title: they are left out of what guessit sees.
_GENERIC_FOLDERS = re.compile(
    r"^(?:downloads?|complete[d]?|incoming|ingest|movies?|films?|tv|tv shows?|series|shows?"
    r"|media|video[s]?|torrents?|usenet|nzbget|sabnzbd|qbittorrent|transmission|[a-z]:)$",
    re.IGNORECASE,
)
_HINTS = {
    "tmdb": re.compile(r"[{\[]tmdb(?:id)?-(\d{1,9})[}\]]", re.IGNORECASE),
    "tvdb": re.compile(r"[{\[]tvdb(?:id)?-(\d{1,9})[}\]]", re.IGNORECASE),
    "imdb": re.compile(
        r"[{\[]imdb(?:id)?-(tt\d{7,8})[}\]]|(?<![a-z0-9])(tt\d{7,8})(?![0-9])", re.IGNORECASE
    ),
}
_ANY_HINT = re.compile(
    r"[{\[](?:tmdb|tvdb|imdb)(?:id)?-[^}\]]*[}\]]|(?<![a-z0-9])tt\d{7,8}|\{edition-[^}]*\}",
    re.IGNORECASE,
)
# Plex's edition tag: "Blade Runner (1982) {edition-Final Cut}.mkv".
_EDITION_TAG = re.compile(r"\{edition-([^}]{1,100})\}", re.IGNORECASE)
_SEASON_FOLDER = re.compile(
    r"^(?:season|series|staffel|saison)[ ._-]*\d{1,4}$|^s\d{1,3}$|^specials$", re.IGNORECASE
)
_NAME_LIKE_FOLDER = re.compile(
    r"(?<!\d)(?:18|19|20)\d{2}(?!\d)|s\d{1,3}[ ._-]?e\d{1,4}|[{\[](?:tmdb|tvdb|imdb)", re.IGNORECASE
)
RELEASE_TOKENS = re.compile(
    r"(?<![a-z])(?:dvdrip|bdrip|brrip|bluray|blu-ray|web-?dl|webrip|hdtv|xvid|divx|x264|x265|h\.?264"
    r"|hevc|remux|\d{3,4}p)(?![a-z])",
    re.IGNORECASE,
)
_MOUNT_LIKE = re.compile(
    r"^(?:mnt|media|disk|disc|drive|volume|vol|share|data|home|tmp|temp)\b", re.IGNORECASE
)
_LETTERS = re.compile(r"[^\W\d_]{3,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def as_text(path: str | bytes | PurePath) -> tuple[str, tuple[str, ...]]:
    """The path as text, and why it cannot be parsed (empty when it can)."""
    text = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else str(path)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return _valid_text(text), ("not_utf8",)
    if not text.strip() or not PurePosixPath(text.replace("\\", "/")).name.strip():
        return text, ("empty_name",)
    if _CONTROL.search(text):
        return text, ("control_characters",)
    name = PurePosixPath(text.replace("\\", "/")).name
    if len(text) > MAX_PATH_CHARS or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return text[:MAX_PATH_CHARS], ("name_too_long",)
    return text, ()


def _valid_text(text: str) -> str:
    """`text` with undecodable bytes (escaped as U+DC80..U+DCFF) or lone surrogates as U+FFFD."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def relevant_part(path: PurePosixPath, root: str | PurePath | None) -> PurePosixPath:
    """The part of the path that names the file: below `root`, without generic folders.

    Below the ingest folder, two folders are context the download client made (Show/Season 01,
    Movie (2019)). Without a root, a folder counts only when it looks like part of a name (a
    year, a season, an episode or an ID in it), or when the file name alone says nothing: a
    folder such as `/mnt/disk2` or `/tmp/pytest-31` must not turn a film into an episode.
    """
    rooted = False
    if root is not None:
        base = PurePosixPath(str(root).replace("\\", "/"))
        if path.is_relative_to(base):
            path, rooted = path.relative_to(base), True
    parts = [p for p in path.parts[:-1] if p not in {"/", ""} and not _GENERIC_FOLDERS.match(p)]
    if rooted:
        return PurePosixPath(*parts[-2:], path.name)
    kept: list[str] = []
    if parts and _SEASON_FOLDER.match(parts[-1].strip()):
        kept = parts[-2:]
    elif parts and _informative(parts[-1], path.stem):
        kept = parts[-1:]
    return PurePosixPath(*kept, path.name)


def _informative(folder: str, stem: str) -> bool:
    """Whether a folder above a file (no root given) is likely part of its name."""
    if _NAME_LIKE_FOLDER.search(folder) or RELEASE_TOKENS.search(folder):
        return True  # "Heat (1995)", "Show.S01E02...", "Movie.DVDRip.XviD-GRP"
    if not _LETTERS.search(stem):
        return True  # "203.mkv": the file name alone says nothing
    # Two or more words of letters ("Breaking Bad"), not a mount point or scratch folder.
    return len(_LETTERS.findall(folder)) > 1 and not _MOUNT_LIKE.match(folder)


def id_hints(text: str) -> IdHints:
    """The IDs written into `text` (the first of each kind)."""
    found: dict[str, str] = {}
    for kind, pattern in _HINTS.items():
        match = pattern.search(text)
        if match:
            found[kind] = next(g for g in match.groups() if g)
    return IdHints(
        tmdb=int(found["tmdb"]) if "tmdb" in found else None,
        imdb=found.get("imdb"),
        tvdb=int(found["tvdb"]) if "tvdb" in found else None,
    )


def edition_tag(name: str) -> str | None:
    """The edition Plex's tag in a file name names (`{edition-Final Cut}`), if any."""
    tag = _EDITION_TAG.search(name)
    return (tag.group(1).strip() or None) if tag else None


def strip_hints(text: str) -> str:
    """`text` without its ID hints and Plex edition tags (guessit would read them as words)."""
    return _ANY_HINT.sub(" ", text)


def fits_on_disk(relative: str) -> bool:
    """Whether every part of `relative` could be a file or folder name (NAME_MAX bytes)."""
    return all(len(part.encode("utf-8")) <= MAX_NAME_BYTES for part in relative.split("/"))
