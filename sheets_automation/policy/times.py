"""Vectorised merchant-time helpers: wall-clock day arithmetic that is DST-safe.

Day-based windows are counted on the local wall clock (a 7-day window that starts at
00:00 ends at 00:00 local even across a DST change); hour-based ones are elapsed time.
A wall time that does not exist (spring-forward gap) moves forward; an ambiguous one
(autumn fold) takes its first occurrence. Nothing here raises on NaT.
"""
from __future__ import annotations

from datetime import datetime, tzinfo

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")


def localize_wall(naive: pd.Series, tz: tzinfo) -> pd.Series:
    """Naive local wall times → aware times in ``tz`` (gap: shifted forward; fold: first)."""
    naive = naive.astype("datetime64[ns]")
    return naive.dt.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward")


def as_local(frame: pd.DataFrame, field: str, tz: tzinfo) -> pd.Series:
    """Column ``field`` as ``datetime64[ns, tz]``; a missing or untyped column becomes NaT."""
    if field not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype=pd.DatetimeTZDtype("ns", tz))
    col = frame[field]
    if not isinstance(col.dtype, pd.DatetimeTZDtype):
        col = pd.to_datetime(col, errors="coerce", utc=True, format="mixed")
    return col.dt.tz_convert(tz).astype(pd.DatetimeTZDtype("ns", tz))


def date_only(frame: pd.DataFrame, field: str) -> np.ndarray:
    """The parser's ``<field>__date_only`` flags (all False when absent)."""
    col = frame.get(f"{field}__date_only")
    if col is None:
        return np.zeros(len(frame), dtype=bool)
    return col.fillna(False).to_numpy(dtype=bool)


def wall(s: pd.Series) -> np.ndarray:
    """Local wall times as naive ``datetime64[ns]``."""
    return s.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def midnight_after(s: pd.Series, days: float = 1) -> pd.Series:
    """Local 00:00 of the day ``days`` after each timestamp's local day."""
    day = wall(s).astype("datetime64[D]").astype("datetime64[ns]")
    return localize_wall(pd.Series(day + _days(days), index=s.index), s.dt.tz)


def add_days(s: pd.Series, days: float) -> pd.Series:
    """``s`` plus ``days`` calendar days on the local wall clock (same local time of day)."""
    return localize_wall(pd.Series(wall(s) + _days(days), index=s.index), s.dt.tz)


def add_hours(s: pd.Series, hours: float) -> pd.Series:
    """``s`` plus elapsed ``hours``."""
    return s + pd.Timedelta(hours=hours)


def end_of_day_if_date_only(s: pd.Series, flags: np.ndarray) -> pd.Series:
    """Window starts: a date typed without a time means the END of that day (benefit of the doubt)."""
    if not flags.any():
        return s
    return s.where(~flags, midnight_after(s, 1))


def fmt(s: pd.Series) -> np.ndarray:
    """``"2025-03-09 00:00"`` per timestamp (local wall clock), ``""`` for NaT; vectorised."""
    w = wall(s)
    if not len(w):
        return np.array([], dtype=object)
    text = np.datetime_as_string(w.astype("datetime64[m]"), unit="m")
    text = np.char.replace(text, "T", " ").astype(object)
    text[np.isnat(w)] = ""
    return text


def fmt_one(ts: datetime | pd.Timestamp) -> str:
    return "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M")


def timestamp(now: datetime, tz: tzinfo) -> pd.Timestamp:
    """``now`` (aware) as a Timestamp in ``tz``."""
    return pd.Timestamp(now).tz_convert(tz)


def _days(days: float) -> np.timedelta64:
    return np.timedelta64(int(round(days * 86_400_000_000_000)), "ns")
