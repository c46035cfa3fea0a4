"""Working days (policy.md conventions): CN holidays and official make-up working days."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sheets_automation.policy import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
CN = WorkCalendar("CN")


def at(text: str, tz: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


@pytest.mark.parametrize("day, working", [
    ("2025-01-24", True),   # Fri
    ("2025-01-25", False),  # Sat
    ("2025-01-26", True),   # Sun, make-up working day before Spring Festival
    ("2025-01-27", True),   # Mon
    ("2025-01-28", False),  # Spring Festival holiday starts
    ("2025-02-04", False),  # ... and ends
    ("2025-02-05", True),
    ("2025-02-08", True),   # Sat, make-up working day
    ("2025-02-09", False),  # Sun
])
def test_cn_working_days_include_make_up_weekends(day, working):
    assert CN.is_working_day(date.fromisoformat(day)) is working


@pytest.mark.parametrize("start, n, due", [
    # S3: reported Fri → Sun 26 was worked, Mon 27 is the 2nd working day
    ("2025-01-24 10:00", 2, "2025-01-27 18:00"),
    # reported Mon 27: the holiday Jan 28 - Feb 4 does not count
    ("2025-01-27 10:00", 2, "2025-02-06 18:00"),
    ("2025-01-27 10:00", 4, "2025-02-08 18:00"),  # Sat Feb 8, a make-up working day
    ("2025-02-06 09:00", 2, "2025-02-08 18:00"),
    ("2025-01-27 23:30", 1, "2025-02-05 18:00"),  # the start's time of day does not matter
    # n = 0 (S5): the same day if working, else the next working day
    ("2025-01-24 10:00", 0, "2025-01-24 18:00"),
    ("2025-01-25 10:00", 0, "2025-01-26 18:00"),
    ("2025-01-29 10:00", 0, "2025-02-05 18:00"),
])
def test_add_working_days_ends_at_end_of_business(start, n, due):
    assert CN.add_working_days(at(start), n) == at(due)


def test_series_matches_scalar_and_keeps_nat():
    starts = ["2025-01-24 10:00", None, "2025-01-27 10:00", "2025-01-24 23:00"]
    series = pd.Series([pd.Timestamp(s, tz=SH) if s else pd.NaT for s in starts], index=[5, 6, 7, 8])
    out = CN.add_working_days_series(series, 2)
    assert list(out.index) == [5, 6, 7, 8]
    assert out[5] == at("2025-01-27 18:00") and out[8] == at("2025-01-27 18:00")
    assert pd.isna(out[6])
    assert out[7] == CN.add_working_days(at("2025-01-27 10:00"), 2)


def test_other_country_and_business_day_end():
    berlin = ZoneInfo("Europe/Berlin")
    de = WorkCalendar("DE", business_day_end=time(17, 30))
    assert not de.is_working_day(date(2025, 1, 26))  # no make-up Sunday in Germany
    assert de.add_working_days(at("2025-01-24 10:00", berlin), 1) == at("2025-01-27 17:30", berlin)
    assert de.end_of_business(date(2025, 3, 3), berlin) == at("2025-03-03 17:30", berlin)
