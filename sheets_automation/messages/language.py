"""Which language a customer message is written in (sheet-layout.md "Customer language").

The Cases column "Customer language" wins when it names a shipped language; otherwise the
main official language of the destination country that we ship; otherwise English::

    >>> pick_language("pt_BR", "US")
    'pt'
    >>> pick_language("", "Deutschland")
    'de'
    >>> pick_language("Japanese", "JP")
    'en'

Surprises worth knowing:

* Traditional Chinese (``zh-TW``, ``zh-Hant``, 繁體中文) gets the Simplified catalogue:
  it is much closer to what the customer reads than English is.
* For a country with several official languages, the first one we ship wins, in the
  order Babel's CLDR data lists them (``CH`` → de, ``BE`` → fr, ``CA`` → en).
"""
from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale
from babel.languages import get_official_languages

from .. import codes

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "zh", "es", "fr", "de", "pt")
DEFAULT_LANGUAGE = "en"

# Names Babel does not give us (endonyms and English names come from CLDR below).
_EXTRA_LANGUAGE_NAMES = {
    "汉语": "zh", "漢語": "zh", "中文": "zh", "简体中文": "zh", "繁體中文": "zh", "繁体中文": "zh",
    "普通话": "zh", "國語": "zh", "mandarin": "zh", "chinese simplified": "zh",
    "simplified chinese": "zh", "traditional chinese": "zh",
    "castellano": "es", "espanol": "es", "francais": "fr", "portugues": "pt",
    "brazilian portuguese": "pt", "português do brasil": "pt",
    # ISO 639-2 three-letter codes (bibliographic and terminological).
    "eng": "en", "zho": "zh", "chi": "zh", "spa": "es", "fra": "fr", "fre": "fr",
    "deu": "de", "ger": "de", "por": "pt",
}

# CLDR region codes that are not countries (unknown region, EU, eurozone, UN, pseudo-locales).

def _key(text: str) -> str:
    """Lower-case, trimmed, inner whitespace collapsed: how names are compared."""
    return " ".join(text.strip().casefold().split())


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    """Every supported language's name in every supported language, plus extras."""
    names = {code: code for code in SUPPORTED_LANGUAGES}
    for shown_in in SUPPORTED_LANGUAGES:
        display = Locale.parse(shown_in)
        for code in SUPPORTED_LANGUAGES:
            name = display.languages.get(code)
            if name:
                names[_key(name)] = code
    names.update({_key(k): v for k, v in _EXTRA_LANGUAGE_NAMES.items()})
    return names


def normalize_language(value: str) -> str | None:
    """The supported language a code or name stands for, or None.

    Accepts BCP 47 and POSIX codes (``"zh-CN"``, ``"pt_BR"``, ``"en-US.UTF-8"``), ISO 639-2
    codes (``"ger"``) and names in any supported language (``"Chinese"``, ``"中文"``,
    ``"Español"``).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    return _normalized(value)


@lru_cache(maxsize=4096)
def _normalized(value: str) -> str | None:
    """:func:`normalize_language` of a non-blank text (a sheet repeats a few spellings)."""
    key = _key(value)
    names = _language_names()
    if key in names:
        return names[key]
    primary = re.split(r"[-_.@\s]", key, maxsplit=1)[0]
    return names.get(primary) if re.fullmatch(r"[a-z]{2,3}", primary) else None


def country_code(value: str) -> str | None:
    """ISO 3166 alpha-2 code for a code or a country name (English, Chinese, ...), or None."""
    return codes.country_code(value) or None if isinstance(value, str) else None


def country_language(destination_country: str) -> str | None:
    """The first official language of the country that we ship, or None."""
    code = country_code(destination_country)
    if code is None:
        return None
    return _official_language(code)


@lru_cache(maxsize=512)
def _official_language(code: str) -> str | None:
    """:func:`country_language` of an ISO 3166 code (CLDR looked up once per country)."""
    for language in get_official_languages(code, de_facto=True):
        primary = language.split("_", 1)[0]
        if primary in SUPPORTED_LANGUAGES:
            return primary
    return None


def pick_language(customer_language: str, destination_country: str) -> str:
    """Customer language if we ship it, else the destination's language, else ``"en"``.

    Never raises: unknown or blank values fall through to the next choice.
    """
    return (
        normalize_language(customer_language)
        or country_language(destination_country)
        or DEFAULT_LANGUAGE
    )
