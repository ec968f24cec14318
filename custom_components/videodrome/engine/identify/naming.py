"""Plex's naming conventions: where a matched movie, episode or companion file goes.

Pure functions, no I/O. Paths are relative to the root of a Plex library (`PurePosixPath`):

    The Matrix (1999) {tmdb-603}/The Matrix (1999) - 1080p BluRay.mkv
    Breaking Bad (2008) {tvdb-81189}/Season 01/Breaking Bad (2008) - s01e01 - Pilot.mkv
    The Daily Show (1996)/Season 2024/The Daily Show (1996) - 2024-03-05 - Guest.mkv
    The Matrix (1999) {tmdb-603}/The Matrix (1999).en.forced.srt

Every component is made safe on every filesystem a Plex library lives on (ext4, NTFS and SMB,
exFAT, APFS) by `sanitise`. Video file names leave `COMPANION_ROOM` bytes free below the 255-byte
limit, so that a subtitle's longest name (`<video stem>.eng.forced.sdh.<ext>`) always fits.
ID hints (`{tmdb-…}`, `{tvdb-…}`, `{imdb-…}`) go in the folder name only; `{edition-…}` goes in
both the folder and the file name, so that each edition, a separate item in Plex, has its own
folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
import re
from typing import TYPE_CHECKING, Final
import unicodedata

if TYPE_CHECKING:
    from datetime import date

MAX_COMPONENT_BYTES: Final = 255
# ".eng.forced.sdh" (15 bytes) plus a dot and an extension of up to 8 characters.
COMPANION_ROOM: Final = 24
# Free text in tags (edition, quality) is cut to this many bytes.
MAX_TAG_BYTES: Final = 100
# Plex stacks split files up to part 8 (pt1 … pt8).
MAX_PART: Final = 8
# Plex reads four-digit years.
MIN_YEAR: Final = 1000
MAX_YEAR: Final = 9999

_WHITESPACE_CONTROL = re.compile(r"[\t\n\v\f\r]")
_CONTROL_OR_SURROGATE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_TRAILING_COLON = re.compile(r"\s*:+\s*$")
_SPACED_COLON = re.compile(r"\s*:+\s+")
_REPLACEMENTS = str.maketrans({":": "-", "/": "-", "\\": "-", "|": "-", '"': "'"}) | {
    ord(char): None for char in "<>?*"
}
_BRACES = str.maketrans("{}", "()")
_BRACKETS = str.maketrans("[]", "()")
_WHITESPACE = re.compile(r"\s+")
_EXTENSION = re.compile(r"[a-z0-9]{1,8}")
_IMDB_ID = re.compile(r"tt\d{7,10}")
# Windows device names: reserved as a whole name and before any extension, in any case.
_RESERVED: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{device}{digit}" for device in ("COM", "LPT") for digit in "0123456789¹²³"}
)

_FORCED_TAGS: Final = frozenset({"forced", "foreign"})
_HINDI: Final = "hi"  # also Bazarr's tag for the hard of hearing: see `_read_tags`
_SDH_TAGS: Final = frozenset({"sdh", "cc", _HINDI})
_NOISE_TAGS: Final = frozenset({"default", "full"})
_FLAG_TAGS: Final = _FORCED_TAGS | _SDH_TAGS | _NOISE_TAGS
# Local artwork Plex finds by these fixed names: they keep their name next to the video.
_ARTWORK: Final = frozenset(
    {"poster", "cover", "default", "folder", "movie", "show", "fanart", "art", "backdrop"}
    | {"background", "banner", "clearlogo", "logo", "thumb"}
)
_ARTWORK_SUFFIX = re.compile(r"-(fanart|poster|banner|clearlogo|logo|thumb|backdrop|background)$")
_IMAGE_EXTENSIONS: Final = frozenset({".jpg", ".jpeg", ".png", ".tbn", ".webp"})
_LANGUAGE_TAG = re.compile(r"([a-z]{2,3})(?:[-_](?:[a-z]{2}|\d{3}))?")

# ISO 639-1 languages: alpha-2, ISO 639-2/B, ISO 639-2/T, English name (ISO 639-3 reference
# name; "Greek" for "Modern Greek (1453-)", qualifiers in parentheses dropped).
_LANGUAGE_TABLE = """
aa aar aar Afar
ab abk abk Abkhazian
af afr afr Afrikaans
ak aka aka Akan
am amh amh Amharic
ar ara ara Arabic
an arg arg Aragonese
as asm asm Assamese
av ava ava Avaric
ae ave ave Avestan
ay aym aym Aymara
az aze aze Azerbaijani
ba bak bak Bashkir
bm bam bam Bambara
be bel bel Belarusian
bn ben ben Bengali
bi bis bis Bislama
bo tib bod Tibetan
bs bos bos Bosnian
br bre bre Breton
bg bul bul Bulgarian
ca cat cat Catalan
cs cze ces Czech
ch cha cha Chamorro
ce che che Chechen
cu chu chu Church Slavic
cv chv chv Chuvash
kw cor cor Cornish
co cos cos Corsican
cr cre cre Cree
cy wel cym Welsh
da dan dan Danish
de ger deu German
dv div div Dhivehi
dz dzo dzo Dzongkha
el gre ell Greek
en eng eng English
eo epo epo Esperanto
et est est Estonian
eu baq eus Basque
ee ewe ewe Ewe
fo fao fao Faroese
fa per fas Persian
fj fij fij Fijian
fi fin fin Finnish
fr fre fra French
fy fry fry Western Frisian
ff ful ful Fulah
gd gla gla Scottish Gaelic
ga gle gle Irish
gl glg glg Galician
gv glv glv Manx
gn grn grn Guarani
gu guj guj Gujarati
ht hat hat Haitian
ha hau hau Hausa
sh hbs hbs Serbo-Croatian
he heb heb Hebrew
hz her her Herero
hi hin hin Hindi
ho hmo hmo Hiri Motu
hr hrv hrv Croatian
hu hun hun Hungarian
hy arm hye Armenian
ig ibo ibo Igbo
io ido ido Ido
ii iii iii Sichuan Yi
iu iku iku Inuktitut
ie ile ile Interlingue
ia ina ina Interlingua
id ind ind Indonesian
ik ipk ipk Inupiaq
is ice isl Icelandic
it ita ita Italian
jv jav jav Javanese
ja jpn jpn Japanese
kl kal kal Kalaallisut
kn kan kan Kannada
ks kas kas Kashmiri
ka geo kat Georgian
kr kau kau Kanuri
kk kaz kaz Kazakh
km khm khm Central Khmer
ki kik kik Kikuyu
rw kin kin Kinyarwanda
ky kir kir Kirghiz
kv kom kom Komi
kg kon kon Kongo
ko kor kor Korean
kj kua kua Kuanyama
ku kur kur Kurdish
lo lao lao Lao
la lat lat Latin
lv lav lav Latvian
li lim lim Limburgan
ln lin lin Lingala
lt lit lit Lithuanian
lb ltz ltz Luxembourgish
lu lub lub Luba-Katanga
lg lug lug Ganda
mh mah mah Marshallese
ml mal mal Malayalam
mr mar mar Marathi
mk mac mkd Macedonian
mg mlg mlg Malagasy
mt mlt mlt Maltese
mn mon mon Mongolian
mi mao mri Maori
ms may msa Malay
my bur mya Burmese
na nau nau Nauru
nv nav nav Navajo
nr nbl nbl South Ndebele
nd nde nde North Ndebele
ng ndo ndo Ndonga
ne nep nep Nepali
nl dut nld Dutch
nn nno nno Norwegian Nynorsk
nb nob nob Norwegian Bokmål
no nor nor Norwegian
ny nya nya Nyanja
oc oci oci Occitan
oj oji oji Ojibwa
or ori ori Oriya
om orm orm Oromo
os oss oss Ossetian
pa pan pan Panjabi
pi pli pli Pali
pl pol pol Polish
pt por por Portuguese
ps pus pus Pushto
qu que que Quechua
rm roh roh Romansh
ro rum ron Romanian
rn run run Rundi
ru rus rus Russian
sg sag sag Sango
sa san san Sanskrit
si sin sin Sinhala
sk slo slk Slovak
sl slv slv Slovenian
se sme sme Northern Sami
sm smo smo Samoan
sn sna sna Shona
sd snd snd Sindhi
so som som Somali
st sot sot Southern Sotho
es spa spa Spanish
sq alb sqi Albanian
sc srd srd Sardinian
sr srp srp Serbian
ss ssw ssw Swati
su sun sun Sundanese
sw swa swa Swahili
sv swe swe Swedish
ty tah tah Tahitian
ta tam tam Tamil
tt tat tat Tatar
te tel tel Telugu
tg tgk tgk Tajik
tl tgl tgl Tagalog
th tha tha Thai
ti tir tir Tigrinya
to ton ton Tonga
tn tsn tsn Tswana
ts tso tso Tsonga
tk tuk tuk Turkmen
tr tur tur Turkish
tw twi twi Twi
ug uig uig Uighur
uk ukr ukr Ukrainian
ur urd urd Urdu
uz uzb uzb Uzbek
ve ven ven Venda
vi vie vie Vietnamese
vo vol vol Volapük
wa wln wln Walloon
wo wol wol Wolof
xh xho xho Xhosa
yi yid yid Yiddish
yo yor yor Yoruba
za zha zha Zhuang
zh chi zho Chinese
zu zul zul Zulu
"""
_EXTRA_NAMES: Final = {
    "brazilian": "pt",
    "cantonese": "zh",
    "castilian": "es",
    "farsi": "fa",
    "flemish": "nl",
    "mandarin": "zh",
}


def _language_maps() -> tuple[frozenset[str], dict[str, str]]:
    codes: set[str] = set()
    names = dict(_EXTRA_NAMES)
    for row in _LANGUAGE_TABLE.strip().splitlines():
        alpha2, alpha3b, alpha3t, name = row.split(" ", 3)
        codes.update((alpha2, alpha3b, alpha3t))
        names[name.lower()] = alpha2
    return frozenset(codes), names


_LANGUAGE_CODES, _LANGUAGE_NAMES = _language_maps()


@dataclass(frozen=True, slots=True)
class MovieName:
    """What a movie's Plex name is made of."""

    title: str
    year: int | None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    edition: str | None = None
    part: int | None = None
    quality: str | None = None  # e.g. "1080p BluRay"; Plex ignores it when matching


@dataclass(frozen=True, slots=True)
class EpisodeName:
    """What an episode's Plex name is made of: numbered (season, episodes) or dated (air_date)."""

    show: str
    year: int | None
    season: int | None
    episodes: tuple[int, ...] = ()
    episode_title: str | None = None
    air_date: date | None = None
    tvdb_id: int | None = None
    tmdb_id: int | None = None
    quality: str | None = None


def sanitise(component: str, *, keep_suffix: str = "", max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """One path component that is safe on ext4, NTFS/SMB, exFAT and APFS, never empty.

    Unicode is normalised to NFC. `: ` becomes ` - ` ("Mission: Impossible" -> "Mission -
    Impossible"), other colons, slashes, backslashes and pipes become `-`, double quotes become
    `'`, and `< > ? *` are removed. Tabs and line breaks become spaces, other control characters
    are dropped, runs of whitespace become one space. Leading spaces and dots (hidden files) and
    trailing spaces and dots go. A Windows device name (`CON`, `nul.mkv`, `COM1`) gets `_` after
    its stem. The result is at most `max_bytes` bytes of UTF-8, cut between characters.

    `keep_suffix` is the end of `component` (an extension, ` {tmdb-603}`) that survives the cut
    intact: what precedes it is shortened instead. It must leave room for one byte of name.
    """
    if keep_suffix and not component.endswith(keep_suffix):
        raise ValueError("keep_suffix must be the end of the component")
    head = _clean(component[: len(component) - len(keep_suffix)]).lstrip(" .")
    tail = _clean(keep_suffix).rstrip(" .")
    budget = max_bytes - len(tail.encode())
    if budget < 1:
        raise ValueError("keep_suffix leaves no room for the name")
    while True:
        name = _strip_before(_truncate(head, budget), tail) or "_"
        name = _unreserve(name, tail)
        if len(name.encode()) + len(tail.encode()) <= max_bytes:
            return name + tail
        budget -= 1  # the "_" that `_unreserve` added did not fit: cut one more byte


def movie_path(name: MovieName, extension: str, *, include_ids: bool = True) -> PurePosixPath:
    """Where a movie goes: `Title (Year) {tmdb-N}/Title (Year) {edition-E} - quality - ptN.ext`.

    The TMDb ID (or, without one, the IMDb ID) is put in the folder name only; the year, when
    known, in both. Without a year, the movie is `Title/Title.ext`.
    """
    ext = _extension(extension)
    title = _required(name.title, "title")
    common = _year(name.year)
    if name.edition and (edition := _tag(name.edition)):
        common += f" {{edition-{edition}}}"
    folder_tail = common
    if include_ids:
        folder_tail += _movie_id(name)
    file_tail = common
    if name.quality and (quality := _tag(name.quality)):
        file_tail += f" - {quality}"
    if name.part is not None:
        if not 1 <= name.part <= MAX_PART:
            raise ValueError(f"Plex stacks parts 1 to {MAX_PART}, not {name.part}")
        file_tail += f" - pt{name.part}"
    file_tail += ext
    folder = sanitise(title + folder_tail, keep_suffix=folder_tail)
    file = sanitise(title + file_tail, keep_suffix=file_tail, max_bytes=_file_bytes(ext))
    return PurePosixPath(folder, file)


def episode_path(name: EpisodeName, extension: str, *, include_ids: bool = True) -> PurePosixPath:
    """Where an episode goes: `Show (Year) {tvdb-N}/Season 01/Show (Year) - s01e01 - Title.ext`.

    The show's TVDB ID (Plex's TV agent; else its TMDb ID) is put in the folder name only.
    Several episodes in one file are a consecutive range, `s01e01-e02`. Specials are season 0
    (`Season 00`, `s00e01`). A dated episode (an air date, no episode numbers) is named
    `Show (Year) - 2024-03-05 - Title.ext` in the folder of its season, or of its air date's
    year (`Season 2024`). The quality, if any, goes in brackets after the title (`[1080p]`),
    where Plex ignores it. The episode title is shortened so that the file name fits.
    """
    ext = _extension(extension)
    show = _required(name.show, "show")
    year = _year(name.year)
    ids = ""
    if include_ids:
        if name.tvdb_id is not None:
            ids = f" {{tvdb-{_positive(name.tvdb_id, 'tvdb_id')}}}"
        elif name.tmdb_id is not None:
            ids = f" {{tmdb-{_positive(name.tmdb_id, 'tmdb_id')}}}"
    season, marker = _episode_marker(name)
    tail = ext
    if name.quality and (quality := _tag(name.quality, brackets=True)):
        tail = f" [{quality}]{ext}"
    ident = f"{year} - {marker}"
    max_bytes = _file_bytes(ext)
    if name.episode_title and (title := _field(name.episode_title)):
        room = max_bytes - len(f"{show}{ident} - {tail}".encode())
        if title := _strip_before(_truncate(title, room), tail):
            ident += f" - {title}"
    folder = sanitise(show + year + ids, keep_suffix=year + ids)
    file = sanitise(show + ident + tail, keep_suffix=ident + tail, max_bytes=max_bytes)
    return PurePosixPath(folder, f"Season {season:02d}", file)


def subtitle_path(
    video: PurePosixPath,
    extension: str,
    *,
    language: str | None = None,
    forced: bool = False,
    sdh: bool = False,
) -> PurePosixPath:
    """A subtitle next to `video`: `X.en.srt`, `X.en.forced.srt`, `X.en.sdh.srt`.

    `language` is an ISO 639-1 or 639-2 code, kept as given but in lower case (`ENG` -> `eng`;
    a region is dropped: `pt-BR` -> `pt`), or an English name (`English` -> `en`).
    """
    ext = _extension(extension)
    tags = ""
    if language is not None:
        code = _language_code(language)
        if code is None:
            raise ValueError(f"not a language: {language!r}")
        tags += f".{code}"
    if forced:
        tags += ".forced"
    if sdh:
        tags += ".sdh"
    name = f"{video.stem}{tags}{ext}"
    if len(name.encode()) > MAX_COMPONENT_BYTES:
        raise ValueError("the video's name is too long for a companion file")
    return video.with_name(name)


def companion_path(
    video: PurePosixPath, companion_name: str, *, source_stem: str | None = None
) -> PurePosixPath:
    """Where a companion of a source video goes next to `video`, named the Plex way.

    "Movie.2019.1080p.en.forced.srt" -> "<video stem>.en.forced.srt", "movie.eng.srt" ->
    "<video stem>.eng.srt", "Movie.English.srt" -> "<video stem>.en.srt", "Movie.nfo" ->
    "<video stem>.nfo". Tags are read case-insensitively: languages (2- and 3-letter codes,
    English names), `forced`/`foreign`, `sdh`/`cc`/`hi` (`hi` alone is Hindi); others are dropped.
    With `source_stem` (the source video's name without its extension) the tags are every
    part between that stem and the extension. Without it, or when the companion's name does
    not start with it, the tags are the recognised parts at the end of the name, stopping at
    the first other one and never taking the first part ("Movie.2019.srt" has no language).
    Artwork Plex finds by fixed names (`poster.jpg`, `fanart.jpg`) keeps its name, and
    `…-fanart.jpg` becomes `<video stem>-fanart.jpg`.
    """
    if "/" in companion_name or "\\" in companion_name:
        raise ValueError(f"not a file name: {companion_name!r}")
    stem, dot, extension = companion_name.strip().rpartition(".")
    if not dot or not stem.strip(" ."):
        raise ValueError(f"not a companion file name: {companion_name!r}")
    ext = _extension(extension)
    if ext in _IMAGE_EXTENSIONS:
        lowered = stem.strip().lower()
        if lowered in _ARTWORK:
            return video.with_name(lowered + ext)
        if kind := _ARTWORK_SUFFIX.search(lowered):
            return video.with_name(f"{video.stem}-{kind.group(1)}{ext}")
    language, forced, sdh = _read_tags(_tag_tokens(stem, source_stem))
    return subtitle_path(video, ext, language=language, forced=forced, sdh=sdh)


def _clean(text: str) -> str:
    """`text` with forbidden characters replaced, NFC, single spaces; not stripped or cut."""
    text = _CONTROL_OR_SURROGATE.sub("", _WHITESPACE_CONTROL.sub(" ", text))
    text = _TRAILING_COLON.sub("", unicodedata.normalize("NFC", text))
    text = _SPACED_COLON.sub(" - ", text).translate(_REPLACEMENTS)
    # Removing a character can bring a base letter and a combining mark together: compose again.
    return unicodedata.normalize("NFC", _WHITESPACE.sub(" ", text))


def _truncate(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` of at most `max_bytes` bytes of UTF-8."""
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max(max_bytes, 0)].decode(errors="ignore")


def _strip_before(name: str, tail: str) -> str:
    """`name` without the spaces and dots that would end the component or precede `tail`."""
    if not tail or tail.startswith("."):
        return name.rstrip(" .")
    if tail.startswith(" "):
        return name.rstrip(" ")
    return name


def _unreserve(name: str, tail: str) -> str:
    """`name` with `_` after its stem when `name + tail` is a Windows device name."""
    stem = (name + tail).split(".", 1)[0].rstrip(" ")
    if stem.upper() not in _RESERVED:
        return name
    at = min(len(stem), len(name))
    return f"{name[:at]}_{name[at:]}"


def _file_bytes(ext: str) -> int:
    """The most bytes a video's file name may take, leaving room for its companions."""
    return MAX_COMPONENT_BYTES - COMPANION_ROOM + len(ext)


def _extension(extension: str) -> str:
    """The extension as `.ext` in lower case, from `ext`, `.EXT` and the like."""
    value = extension.strip().lower().removeprefix(".")
    if not _EXTENSION.fullmatch(value):
        raise ValueError(f"not a file extension: {extension!r}")
    return f".{value}"


def _field(text: str) -> str:
    """Free text (a title) cleaned, with braces made parentheses: only hints use braces."""
    return _clean(text).translate(_BRACES).strip(" ")


def _required(text: str, what: str) -> str:
    if not text.strip():
        raise ValueError(f"the {what} is empty")
    return _field(text)


def _tag(text: str, *, brackets: bool = False) -> str:
    """Free text inside a tag (edition, quality): cleaned, bracket-free if asked, cut short."""
    text = _field(text)
    if brackets:
        text = text.translate(_BRACKETS)
    return _truncate(text, MAX_TAG_BYTES).rstrip(" .")


def _year(year: int | None) -> str:
    if year is None:
        return ""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"not a year: {year}")
    return f" ({year})"


def _positive(value: int, what: str) -> int:
    if value < 1:
        raise ValueError(f"{what} must be positive, not {value}")
    return value


def _movie_id(name: MovieName) -> str:
    """The folder's ID hint: `{tmdb-N}`, else `{imdb-ttN}`, else nothing."""
    if name.tmdb_id is not None:
        return f" {{tmdb-{_positive(name.tmdb_id, 'tmdb_id')}}}"
    if name.imdb_id is not None:
        imdb_id = name.imdb_id.strip().lower()
        if not _IMDB_ID.fullmatch(imdb_id):
            raise ValueError(f"not an IMDb ID: {name.imdb_id!r}")
        return f" {{imdb-{imdb_id}}}"
    return ""


def _episode_marker(name: EpisodeName) -> tuple[int, str]:
    """The season folder's number and the file's `s01e01-e02` or `2024-03-05`."""
    if name.season is not None and name.season < 0:
        raise ValueError(f"not a season: {name.season}")
    if name.episodes:
        if name.season is None:
            raise ValueError("numbered episodes need a season")
        episodes = sorted(set(name.episodes))
        if episodes[0] < 0:
            raise ValueError(f"not an episode: {episodes[0]}")
        if episodes[-1] - episodes[0] != len(episodes) - 1:
            raise ValueError(f"episodes in one file must be consecutive: {episodes}")
        marker = f"s{name.season:02d}e{episodes[0]:02d}"
        if len(episodes) > 1:
            marker += f"-e{episodes[-1]:02d}"
        return name.season, marker
    if name.air_date is None:
        raise ValueError("an episode needs episode numbers or an air date")
    season = name.air_date.year if name.season is None else name.season
    return season, name.air_date.isoformat()


def _language_code(text: str) -> str | None:
    """The lower-case code of a language code or English name; None if it is neither."""
    value = text.strip().lower()
    match = _LANGUAGE_TAG.fullmatch(value)
    if match and match.group(1) in _LANGUAGE_CODES:
        return match.group(1)
    return _LANGUAGE_NAMES.get(value)


def _is_tag(token: str) -> bool:
    value = token.strip().lower()
    return value in _FLAG_TAGS or _language_code(value) is not None


def _tag_tokens(stem: str, source_stem: str | None) -> list[str]:
    """The parts of a companion's stem that may be tags (see `companion_path`)."""
    if source_stem is not None and stem[: len(source_stem)].casefold() == source_stem.casefold():
        rest = stem[len(source_stem) :]
        if not rest:
            return []
        if rest.startswith("."):
            return rest[1:].split(".")
    tags: list[str] = []
    for token in reversed(stem.split(".")[1:]):
        if not _is_tag(token):
            break
        tags.append(token)
    return tags[::-1]


def _read_tags(tokens: list[str]) -> tuple[str | None, bool, bool]:
    """Language, forced and SDH from companion tags; unknown tags are ignored."""
    tags = [token.strip().lower() for token in tokens]
    forced = not _FORCED_TAGS.isdisjoint(tags)
    sdh = not (_SDH_TAGS - {_HINDI}).isdisjoint(tags)
    languages = [code for tag in tags if tag != _HINDI and (code := _language_code(tag))]
    if _HINDI in tags:
        if languages:
            sdh = True  # "en.hi": English for the hard of hearing (Bazarr's tag)
        else:
            languages = [_HINDI]  # "hi" alone: Hindi
    return (languages[-1] if languages else None), forced, sdh
