"""Dates, times and amounts in the reader's language, in merchant time ("Merchant time")."""
from __future__ import annotations

import warnings
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sheets_automation.messages.formatting import FormattingError, local_date, local_datetime, money

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(("amount", "currency", "language", "expected"), [
    (Decimal("12.50"), "EUR", "de", f"12,50{NBSP}€"),
    (Decimal("12.50"), "EUR", "en", "€12.50"),
    (Decimal("12.50"), "EUR", "fr", f"12,50{NBSP}€"),
    (Decimal("12.50"), "EUR", "es", f"12,50{NBSP}€"),
    (Decimal("12.50"), "EUR", "pt", f"€{NBSP}12,50"),
    (Decimal("12.50"), "EUR", "zh", "€12.50"),
    (Decimal("1234.5"), "USD", "en", "$1,234.50"),
    (Decimal("1234.5"), "USD", "de", f"1.234,50{NBSP}$"),
    (Decimal("99"), "CNY", "zh", "¥99.00"),
    (12, "EUR", "en", "€12.00"),
    ("12.5", "eur", "en", "€12.50"),  # a sheet cell read as text; currency case-insensitive
    (0.1, "USD", "en", "$0.10"),
])
def test_money_follows_the_language(amount, currency, language, expected):
    assert money(amount, currency, language) == expected


@pytest.mark.parametrize(("amount", "currency"), [
    ("twelve", "EUR"), (True, "EUR"), (None, "EUR"), (Decimal("NaN"), "EUR"), ("inf", "EUR"),
    (12, "EURO"), (12, ""), (12, None), (12, "E1R"),
])
def test_money_refuses_what_it_cannot_show(amount, currency):
    with pytest.raises(FormattingError):
        money(amount, currency, "en")


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "March 9, 2025"),
    ("zh", "2025年3月9日"),
    ("es", "9 de marzo de 2025"),
    ("fr", "9 mars 2025"),
    ("de", "9. März 2025"),
    ("pt", "9 de março de 2025"),
])
def test_long_dates_per_language(language, expected):
    assert local_date(date(2025, 3, 9), language, SHANGHAI) == expected


@pytest.mark.parametrize(("utc", "expected"), [
    (datetime(2025, 3, 8, 15, 59, tzinfo=timezone.utc), "March 8, 2025"),  # 23:59 in Shanghai
    (datetime(2025, 3, 8, 16, 0, tzinfo=timezone.utc), "March 9, 2025"),  # 00:00 in Shanghai
])
def test_an_aware_datetime_shows_the_merchant_date(utc, expected):
    assert local_date(utc, "en", SHANGHAI) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en", f"March 9, 2025, 12:00{NNBSP}AM GMT+08:00"),
    ("zh", "2025年3月9日 00:00 GMT+08:00"),
    ("de", "9. März 2025, 00:00 GMT+08:00"),
    ("fr", "9 mars 2025, 00:00 UTC+08:00"),
])
def test_datetimes_show_merchant_time_with_its_offset(language, expected):
    # W2 example in policy.md: delivery 2025-03-01 14:00 -> window ends 2025-03-09 00:00.
    end = datetime(2025, 3, 8, 16, 0, tzinfo=timezone.utc)
    assert local_datetime(end, language, SHANGHAI) == expected


@pytest.mark.parametrize(("utc", "expected"), [
    (datetime(2025, 3, 9, 6, 59, tzinfo=timezone.utc), "01:59 GMT-05:00"),  # just before DST
    (datetime(2025, 3, 9, 7, 0, tzinfo=timezone.utc), "03:00 GMT-04:00"),  # just after DST
])
def test_datetimes_are_dst_safe(utc, expected):
    assert local_datetime(utc, "de", NEW_YORK) == f"9. März 2025, {expected}"


def test_one_instant_reads_the_same_whatever_its_type_or_zone_and_each_zone_its_own_time():
    """The same instant given as a pandas Timestamp in another zone reads the same, and a
    zone asked later gets its own wall time (texts are kept by wall time and offset)."""
    as_utc = datetime(2025, 3, 9, 7, 0, tzinfo=timezone.utc)
    as_shanghai = pd.Timestamp("2025-03-09 15:00", tz="Asia/Shanghai")
    asked = [(as_utc, NEW_YORK, "9. März 2025, 03:00 GMT-04:00"),
             (as_shanghai, NEW_YORK, "9. März 2025, 03:00 GMT-04:00"),
             (as_utc, SHANGHAI, "9. März 2025, 15:00 GMT+08:00"),
             (as_shanghai - pd.Timedelta(minutes=1), NEW_YORK, "9. März 2025, 01:59 GMT-05:00"),
             (as_shanghai + pd.Timedelta(nanoseconds=1), NEW_YORK, "9. März 2025, 03:00 GMT-04:00")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nanoseconds (never shown) are dropped without a warning
        for value, tz, expected in asked + asked:
            assert local_datetime(value, "de", tz) == expected
    assert local_date(as_shanghai, "en", NEW_YORK) == "March 9, 2025"
    assert local_date(as_utc - pd.Timedelta(hours=8), "en", NEW_YORK) == "March 8, 2025"
    assert local_date(as_utc - pd.Timedelta(hours=8), "en", SHANGHAI) == "March 9, 2025"


@pytest.mark.parametrize("value", [datetime(2025, 3, 9, 0, 0), "2025-03-09", 20250309])
def test_naive_or_non_datetimes_are_refused(value):
    with pytest.raises(FormattingError):
        local_datetime(value, "en", SHANGHAI)


@pytest.mark.parametrize("value", [datetime(2025, 3, 9, 0, 0), "2025-03-09"])
def test_dates_refuse_naive_datetimes_and_text(value):
    with pytest.raises(FormattingError):
        local_date(value, "en", SHANGHAI)
