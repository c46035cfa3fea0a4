"""ISO 8601 timestamps as text: the one parser and formatter for the audit trail, the
tracking store and results, provider replies and ``--now``.

(Timestamps typed by people in the sheet are a different thing, with day-first dates,
Excel serials and Chinese dates: :mod:`.parse`.)

>>> parse("2025-03-09T10:00Z")
datetime.datetime(2025, 3, 9, 10, 0, tzinfo=datetime.timezone.utc)
>>> parse("2025-03-09 10:00"), parse("not a time"), parse(None)
(datetime.datetime(2025, 3, 9, 10, 0, tzinfo=datetime.timezone.utc), None, None)
>>> to_text(parse("2025-03-09T10:00+08:00"), "seconds")
'2025-03-09T02:00:00+00:00'
"""
from __future__ import annotations

from datetime import datetime, time, timezone, tzinfo

_UNSET = object()


def parse(value: object, assume: tzinfo | None = timezone.utc) -> datetime | None:
    """ISO text → datetime, in the offset written (``Z`` = UTC); text without an offset is
    taken to be in ``assume`` (None: left naive). None for anything that is not ISO text."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return dt.replace(tzinfo=assume) if dt.tzinfo is None and assume is not None else dt


def parse_utc(value: object) -> datetime | None:
    """:func:`parse`, converted to UTC."""
    dt = parse(value)
    return dt.astimezone(timezone.utc) if dt is not None else None


def to_text(dt: datetime | None, timespec: str = "auto") -> str | None:
    """An aware datetime as ISO text in UTC (None stays None)."""
    return dt.astimezone(timezone.utc).isoformat(timespec=timespec) if dt is not None else None


def clock_time(text: str) -> time:
    """A time of day written ``HH:MM`` (``"9:00"``, ``" 18:00 "``); ValueError otherwise.

    >>> clock_time(" 9:05 ")
    datetime.time(9, 5)
    """
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))
