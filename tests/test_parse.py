"""Typed reading of raw cells (V2 timestamps, V5 numbers, enums, codes): tables of inputs."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sheets_automation import codes, parse

SH = "Asia/Shanghai"


@pytest.mark.parametrize("text, expected, date_only", [
    ("2025-03-01 14:00", "2025-03-01T14:00:00+08:00", False),
    ("2025-03-01T14:00:00", "2025-03-01T14:00:00+08:00", False),
    ("2025-03-01", "2025-03-01T00:00:00+08:00", True),
    ("2025/3/1 14:00", "2025-03-01T14:00:00+08:00", False),
    ("2025.03.01", "2025-03-01T00:00:00+08:00", True),
    ("2025年3月1日 14:00", "2025-03-01T14:00:00+08:00", False),
    ("2025年3月1日14时30分", "2025-03-01T14:30:00+08:00", False),
    ("2025年3月1日 下午2:05", "2025-03-01T14:05:00+08:00", False),
    ("2025年3月1日", "2025-03-01T00:00:00+08:00", True),
    ("45717", "2025-03-01T00:00:00+08:00", True),  # Sheets serial number (days since 1899-12-30)
    ("45717.5833333333", "2025-03-01T14:00:00+08:00", False),
    ("3/14/2025 2:30 PM", "2025-03-14T14:30:00+08:00", False),  # month first by default
    ("31/03/2025", "2025-03-31T00:00:00+08:00", True),  # first part > 12: must be the day
    ("2025-03-01T06:00:00Z", "2025-03-01T14:00:00+08:00", False),  # offset converted to merchant time
    ("2025-03-01 14:00 +01:00", "2025-03-01T21:00:00+08:00", False),
])
def test_timestamps_accepted(text, expected, date_only):
    values, flags, bad = parse.parse_timestamps(pd.Series([text]), SH)
    assert values.iloc[0].isoformat() == expected
    assert bool(flags.iloc[0]) is date_only
    assert not bad.iloc[0]


@pytest.mark.parametrize("text", ["garbage", "2025-02-30", "2025-13-01", "32/01/2025", "12345678", "1.5", "2025年13月1日"])
def test_timestamps_rejected_are_flagged_not_raised(text):
    values, _, bad = parse.parse_timestamps(pd.Series([text]), SH)
    assert pd.isna(values.iloc[0]) and bad.iloc[0]


def test_blank_is_neither_value_nor_error():
    values, flags, bad = parse.parse_timestamps(pd.Series(["", "  "]), SH)
    assert values.isna().all() and not bad.any() and not flags.any()


def test_dst_gap_and_fold_are_resolved_in_merchant_zone():
    values, _, bad = parse.parse_timestamps(pd.Series(["2025-03-30 02:30", "2025-10-26 02:30"]), "Europe/Berlin")
    assert not bad.any()
    assert values.iloc[0].isoformat() == "2025-03-30T03:00:00+02:00"  # nonexistent: shifted forward
    assert values.iloc[1].utcoffset().total_seconds() == 7200  # ambiguous: first occurrence


def test_day_first_option_for_ambiguous_dates():
    v, _, _ = parse.parse_timestamps(pd.Series(["01/03/2025"]), SH, day_first=True)
    assert v.iloc[0].month == 3
    v, _, _ = parse.parse_timestamps(pd.Series(["01/03/2025"]), SH, day_first=False)
    assert v.iloc[0].month == 1


@pytest.mark.parametrize("text, expected", [
    ("12.5", 12.5), ("¥1,299.00", 1299.0), ("USD 12.5", 12.5), ("12 EUR", 12.0), ("1 299,50", 1299.5),
    ("12,50", 12.5), ("€ 1.234,56", 1234.56), ("$5", 5.0), ("US$7", 7.0), ("-3", -3.0), ("1e3", 1000.0),
    ("30元", 30.0),
])
def test_numbers_accepted(text, expected):
    values, bad = parse.parse_numbers(pd.Series([text]))
    assert values.iloc[0] == pytest.approx(expected) and not bad.iloc[0]


@pytest.mark.parametrize("text", ["abc", "12..5", "--3", "1,2,3.4.5"])
def test_numbers_rejected(text):
    values, bad = parse.parse_numbers(pd.Series([text]))
    assert pd.isna(values.iloc[0]) and bad.iloc[0]


def test_integers_refuse_fractions_and_absurd_sizes():
    values, bad = parse.parse_integers(pd.Series(["3", "3.0", "3.5", "", "1e20"]))  # 1e20: found by hypothesis
    assert list(values.astype(object).where(values.notna(), None)) == [3, 3, None, None, None]
    assert list(bad) == [False, False, True, False, True]


@pytest.mark.parametrize("text, expected", [
    ("not_received", "not_received"), ("Not Received", "not_received"), ("not-received", "not_received"),
    ("NOT_RECEIVED", "not_received"), ("lost parcel", ""),
])
def test_enums_are_case_and_space_insensitive(text, expected):
    values, bad = parse.canonical_enum(pd.Series([text]), ("not_received", "damaged"))
    assert values.iloc[0] == expected
    assert bool(bad.iloc[0]) is (expected == "")


@pytest.mark.parametrize("fn, text, expected", [
    (codes.country_code, "Germany", "DE"), (codes.country_code, "德国", "DE"), (codes.country_code, "de", "DE"),
    (codes.country_code, "USA", "US"), (codes.country_code, "Narnia", ""), (codes.country_code, "Brasil", "BR"),
    (codes.currency_code, "usd", "USD"), (codes.currency_code, "€", "EUR"), (codes.currency_code, "RMB", "CNY"),
    (codes.currency_code, "XYZ", ""), (codes.language_code, "zh-CN", "zh"), (codes.language_code, "pt_BR", "pt"),
    (codes.language_code, "Español", "es"), (codes.language_code, "中文", "zh"), (codes.language_code, "xx", ""),
])
def test_codes(fn, text, expected):
    assert fn(text) == expected


def test_links_split_on_spaces_commas_and_new_lines():
    assert parse.split_links("a.jpg, b.jpg\nc.jpg  d.jpg，e.jpg") == ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]


def test_serial_epoch_matches_cassette_facts():
    # gspread cassette: 2020-01-01 → 43831, 1999-01-02 → 36162 (reference/gspread-sheets-api.md §3.7)
    for serial, day in (("43831", datetime(2020, 1, 1)), ("36162", datetime(1999, 1, 2))):
        v, _, _ = parse.parse_timestamps(pd.Series([serial]), "UTC")
        assert v.iloc[0] == day.replace(tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize("text, ok", [
    ("1899-12-31", False), ("1900-01-01", True), ("2199-12-31 23:59", True), ("2200-01-01", False),
    ("2520-03-01", False), ("0001-01-01", False), ("9999-12-31", False), ("2520年11月20日", False),
    ("2520/3/1 10:00", False), ("31/12/9999", False),
    ("2025-03-01T10:00+14:00", True), ("2025-03-01T10:00-12:00", True), ("2025-03-01T10:00+14:01", False),
    ("2025-03-01T10:00+24:00", False), ("2025-03-01T10:00+05:75", False),
])
def test_timestamp_years_and_offsets_have_bounds_not_crashes(text, ok):
    """Issue 13: out of pandas' range or beyond real UTC offsets is a bad cell (V2), never an exception."""
    values, _, bad = parse.parse_timestamps(pd.Series([text, "2025-03-01"]), SH)
    assert bool(bad.iloc[0]) is not ok and pd.isna(values.iloc[0]) is not ok
    assert values.iloc[1].year == 2025  # the column's other cells are read


@pytest.mark.parametrize("text, expected", [
    ("1000000000", 1e9), ("1000000001", None), ("1e27", None), ("6222021234567890123", None), ("1e400", None),
    ("abc12", None), ("e5", None), ("12abc", None), ("5e", None), ("RMB 30", 30.0), ("12 usd", 12.0),
    ("HK$5", 5.0), ("NaN", None), ("inf", None),
])
def test_amounts_letters_only_as_currency_and_a_plausible_size(text, expected):
    values, bad = parse.parse_numbers(pd.Series([text]))
    if expected is None:
        assert bad.iloc[0] and pd.isna(values.iloc[0])
    else:
        assert not bad.iloc[0] and values.iloc[0] == expected


@pytest.mark.parametrize("text, large", [("6222021234567890123", True), ("1e27", True), ("abc12", False), ("12", False)])
def test_too_large_tells_a_pasted_number_from_junk(text, large):
    assert parse.too_large(text) is large


def test_implausible_dates_before_2000_or_a_year_before_the_anchor():
    from sheets_automation.table import implausible

    tz = ZoneInfo(SH)
    stamps = pd.Series(pd.to_datetime(["1954-10-03", "2024-03-01", "2024-02-20", "2025-03-01", None]).tz_localize(tz))
    anchor = pd.Series(pd.to_datetime(["2025-03-01", "2025-03-01", "2025-03-01", None, None]).tz_localize(tz))
    now = datetime(2026, 1, 1, tzinfo=tz)
    assert implausible(stamps, anchor, now).tolist() == [True, False, True, False, False]
    assert implausible(stamps, anchor, None).tolist() == [True, False, False, False, False]
