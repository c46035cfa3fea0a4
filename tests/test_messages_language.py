"""Which language a message is written in: Customer language, else destination, else English."""
from __future__ import annotations

import pytest

from sheets_automation.messages import SUPPORTED_LANGUAGES, normalize_language, pick_language
from sheets_automation.messages.language import country_code


@pytest.mark.parametrize(("customer_language", "destination", "expected"), [
    # the Customer language column wins when we ship that language
    ("en", "DE", "en"),
    ("zh", "US", "zh"),
    ("zh-CN", "US", "zh"),
    ("zh_Hans_CN", "", "zh"),
    ("zh-TW", "", "zh"),  # Traditional readers get Simplified rather than English
    ("pt_BR", "US", "pt"),
    ("pt-PT", "", "pt"),
    ("en-GB", "FR", "en"),
    ("  EN-us ", "", "en"),
    ("de_DE.UTF-8", "", "de"),
    ("FR", "", "fr"),
    ("ger", "", "de"),
    ("spa", "", "es"),
    ("Chinese", "US", "zh"),
    ("中文", "US", "zh"),
    ("简体中文", "", "zh"),
    ("繁體中文", "", "zh"),
    ("Español", "US", "es"),
    ("castellano", "", "es"),
    ("Spanish", "", "es"),
    ("français", "", "fr"),
    ("Francais", "", "fr"),
    ("Deutsch", "", "de"),
    ("german", "", "de"),
    ("Português", "", "pt"),
    ("葡萄牙语", "", "pt"),
    ("english", "CN", "en"),
    # else the destination country's main language, when we ship it
    ("", "DE", "de"),
    ("", "de", "de"),
    ("", "Germany", "de"),
    ("", "Deutschland", "de"),
    ("", "德国", "de"),
    ("", "AT", "de"),
    ("", "BR", "pt"),
    ("", "Brasil", "pt"),
    ("", "PT", "pt"),
    ("", "MX", "es"),
    ("", "España", "es"),
    ("", "FR", "fr"),
    ("", "CN", "zh"),
    ("", "中国", "zh"),
    ("", "TW", "zh"),
    ("", "CH", "de"),  # de, gsw, fr, it: the first one we ship
    ("", "BE", "fr"),  # nl is not shipped, fr is
    ("", "CA", "en"),
    ("", "US", "en"),
    ("", "United States", "en"),
    ("", "USA", "en"),
    ("", "UK", "en"),
    ("ja", "DE", "de"),  # unsupported customer language: fall through to the destination
    ("Klingon", "MX", "es"),
    # else English
    ("", "JP", "en"),
    ("ja", "JP", "en"),
    ("", "", "en"),
    ("", "Atlantis", "en"),
    ("", "ZZ", "en"),
    ("xx-YY", "QQ", "en"),
    (None, None, "en"),
    (42, 7, "en"),
])
def test_pick_language(customer_language, destination, expected):
    assert pick_language(customer_language, destination) == expected


def test_every_supported_language_picks_itself():
    for code in SUPPORTED_LANGUAGES:
        assert normalize_language(code) == code
        assert pick_language(code.upper(), "JP") == code


@pytest.mark.parametrize(("value", "expected"), [
    ("DE", "DE"), ("gb", "GB"), ("uk", "GB"), ("Germany", "DE"), ("  united   kingdom ", "GB"),
    ("ZZ", None), ("", None), ("Narnia", None),
])
def test_country_code(value, expected):
    assert country_code(value) == expected
