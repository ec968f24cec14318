"""The languages the metadata provider asks TMDb for: TMDb's own, whatever a client sends.

Each language has answers (and cache entries) of its own, so the provider knows only the 144
tags TMDb translates into (its `configuration/primary_translations`, as recorded in 2026 by
TMDbLib's tests). `X-Plex-Language` is normalised onto them: `en-us`, `en_US` and `EN` are
`en-US`; a language alone, or with a region TMDb does not have, is its main region (`fr` and
`fr-BE` are `fr-FR`); anything else is `DEFAULT_LANGUAGE`.
"""

from __future__ import annotations

import re
from typing import Final

DEFAULT_LANGUAGE: Final = "en-US"  # what the TMDb client asks for when told nothing
_TMDB_TAGS: Final = """
    af-ZA ar-AE ar-BH ar-EG ar-IQ ar-JO ar-LY ar-MA ar-QA ar-SA ar-TD ar-YE be-BY bg-BG bn-BD
    bn-IN br-FR ca-AD ca-ES ch-GU cs-CZ cy-GB da-DK de-AT de-CH de-DE el-CY el-GR en-AG en-AU
    en-BB en-BZ en-CA en-CM en-GB en-GG en-GH en-GI en-GY en-IE en-JM en-KE en-LC en-MW en-NZ
    en-PG en-TC en-US en-ZM en-ZW eo-EO es-AR es-CL es-DO es-EC es-ES es-GQ es-GT es-HN es-MX
    es-NI es-PA es-PE es-PY es-SV es-UY et-EE eu-ES fa-IR fi-FI fr-BF fr-CA fr-CD fr-CI fr-FR
    fr-GF fr-GP fr-MC fr-ML fr-MU fr-PF ga-IE gd-GB gl-ES he-IL hi-IN hr-HR hu-HU hy-AM id-ID
    it-IT it-VA ja-JP ka-GE kk-KZ kn-IN ko-KR ku-TR ky-KG lt-LT lv-LV ml-IN mr-IN ms-MY ms-SG
    nb-NO ne-NP nl-BE nl-NL no-NO oc-FR pa-IN pl-PL pt-AO pt-BR pt-MZ pt-PT ro-MD ro-RO ru-RU
    si-LK sk-SK sl-SI so-SO sq-AL sq-XK sr-ME sr-RS sv-SE sw-TZ ta-IN te-IN th-TH tl-PH tr-TR
    uk-UA ur-PK uz-UZ vi-VN zh-CN zh-HK zh-SG zh-TW zu-ZA
"""
TMDB_LANGUAGES: Final = frozenset(_TMDB_TAGS.split())
# A language's main region where it has several and none is the language's own code (de-DE).
_MAIN_REGION: Final = {
    "ar": "SA",
    "bn": "BD",
    "ca": "ES",
    "el": "GR",
    "en": "US",
    "ms": "MY",
    "sq": "AL",
    "sr": "RS",
    "zh": "CN",
}
# Script subtags Plex may send for Chinese.
_SCRIPT_REGION: Final = {"hans": "CN", "hant": "TW"}
_TAG = re.compile(r"([a-z]{2})(?:[-_]([a-z]{4}))?(?:[-_]([a-z]{2}))?", re.IGNORECASE)


def _main_tags() -> dict[str, str]:
    by_language: dict[str, list[str]] = {}
    for tag in sorted(TMDB_LANGUAGES):
        by_language.setdefault(tag[:2], []).append(tag)
    main: dict[str, str] = {}
    for language, tags in by_language.items():
        own = f"{language}-{_MAIN_REGION.get(language, language.upper())}"
        main[language] = own if own in tags else tags[0]
    return main


MAIN_TAGS: Final = _main_tags()  # language -> its main tag ("fr" -> "fr-FR")


def normalise_language(text: str | None) -> str:
    """The TMDb language tag for what a client sent (`DEFAULT_LANGUAGE` when none fits)."""
    found = _TAG.fullmatch((text or "").strip()[:16])
    if found is None:
        return DEFAULT_LANGUAGE
    language, script, region = found.groups()
    language = language.lower()
    if region is None and script is not None:
        region = _SCRIPT_REGION.get(script.lower())
    tag = f"{language}-{region.upper()}" if region else ""
    if tag in TMDB_LANGUAGES:
        return tag
    return MAIN_TAGS.get(language, DEFAULT_LANGUAGE)
