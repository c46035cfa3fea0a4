"""Countries (V6), currencies (V5) and languages, from Babel's CLDR data: the one place
the product looks codes up.

Each normaliser turns what a person typed into a code, or '' when it is not one;
:func:`country_codes` and :func:`currency_codes` are the sets of valid codes.
"""
from __future__ import annotations

import re
from functools import cache

from babel import Locale
from babel.numbers import list_currencies

_NAME_LOCALES = ("en", "zh", "es", "fr", "de", "pt")
_NOT_COUNTRIES = ("EU", "EZ", "UN", "QO", "XA", "XB", "ZZ")  # CLDR regions that are no country
_EXTRA_COUNTRY_NAMES = {
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "america": "US", "unitedstatesofamerica": "US",
    "uk": "GB", "england": "GB", "britain": "GB", "greatbritain": "GB", "美国": "US", "英国": "GB",
    "holland": "NL", "korea": "KR", "southkorea": "KR", "russia": "RU", "czechia": "CZ",
    "uae": "AE", "mainlandchina": "CN", "中国大陆": "CN", "大陆": "CN", "scotland": "GB", "wales": "GB",
    "méxico": "MX", "españa": "ES", "brasil": "BR",
}


def _key(text: str) -> str:
    return re.sub(r"[\s\-_'’.]+", "", text).casefold()


@cache
def _countries() -> dict[str, str]:
    table: dict[str, str] = {}
    for loc in _NAME_LOCALES:
        for code, name in Locale.parse(loc).territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                table.setdefault(_key(name), code)
                table.setdefault(code.casefold(), code)
    for k, v in _EXTRA_COUNTRY_NAMES.items():
        table.setdefault(_key(k), v)
    return table


@cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166 alpha-2 code (``"DE" in country_codes()``)."""
    return frozenset(_countries().values())


def country_code(text: str) -> str:
    """``"Germany"`` / ``"德国"`` / ``"de"`` → ``"DE"``; '' when unknown."""
    return _countries().get(_key(text), "") if text.strip() else ""


@cache
def currency_codes() -> frozenset[str]:
    """Every ISO 4217 code (``"EUR" in currency_codes()``)."""
    return frozenset(list_currencies())


_CURRENCY_SIGNS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "￥": "CNY", "rmb": "CNY",
                   "元": "CNY", "人民币": "CNY", "美元": "USD", "欧元": "EUR", "英镑": "GBP"}


def currency_code(text: str) -> str:
    """``"usd"`` / ``"€"`` / ``"RMB"`` → ISO 4217 code; '' when unknown."""
    t = text.strip()
    if not t:
        return ""
    if t.casefold() in _CURRENCY_SIGNS:
        return _CURRENCY_SIGNS[t.casefold()]
    return t.upper() if t.upper() in currency_codes() else ""


@cache
def _languages() -> dict[str, str]:
    table: dict[str, str] = {}
    for loc in _NAME_LOCALES:
        for code, name in Locale.parse(loc).languages.items():
            if "_" not in code and len(code) in (2, 3):
                table.setdefault(_key(name), code)
                table.setdefault(code, code)
    table.update({"中文": "zh", "简体中文": "zh", "chinese": "zh", "mandarin": "zh", "español": "es",
                  "english": "en", "英语": "en", "英文": "en"})
    return table


def language_code(text: str) -> str:
    """``"zh-CN"`` / ``"pt_BR"`` / ``"Español"`` / ``"中文"`` → ``"zh"``, ``"pt"``, ``"es"``; '' when unknown."""
    t = text.strip()
    if not t:
        return ""
    primary = re.split(r"[-_]", t)[0]
    return _languages().get(_key(primary), "") or _languages().get(_key(t), "")
