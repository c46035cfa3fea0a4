"""Typed reading of raw cell text, column-wise (policy V1, V2, V5, V6).

People type anything. Each function takes a column of raw strings and returns typed
values plus the rows that could not be read; it never raises on cell content.

Accepted timestamps (V2): ISO 8601 (``2025-03-01``, ``2025-03-01 14:00``,
``2025-03-01T14:00:00+08:00``), ``2025/3/1 14:00``, ``2025.03.01``, ``1/3/2025`` (month
first unless ``day_first``; a first part above 12 is always the day), Chinese
``2025年3月1日 14:00`` / ``14时30分``, and Sheets/Excel serial numbers (days since
1899-12-30, fraction = time of day). Naive times are merchant time; times with an offset
are converted to it. A value without a time is flagged ``date_only`` (the policy decides
what that means).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

SERIAL_EPOCH = datetime(1899, 12, 30)
_SERIAL_RANGE = (20000.0, 80000.0)  # 1954..2119: anything else is not a plausible date
YEARS = (1900, 2199)  # a year outside is a typo (2520, 0001, 9999), and beyond pandas' range anyway
_MAX_OFFSET = timedelta(hours=14)  # real UTC offsets run from -12:00 to +14:00

_ISO_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_ISO_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YMD = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$")
_DMY = re.compile(
    r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$")
_ZH = re.compile(
    r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"
    r"(?:\s*(上午|下午|晚上)?\s*(\d{1,2})\s*[:：时點点]\s*(\d{1,2})?\s*分?(?:\s*(\d{1,2})\s*秒)?)?$")
_SERIAL = re.compile(r"^\d{4,5}(?:\.\d+)?$")


def _from_parts(y, mo, d, h=None, mi=None, s=None, ampm=None):
    """(naive datetime, date_only) or None for an impossible date."""
    try:
        hour = int(h) if h is not None else 0
        if ampm:
            a = ampm.lower()
            if a in ("pm", "下午", "晚上") and hour < 12:
                hour += 12
            elif a == "am" and hour == 12:
                hour = 0
        dt = datetime(int(y), int(mo), int(d), hour, int(mi or 0), int(s or 0))
    except (ValueError, TypeError, OverflowError):
        return None
    if not YEARS[0] <= dt.year <= YEARS[1]:
        return None
    return dt, h is None


@lru_cache(maxsize=65536)
def parse_timestamp_text(text: str, tz_name: str, day_first: bool = False):
    """One cell → ``(aware datetime in tz, date_only)`` or None when it is not a timestamp.

    >>> parse_timestamp_text("2025年3月1日 14:00", "Asia/Shanghai")[0].isoformat()
    '2025-03-01T14:00:00+08:00'
    """
    tz = ZoneInfo(tz_name)
    t = text.strip()
    if not t:
        return None
    parsed = None
    offset = None
    if _SERIAL.match(t):
        value = float(t)
        if not _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return None
        dt = SERIAL_EPOCH + timedelta(days=value)
        dt = dt.replace(microsecond=0) + timedelta(seconds=round(dt.microsecond / 1e6))
        parsed = (dt, value == int(value))
    elif m := _YMD.match(t):
        y, mo, d, h, mi, s, ampm, offset = m.groups()
        parsed = _from_parts(y, mo, d, h, mi, s, ampm)
    elif m := _DMY.match(t):
        a, b, y, h, mi, s, ampm = m.groups()
        a_i, b_i = int(a), int(b)
        day_first_here = day_first if a_i <= 12 and b_i <= 12 else a_i > 12
        d, mo = (a, b) if day_first_here else (b, a)
        parsed = _from_parts(y, mo, d, h, mi, s, ampm)
    elif m := _ZH.match(t):
        y, mo, d, ampm, h, mi, s = m.groups()
        parsed = _from_parts(y, mo, d, h, mi, s, ampm)
    if parsed is None:
        return None
    dt, date_only = parsed
    if offset:
        if offset == "Z":
            off = timedelta(0)
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            off = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            if abs(off) > _MAX_OFFSET or int(digits[2:]) >= 60:
                return None
        from datetime import timezone

        return dt.replace(tzinfo=timezone(off)).astimezone(tz), False
    # fold=0: an ambiguous local time (DST fall-back) is read as the first occurrence.
    return dt.replace(tzinfo=tz), date_only


def parse_timestamps(raw: pd.Series, tz_name: str, day_first: bool = False):
    """Column → ``(datetime64[ns, tz] series, date_only bool series, bad bool series)``.

    Plain ISO text (the common case) is converted in one vectorised call; anything else
    goes through :func:`parse_timestamp_text`, cached per distinct value.
    """
    tz = ZoneInfo(tz_name)
    s = raw.astype(str).str.strip()
    blank = s.eq("")
    out = pd.Series(pd.NaT, index=s.index, dtype=f"datetime64[ns, {tz_name}]")
    date_only = pd.Series(False, index=s.index)
    iso = s.str.match(_ISO_NAIVE) & ~blank
    iso &= pd.to_numeric(s.str[:4].where(iso), errors="coerce").between(*YEARS)  # others: per cell, may be bad
    if iso.any():
        naive = pd.to_datetime(s[iso].str.replace("T", " ", regex=False), errors="coerce", format="ISO8601")
        local = naive.dt.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward")
        out.loc[iso] = local.astype(out.dtype)
        date_only.loc[iso] = s[iso].str.match(_ISO_DATE_ONLY)
    rest = ~iso & ~blank | (iso & out.isna())
    if rest.any():
        values = [parse_timestamp_text(v, tz_name, day_first) for v in s[rest]]
        stamps = [v[0] if v else pd.NaT for v in values]
        out.loc[rest] = pd.to_datetime(pd.Series(stamps, index=s[rest].index, dtype=object), utc=True).dt.tz_convert(tz)
        date_only.loc[rest] = [bool(v and v[1]) for v in values]
    bad = ~blank & out.isna()
    return out, date_only, bad


_SPACES = re.compile(r"[\s\u00a0\u202f']")
_SYMBOLS = re.compile(r"[$€£¥￥₹₩₽元]")
_AFFIX = re.compile(r"^([A-Za-z]*)(.*?)([A-Za-z]*)$")  # letters before and after the digits
_SHORT_MARKS = frozenset({"US", "HK", "NZ", "AU", "CA", "NT", "RM", "A", "C", "S", "R", "RS"})  # US$, HK$, A$, R$ ...
MAX_AMOUNT = 1e9  # above: a card, order or phone number pasted in, not money (V5)


@lru_cache(maxsize=1)
def _currency_marks() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies()) | _SHORT_MARKS | {"RMB"}


def parse_numbers(raw: pd.Series):
    """Column → ``(float64 series, bad bool series)``.

    Accepts thousands separators and currency marks: ``"¥1,299.00"``, ``"USD 12.5"``,
    ``"1 299,50"`` (a lone comma with 1-2 decimals is a decimal comma). Letters count only
    as a currency code (``abc12`` and ``e5`` are bad, V5), and a value above
    :data:`MAX_AMOUNT` is bad (a 19-digit card number is no amount; see :func:`too_large`).
    """
    s = raw.astype(str).str.strip()
    numbers = _uncapped(s)
    numbers = numbers.where(numbers.abs() <= MAX_AMOUNT)  # also drops inf (1e400)
    bad = s.ne("") & numbers.isna()
    return numbers, bad


def _uncapped(s: pd.Series) -> pd.Series:
    compact = s.str.replace(_SPACES, "", regex=True).str.replace(_SYMBOLS, "", regex=True)
    parts = compact.str.extract(_AFFIX)
    marks = _currency_marks()
    letters_ok = parts[0].str.upper().isin(marks | {""}) & parts[2].str.upper().isin(marks | {""})
    cleaned = parts[1].fillna("")
    decimal_comma = cleaned.str.match(r"^-?[\d.]*\d,\d{1,2}$") & ~cleaned.str.contains(r"\.\d{1,2}$")
    cleaned = cleaned.where(~decimal_comma, cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    cleaned = cleaned.str.replace(",", "", regex=False)
    numeric = cleaned.str.match(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$") & letters_ok
    return pd.to_numeric(cleaned.where(numeric, None), errors="coerce").astype("float64")


def too_large(text: str) -> bool:
    """A cell flagged by :func:`parse_numbers` because it is a number above :data:`MAX_AMOUNT`."""
    return bool(abs(_uncapped(pd.Series([text.strip()])).iloc[0]) > MAX_AMOUNT)  # NaN compares False


def parse_integers(raw: pd.Series):
    """Column → ``(Int64 series, bad bool series)``; ``"3.0"`` is 3, ``"3.5"`` and ``"1e20"`` are bad."""
    numbers, bad = parse_numbers(raw)
    whole = numbers.notna() & (numbers == numbers.round()) & (numbers.abs() <= 2**53)  # 1e20 is not a count
    bad = bad | (numbers.notna() & ~whole)
    return numbers.where(whole).astype("Int64"), bad


def canonical_enum(raw: pd.Series, values: tuple[str, ...]):
    """Column → ``(canonical value or '', bad bool series)``.

    Case- and space-insensitive: ``"Not Received"`` and ``"not-received"`` give ``not_received``.
    """
    lookup = {re.sub(r"[\s\-_]+", "", v).casefold(): v for v in values}
    s = raw.astype(str).str.strip()
    keys = s.str.replace(r"[\s\-_]+", "", regex=True).str.casefold()
    out = keys.map(lookup).fillna("")
    bad = s.ne("") & out.eq("")
    return out.astype(object), bad


def split_links(text: str) -> list[str]:
    """Evidence links separated by spaces, commas or new lines (V3)."""
    return [p for p in re.split(r"[\s,，;；]+", text.strip()) if p]
