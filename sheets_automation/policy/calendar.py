"""The working-day calendar (policy.md conventions, S2-S5): holidays plus make-up working days.

Built on ``holidays.country_holidays(country).is_working_day``, which already knows the
official make-up working weekends: for CN, Spring Festival 2025 was Jan 28 - Feb 4, with
Sun Jan 26 and Sat Feb 8 worked. A working-day deadline ends at ``business_day_end`` of
the last counted working day, in the time zone of the start.

Example::

    >>> from zoneinfo import ZoneInfo
    >>> cal = WorkCalendar("CN")
    >>> cal.add_working_days(datetime(2025, 1, 24, 10, tzinfo=ZoneInfo("Asia/Shanghai")), 2)
    datetime.datetime(2025, 1, 27, 18, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Shanghai'))
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

import holidays
import numpy as np
import pandas as pd

from .times import localize_wall

_SEARCH_LIMIT = 366 * 3  # no calendar has three years without a working day


class WorkCalendar:
    """Working days of one country's calendar, cached per date.

    :param country: ISO code understood by the ``holidays`` library (default ``"CN"``).
    :param business_day_end: local time at which a working-day deadline ends.
    """

    def __init__(self, country: str = "CN", business_day_end: time = time(18, 0),
                 business_day_start: time = time(9, 0)):
        self.country = country
        self.business_day_end = business_day_end
        self.business_day_start = business_day_start
        self._holidays = holidays.country_holidays(country)
        self._working: dict[date, bool] = {}
        self._added: dict[tuple[date, int], date] = {}
        self._prefix: dict[int, list[int]] = {}  # year -> working-day counts (working_days_between)
        self.last_published_year = last_published_year(country)

    def __repr__(self) -> str:
        return (f"WorkCalendar({self.country!r}, business_day_end={self.business_day_end!r}, "
                f"business_day_start={self.business_day_start!r})")

    def estimated(self, d: date | datetime) -> bool:
        """True when ``d`` lies past the last year with official (published) calendar data (7)."""
        return self.last_published_year is not None and d.year > self.last_published_year

    def is_working_day(self, d: date | datetime) -> bool:
        """True on ordinary working days and official make-up working days; False on holidays."""
        if isinstance(d, datetime):
            d = d.date()
        found = self._working.get(d)
        if found is None:
            found = self._working[d] = bool(self._holidays.is_working_day(d))
        return found

    def working_day_on_or_after(self, d: date) -> date:
        for _ in range(_SEARCH_LIMIT):
            if self.is_working_day(d):
                return d
            d += timedelta(days=1)
        return d

    def add_working_days_to_date(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (``n == 0``: ``d`` itself if working, else the next one)."""
        key = (d, n)
        found = self._added.get(key)
        if found is None:
            if n <= 0:
                found = self.working_day_on_or_after(d)
            else:
                found, counted = d, 0
                while counted < n:
                    found += timedelta(days=1)
                    counted += self.is_working_day(found)
            self._added[key] = found
        return found

    def end_of_business(self, d: date | datetime, tz: tzinfo | None = None) -> datetime:
        """``business_day_end`` on the day of ``d`` (an aware ``d`` keeps its zone; else ``tz``)."""
        if isinstance(d, datetime):
            tz = d.tzinfo if d.tzinfo is not None else tz
            d = d.date()
        return datetime.combine(d, self.business_day_end, tzinfo=tz)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """End of business of the n-th working day after the local day of ``start``.

        The start's time of day does not matter, and the start day need not be a working
        day. ``n == 0`` gives the same day if it is a working day, else the next one (S5).
        """
        return self.end_of_business(self.add_working_days_to_date(start.date(), n), start.tzinfo)

    def add_working_days_series(self, series: pd.Series, n: int) -> pd.Series:
        """:meth:`add_working_days` over an aware datetime Series; NaT stays NaT.

        Computed once per distinct local date (few distinct dates, many rows).
        """
        tz = series.dt.tz
        wall = series.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
        days = wall.astype("datetime64[D]")
        valid = ~np.isnat(days)
        out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
        if valid.any():
            uniq, inverse = np.unique(days[valid], return_inverse=True)
            end = np.timedelta64(self.business_day_end.hour * 60 + self.business_day_end.minute, "m")
            targets = np.array([np.datetime64(self.add_working_days_to_date(u.item(), n), "D") for u in uniq])
            out[valid] = (targets[inverse] + end).astype("datetime64[ns]")
        return localize_wall(pd.Series(out, index=series.index), tz)

    # Business time (S2 pauses): business hours on working days, in the zone of the instants.

    def _business_day_bounds(self, d: date, tz) -> tuple[datetime, datetime]:
        return (datetime.combine(d, self.business_day_start, tzinfo=tz),
                datetime.combine(d, self.business_day_end, tzinfo=tz))

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Business time between two aware instants (0 when ``end <= start``), in seconds.

        Thu 2025-03-06 11:00 → Mon 2025-03-10 15:00 (09:00-18:00, CN) = 7 + 9 + 6 h = 22 h.
        The first and last day are clipped; every working day between them counts whole
        (one lookup per year, not one per day: pauses and due dates span weeks).
        """
        if end <= start:
            return 0.0
        tz = start.tzinfo
        end = end.astimezone(tz)
        first, last = start.date(), end.date()
        total = self._clipped_seconds(first, tz, start, end)
        if last > first:
            total += self._clipped_seconds(last, tz, start, end)
        if (last - first).days > 1:
            lo, hi = self._business_day_bounds(first, tz)
            total += self.working_days_between(first + timedelta(days=1), last - timedelta(days=1)) * \
                (hi - lo).total_seconds()
        return total

    def _clipped_seconds(self, d: date, tz, start: datetime, end: datetime) -> float:
        if not self.is_working_day(d):
            return 0.0
        lo, hi = self._business_day_bounds(d, tz)
        a, b = max(lo, start), min(hi, end)
        return (b - a).total_seconds() if b > a else 0.0

    def working_days_between(self, first: date, last: date) -> int:
        """Working days from ``first`` to ``last``, both included (0 when ``last < first``)."""
        if last < first:
            return 0
        if first.year == last.year:
            p = self._year_prefix(first.year)
            return p[_day_of_year(last)] - p[_day_of_year(first) - 1]
        count = self._year_prefix(first.year)[-1] - self._year_prefix(first.year)[_day_of_year(first) - 1]
        count += sum(self._year_prefix(y)[-1] for y in range(first.year + 1, last.year))
        return count + self._year_prefix(last.year)[_day_of_year(last)]

    def _year_prefix(self, year: int) -> list[int]:
        """[working days among the first k days of ``year``, for k = 0 … days in the year]."""
        found = self._prefix.get(year)
        if found is None:
            found, d, count = [0], date(year, 1, 1), 0
            while d.year == year:
                count += self.is_working_day(d)
                found.append(count)
                d += timedelta(days=1)
            self._prefix[year] = found
        return found

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant ``seconds`` of business time after ``start`` (policy.md S2 pause shift).

        Mon 2025-03-10 18:00 + 22 h of business time → Thu 2025-03-13 13:00.
        """
        tz, left, d = start.tzinfo, seconds, start.date()
        cursor = start
        for _ in range(_SEARCH_LIMIT * 4):
            if self.is_working_day(d):
                lo, hi = self._business_day_bounds(d, tz)
                a = max(lo, cursor)
                if a < hi:
                    room = (hi - a).total_seconds()
                    if left <= room:
                        return a + timedelta(seconds=left)
                    left -= room
            d += timedelta(days=1)
            cursor = datetime.combine(d, time(0), tzinfo=tz)
        return cursor


def _day_of_year(d: date) -> int:
    """1 on January 1st."""
    return d.toordinal() - date(d.year, 1, 1).toordinal() + 1


def last_published_year(country: str) -> int | None:
    """The last year for which the ``holidays`` data has official make-up working days
    (CN publishes each year's schedule in November); None when the country has none.

    Dates after that year are computed from the recurring holidays only: an estimate (7).
    """
    import sys

    module = sys.modules[holidays.country_holidays(country).__class__.__module__]
    years: set[int] = set()
    for klass in vars(module).values():  # e.g. ChinaStaticHolidays.special_public_holidays
        if isinstance(klass, type) and klass.__name__.endswith("StaticHolidays"):
            for name, table in vars(klass).items():
                if name.startswith("special_") and isinstance(table, dict):
                    years.update(y for y in table if isinstance(y, int))
    return max(years) if years else None
