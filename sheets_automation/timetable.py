"""When the scheduler runs what (pure): wall-clock triggers in merchant time, the default
entries, and the ``[scheduler]`` settings checked key by key.

Kept apart from :mod:`.scheduler` (the long-running loop) so that loading the config can
check ``[scheduler]`` without importing the loop.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> Trigger(every_minutes=10).next_after(datetime(2025, 3, 9, 10, 4, tzinfo=ZoneInfo("Asia/Shanghai")),
...                                      ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
'10:10'
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .isotime import clock_time

SCHEDULER_KEYS = {"enabled", "tracking_every_minutes", "rules_every_minutes", "cashback_check_at", "report_at",
                  "make_up_missed", "lock_wait_seconds", "skip_unchanged", "max_skip_hours"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class Trigger:
    """Every ``every_minutes`` (wall-clock aligned), or at ``at`` daily / on ``weekday`` (0 = Monday)."""

    every_minutes: int = 0
    at: time | None = None
    weekday: int | None = None

    def _candidates(self, t: datetime, tz: ZoneInfo, step: int):
        local = t.astimezone(tz).replace(tzinfo=None)
        if self.every_minutes:
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            n = int((local - midnight).total_seconds() // (60 * self.every_minutes))
            base = midnight + timedelta(minutes=n * self.every_minutes)
            for k in range(0, 2 * 1440 // self.every_minutes + 2):
                yield (base + step * timedelta(minutes=k * self.every_minutes)).replace(tzinfo=tz)
            return
        day = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        for k in range(0, 9):
            c = day + step * timedelta(days=k)
            if self.weekday is None or c.weekday() == self.weekday:
                yield c.replace(tzinfo=tz)

    def latest(self, t: datetime, tz: ZoneInfo) -> datetime:
        """The last slot at or before ``t``."""
        return next(c for c in self._candidates(t, tz, -1) if c <= t)

    def next_after(self, t: datetime, tz: ZoneInfo) -> datetime:
        """The first slot strictly after ``t``."""
        return next(c for c in self._candidates(t, tz, +1) if c > t)

    def describe(self) -> str:
        if self.every_minutes:
            return f"every {self.every_minutes} min"
        day = "daily" if self.weekday is None else WEEKDAYS[self.weekday].capitalize()
        return f"{day} {self.at.strftime('%H:%M')}"


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    jobs: tuple[str, ...]
    trigger: Trigger


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    enabled: bool = True
    tracking_every_minutes: int = 60
    rules_every_minutes: int = 10
    cashback_check_at: time | None = time(18, 0)
    report_at: tuple[int, time] | None = (0, time(9, 0))
    make_up_missed: bool = True
    lock_wait_seconds: float = 10.0
    skip_unchanged: bool = True  # changes.py: skip rules runs on a sheet nothing changed
    max_skip_hours: float = 6.0  # ... but read it in full at least this often

    def entries(self, messages: bool = True) -> list[Entry]:
        out = []
        if not self.enabled:
            return out
        if self.tracking_every_minutes:
            out.append(Entry("tracking", ("tracking",), Trigger(every_minutes=self.tracking_every_minutes)))
        if self.rules_every_minutes:
            out.append(Entry("rules", ("rules", "messages") if messages else ("rules",),
                             Trigger(every_minutes=self.rules_every_minutes)))
        if self.cashback_check_at:
            out.append(Entry("cashback", ("rules",), Trigger(at=self.cashback_check_at)))
        if self.report_at:
            out.append(Entry("report", ("report",), Trigger(at=self.report_at[1], weekday=self.report_at[0])))
        return out


def schedule_settings_from_mapping(d: dict, prefix: str = "scheduler") -> tuple[ScheduleSettings, list[str]]:
    """Check ``[scheduler]`` (merged with a spreadsheet's overrides); every problem, by key."""
    errors = [f"{prefix}.{k}: unknown key (allowed: {', '.join(sorted(SCHEDULER_KEYS))})"
              for k in sorted(set(d) - SCHEDULER_KEYS)]
    default = ScheduleSettings()
    values = {}
    for key in ("enabled", "make_up_missed", "skip_unchanged"):
        if key in d and not isinstance(d[key], bool):
            errors.append(f"{prefix}.{key}: must be true or false")
        values[key] = d.get(key, getattr(default, key))
    for key in ("tracking_every_minutes", "rules_every_minutes"):
        v = d.get(key, getattr(default, key))
        if not isinstance(v, int) or isinstance(v, bool) or not (v == 0 or (1 <= v <= 1440 and 1440 % v == 0)):
            errors.append(f"{prefix}.{key}: must be 0 (off) or a whole number of minutes that divides a day "
                          "(5, 10, 15, 30, 60, 120…)")
        values[key] = v
    at = d.get("cashback_check_at", "18:00")
    try:
        values["cashback_check_at"] = clock_time(at) if at else None
    except (ValueError, AttributeError):
        errors.append(f"{prefix}.cashback_check_at: write a time like \"18:00\", or \"\" for off")
    report = d.get("report_at", "monday 09:00")
    try:
        day, hhmm = str(report).split() if report else ("", "")
        values["report_at"] = (WEEKDAYS.index(day.lower()), clock_time(hhmm)) if report else None
    except (ValueError, AttributeError):
        errors.append(f"{prefix}.report_at: write a weekday and time like \"monday 09:00\", or \"\" for off")
    wait = d.get("lock_wait_seconds", default.lock_wait_seconds)
    if not isinstance(wait, (int, float)) or isinstance(wait, bool) or not 0 <= wait <= 600:
        errors.append(f"{prefix}.lock_wait_seconds: must be a number of seconds from 0 to 600")
    values["lock_wait_seconds"] = float(wait) if not errors else default.lock_wait_seconds
    skip = d.get("max_skip_hours", default.max_skip_hours)
    if not isinstance(skip, (int, float)) or isinstance(skip, bool) or not 0 < skip <= 168:
        errors.append(f"{prefix}.max_skip_hours: must be a number of hours above 0, at most 168")
    values["max_skip_hours"] = float(skip) if not errors else default.max_skip_hours
    if errors:
        return default, errors
    return ScheduleSettings(**values), []
