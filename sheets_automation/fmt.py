"""How the automation writes values into cells: plain, sortable text in merchant time."""
from __future__ import annotations

import pandas as pd

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M"


def format_timestamp(series: pd.Series, tz_name: str) -> pd.Series:
    """Aware datetimes → ``"2025-03-09 00:00"`` in merchant time; NaT → ''."""
    s = pd.to_datetime(series, utc=True, errors="coerce")
    text = s.dt.tz_convert(tz_name).dt.strftime(TIMESTAMP_FORMAT)
    return text.where(s.notna(), "").astype(object)


def format_int(series: pd.Series) -> pd.Series:
    """Int64 / float → ``"12"``; missing → ''."""
    s = pd.to_numeric(series, errors="coerce")
    return s.map(lambda v: "" if pd.isna(v) else str(int(v))).astype(object)
