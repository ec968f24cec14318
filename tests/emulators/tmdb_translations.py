"""The TMDb emulator's translations: `/movie/{id}/translations`, `/tv/{id}/translations`.

Shapes as TMDb's recorded answers (../shared/corpora/tmdblib-wiremock: movie/47964/translations
and tv/1396/translations, copied to tests/fixtures/tmdb): per language its codes, its name in
that language and in English, and `data` with a `title` for films and a `name` for shows.
TMDb leaves the title empty where it is the original's (the en-US entry of an English film).
Appended with `append_to_response=translations`, the answer comes without its `id`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.emulators.catalogue import (
        CatalogueMovie,
        CatalogueShow,
        CatalogueTranslation,
    )

# ISO 639-1 -> (the language's name in itself, in English), as TMDb's translations list them.
LANGUAGES: dict[str, tuple[str, str]] = {
    "cs": ("Český", "Czech"),
    "da": ("Dansk", "Danish"),
    "de": ("Deutsch", "German"),
    "en": ("English", "English"),
    "es": ("Español", "Spanish"),
    "fr": ("Français", "French"),
    "it": ("Italiano", "Italian"),
    "ja": ("日本語", "Japanese"),
    "ko": ("한국어/조선말", "Korean"),
    "nl": ("Nederlands", "Dutch"),
    "no": ("Norsk bokmål", "Norwegian Bokmål"),
    "pl": ("Polski", "Polish"),
    "pt": ("Português", "Portuguese"),
    "ru": ("P\u0443\u0441\u0441\u043a\u0438\u0439", "Russian"),  # TMDb's spelling, a Latin P
    "sv": ("svenska", "Swedish"),
    "tr": ("Türkçe", "Turkish"),
    "zh": ("普通话", "Mandarin"),
}


def _language(translation: CatalogueTranslation) -> dict[str, Any]:
    name, english = LANGUAGES.get(translation.iso_639_1, (translation.iso_639_1,) * 2)
    return {
        "iso_3166_1": translation.iso_3166_1,
        "iso_639_1": translation.iso_639_1,
        "name": name,
        "english_name": english,
    }


def movie_translations(movie: CatalogueMovie) -> list[dict[str, Any]]:
    """The `translations` of /movie/{id}/translations."""
    return [
        {
            **_language(t),
            "data": {
                "homepage": "",
                "overview": "",
                "runtime": movie.runtime or 0,
                "tagline": "",
                "title": t.title,
            },
        }
        for t in movie.translations
    ]


def show_translations(show: CatalogueShow) -> list[dict[str, Any]]:
    """The `translations` of /tv/{id}/translations (a show's title is its `name`)."""
    return [
        {
            **_language(t),
            "data": {"name": t.title, "overview": "", "homepage": "", "tagline": ""},
        }
        for t in show.translations
    ]
