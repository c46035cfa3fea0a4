"""Weekly self-check (policy R1-R4) on small hand-made tables, with fixed clocks.

``NOW`` is Wednesday 2025-03-12 10:00 in Shanghai, so the reported week is Monday
2025-03-03 to Sunday 2025-03-09 and the 12-week trend runs from 2024-12-16.
"""
import struct
import zlib
from datetime import date

import pandas as pd
import pytest

from sheets_automation.report import (ReportSettings, category_of, is_high_season, report_rows, report_settings_from_mapping,
                                      report_weeks, weekly_report)
from sheets_automation.report.png import save_trend_png

TZ = "Asia/Shanghai"
NOW = pd.Timestamp("2025-03-12 10:00", tz=TZ).to_pydatetime()


def cases(*rows) -> pd.DataFrame:
    """rows: (opened_at, issue_type, status, sku, destination, tracking number)."""
    df = pd.DataFrame(rows, columns=["opened_at", "issue_type", "status", "sku", "destination_country", "tracking_number"])
    df["opened_at"] = pd.to_datetime(df["opened_at"]).dt.tz_localize(TZ)
    return df


@pytest.mark.parametrize("issue, category", [
    ("not_received", "shipping"), ("stale_tracking", "shipping"), ("customs_hold", "shipping"),
    ("damaged", "shipping"), ("false_delivery", "shipping"),
    ("quality", "quality"), ("size", "quality"),
    ("wrong_item", "warehouse"), ("missing_item", "warehouse"),
    ("no_reason_return", "other"), ("cancel", "other"), ("price_protection", "other"), ("", "other"),
])
def test_r1_categories_follow_the_policy(issue, category):
    assert category_of(issue) == category


@pytest.mark.parametrize("week, high", [
    (date(2024, 11, 25), False),  # Thursday Nov 28
    (date(2024, 12, 2), True),  # Thursday Dec 5
    (date(2025, 3, 24), True),  # Thursday Mar 27
    (date(2025, 3, 31), False),  # Thursday Apr 3
    (date(2025, 6, 2), False),
])
def test_r3_high_season_is_december_to_march(week, high):
    assert is_high_season(week) is high


def test_the_trend_is_the_twelve_complete_weeks_before_this_one():
    weeks = report_weeks(NOW, 12)
    assert (weeks[0], weeks[-1], len(weeks)) == (date(2024, 12, 16), date(2025, 3, 3), 12)
    # Monday 00:00 starts a new week: the week just ended is now the last one
    assert report_weeks(pd.Timestamp("2025-03-10 00:00", tz=TZ).to_pydatetime(), 12)[-1] == date(2025, 3, 3)
    assert report_weeks(pd.Timestamp("2025-03-09 23:59", tz=TZ).to_pydatetime(), 12)[-1] == date(2025, 2, 24)


TABLE = cases(
    ("2025-03-03 00:00", "not_received", "new", "MUG", "US", "RR123456785CN"),  # first minute of the week
    ("2025-03-09 23:59", "damaged", "resolved", "LAMP", "DE", "1Z999AA10123456784"),  # last minute of the week
    ("2025-03-05 12:00", "quality", "investigating", "SHOE", "US", ""),
    ("2025-03-06 12:00", "size", "closed", "SHOE", "FR", ""),
    ("2025-03-07 12:00", "wrong_item", "new", "MUG", "US", ""),
    ("2025-03-08 12:00", "cancel", "new", "", "US", ""),
    ("2025-03-10 00:00", "quality", "new", "DRESS", "US", ""),  # this week: not in the report's weeks
    ("2025-03-02 23:59", "not_received", "closed", "MUG", "US", "RR123456785CN"),  # week before
    ("2024-12-15 23:59", "quality", "closed", "OLD", "US", ""),  # before the 12 weeks
)
LOGISTICS = pd.DataFrame({"tracking_number": ["RR123456785CN"], "carrier": ["China Post"]})


def test_r1_cases_per_week_by_category():
    report = weekly_report(TABLE, NOW, ReportSettings(), LOGISTICS)
    assert report.week.week == date(2025, 3, 3)
    assert report.week.counts == {"shipping": 2, "quality": 2, "warehouse": 1, "other": 1}
    assert report.week.total == 6
    assert report.weeks[-2].counts == {"shipping": 1, "quality": 0, "warehouse": 0, "other": 0}
    assert sum(w.total for w in report.weeks) == 7  # the 2024-12-15 and this-week cases are outside


@pytest.mark.parametrize("orders, rate, verdict", [
    (3000, 0.2, "on target"),  # 6 / 3000 = exactly the 0.2 % target
    (2999, 0.2, "ABOVE TARGET"),  # just outside: 0.20007 %
    (6000, 0.1, "on target"),
])
def test_r2_rate_against_known_orders(orders, rate, verdict):
    report = weekly_report(TABLE, NOW, ReportSettings(orders_default=orders), LOGISTICS)
    assert report.week.rate_percent == pytest.approx(rate, abs=0.001)
    line = next(r for r in report_rows(report, TZ) if r and r[0] == "R2 after-service rate")
    assert line[-1] == verdict


def test_r2_rate_is_unknown_without_orders_and_per_week_counts_win():
    plain = weekly_report(TABLE, NOW, ReportSettings(), LOGISTICS)
    assert plain.week.rate_percent is None
    by_week = weekly_report(TABLE, NOW, ReportSettings(orders_by_week={date(2025, 3, 3): 1200.0}, orders_default=99999),
                            LOGISTICS)
    assert by_week.week.rate_percent == 0.5
    assert by_week.weeks[-2].orders == 99999


def test_r4_top_lists_and_ageing():
    report = weekly_report(TABLE, NOW, ReportSettings(top_n=2), LOGISTICS)
    assert report.top_skus == [("SHOE", 2)]  # quality + size within the 12 weeks; OLD is outside
    # RR… is on Logistics as China Post; 1Z… is detected as UPS from its shape
    assert report.top_carriers == [("China Post", 2), ("UPS", 1)]
    assert report.top_destinations == [("US", 2), ("DE", 1)]
    # open = not resolved/closed/rejected: ages at NOW 2025-03-12 10:00
    ages = dict(report.ageing)
    assert report.open_cases == 5
    assert ages == {"0-1 days": 0, "2-3 days": 2, "4-7 days": 2, "8-14 days": 1, "15-30 days": 0, "over 30 days": 0}


@pytest.mark.parametrize("opened, bucket", [
    ("2025-03-11 10:00", "0-1 days"),  # exactly 1 day
    ("2025-03-10 10:01", "0-1 days"),  # 1 day 23:59
    ("2025-03-10 10:00", "2-3 days"),  # exactly 2 days
    ("2025-02-10 10:00", "15-30 days"),  # exactly 30 days
    ("2025-02-09 10:00", "over 30 days"),  # 31 days
])
def test_ageing_buckets_at_their_edges(opened, bucket):
    report = weekly_report(cases((opened, "other", "new", "", "", "")), NOW, ReportSettings())
    assert dict(report.ageing)[bucket] == 1 and sum(n for _, n in report.ageing) == 1


def test_the_tab_layout_keeps_the_trend_block_fixed_for_the_chart():
    rows = report_rows(weekly_report(TABLE, NOW, ReportSettings(orders_default=3000), LOGISTICS), TZ)
    assert rows[3][:6] == ("Week starting", "Shipping", "Quality", "Warehouse", "Other", "Total")
    assert rows[4][0] == "2024-12-16" and rows[15][0] == "2025-03-03"
    assert rows[15][1:9] == (2, 2, 1, 1, 6, 3000, 0.2, "high season (Dec-Mar)")
    assert rows[14][1:9] == (1, 0, 0, 0, 1, 3000, 0.0333, "high season (Dec-Mar)")
    assert rows[1][1] == "2025-03-03 to 2025-03-09"


@pytest.mark.parametrize("mapping, problem", [
    ({"orders_per_week": -5}, "orders_per_week"),
    ({"orders_per_week": {"2025-03-04": 100}}, "not a Monday"),
    ({"orders_per_week": {"next week": 100}}, "key must be a Monday"),
    ({"rate_target_percent": 0}, "rate_target_percent"),
    ({"top_n": 0}, "top_n"),
    ({"weeks": 3}, "weeks"),
    ({"colour": "red"}, "unknown key"),
])
def test_report_settings_problems_are_named_by_key(mapping, problem):
    _settings, errors = report_settings_from_mapping(mapping)
    assert len(errors) == 1 and problem in errors[0]


def test_report_settings_accept_a_number_or_weeks():
    s, errors = report_settings_from_mapping({"orders_per_week": {"2025-03-03": 1200, "default": 900}, "top_n": 3})
    assert not errors and s.orders(date(2025, 3, 3)) == 1200 and s.orders(date(2025, 3, 10)) == 900 and s.top_n == 3


def _png_chunks(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    i, out = 8, []
    while i < len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        kind, body, crc = data[i + 4:i + 8], data[i + 8:i + 8 + n], data[i + 8 + n:i + 12 + n]
        assert struct.unpack(">I", crc)[0] == zlib.crc32(kind + body) & 0xFFFFFFFF
        out.append((kind, body))
        i += 12 + n
    return out


def test_report_png_is_saved(tmp_path):
    report = weekly_report(TABLE, NOW, ReportSettings(), LOGISTICS)
    assert save_trend_png(report, tmp_path / "trend.png") == "matplotlib"
    chunks = _png_chunks((tmp_path / "trend.png").read_bytes())
    assert chunks[0][0] == b"IHDR" and struct.unpack(">II", chunks[0][1][:8]) == (900, 450)
