"""The weekly self-check (policy R1-R4), as pure functions over the typed Cases tab.

Weeks run Monday 00:00 to Sunday 24:00 in merchant time and are named by their Monday.
A case counts in the week it was opened (``Opened at``; blank means "now", as in the rules
job). The report is about the **last complete week** before ``now``; the trend ends with
that week, so re-running during the same week gives the same figures (only the ageing of
open cases moves with ``now``). Top lists cover the whole trend period.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd

from ..policy.view import CLOSED
from .settings import ReportSettings

CATEGORIES: dict[str, tuple[str, ...]] = {  # R1, policy.md wording in comments
    "shipping": ("not_received", "stale_tracking", "customs_hold", "damaged", "false_delivery"),  # lost, stale, customs, damaged in transit, false sign-off
    "quality": ("quality", "size"),
    "warehouse": ("wrong_item", "missing_item"),
}
COLUMNS = ("shipping", "quality", "warehouse", "other")
HIGH_SEASON_MONTHS = (12, 1, 2, 3)  # R3: Dec-Mar, Spring Festival stock-outs
AGE_BUCKETS = ((0, 1, "0-1 days"), (2, 3, "2-3 days"), (4, 7, "4-7 days"), (8, 14, "8-14 days"),
               (15, 30, "15-30 days"), (31, None, "over 30 days"))


def category_of(issue_type: str) -> str:
    """R1 category of an issue type; everything outside the three is "other"."""
    for name, types in CATEGORIES.items():
        if issue_type in types:
            return name
    return "other"


def week_of(ts: pd.Timestamp) -> date:
    """Monday of the week ``ts`` falls in (``ts`` already in merchant time)."""
    d = ts.date()
    return d - timedelta(days=d.weekday())


def is_high_season(week: date) -> bool:
    """R3: a week is high season when its Thursday (ISO week rule) falls in Dec-Mar."""
    return (week + timedelta(days=3)).month in HIGH_SEASON_MONTHS


def report_weeks(now: datetime, n: int) -> list[date]:
    """The ``n`` complete weeks before the week containing ``now`` (aware, merchant time), oldest first."""
    current = week_of(pd.Timestamp(now))
    return [current - timedelta(weeks=n - i) for i in range(n)]


@dataclass(frozen=True, slots=True)
class WeekRow:
    week: date
    counts: dict[str, int]  # by COLUMNS
    orders: float | None
    high_season: bool

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def rate_percent(self) -> float | None:
        """R2: cases per 100 orders, or None when the order count is unknown."""
        return None if not self.orders else 100 * self.total / self.orders


@dataclass(frozen=True, slots=True)
class WeeklyReport:
    weeks: list[WeekRow]  # oldest first; the last one is the reported week
    target_percent: float
    top_skus: list[tuple[str, int]] = field(default_factory=list)  # R4, quality cases
    top_carriers: list[tuple[str, int]] = field(default_factory=list)  # R4, shipping cases
    top_destinations: list[tuple[str, int]] = field(default_factory=list)  # R4, shipping cases
    ageing: list[tuple[str, int]] = field(default_factory=list)  # R4, open cases by age
    open_cases: int = 0

    @property
    def week(self) -> WeekRow:
        return self.weeks[-1]


def _top(values: pd.Series, n: int) -> list[tuple[str, int]]:
    """Most frequent non-blank values, ties broken alphabetically (stable output)."""
    values = values.astype(str).str.strip()
    counts = values[values.ne("")].value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(k, int(v)) for k, v in ordered[:n]]


def ageing(cases: pd.DataFrame, now: datetime) -> tuple[list[tuple[str, int]], int]:
    """R4: open cases (status not resolved, closed or rejected) by whole days since opened."""
    open_ = cases[~cases["status"].isin(CLOSED)]
    days = ((pd.Timestamp(now) - open_["opened_at"]).dt.total_seconds() // 86400).clip(lower=0)
    out = []
    for lo, hi, label in AGE_BUCKETS:
        mask = days.ge(lo) & (days.le(hi) if hi is not None else True)
        out.append((label, int(mask.sum())))
    return out, len(open_)


def carriers_of(cases: pd.DataFrame, logistics: pd.DataFrame | None) -> pd.Series:
    """Each case's carrier, in one spelling (``canonical_carrier``): the Logistics tab's
    Carrier for its tracking number, else detected from the number's shape (V4), else blank."""
    from ..tracking.carriers import canonical_carrier, detect, normalise_number

    numbers = cases["tracking_number"].map(normalise_number)
    known: dict[str, str] = {}
    if logistics is not None and len(logistics):
        pairs = zip(logistics["tracking_number"].map(normalise_number), logistics["carrier"].map(canonical_carrier))
        known = {n: c for n, c in pairs if n and c}
    return numbers.map(lambda n: known.get(n) or (detect(n).carrier if n else ""))


def weekly_report(cases: pd.DataFrame, now: datetime, settings: ReportSettings,
                  logistics: pd.DataFrame | None = None) -> WeeklyReport:
    """R1-R4 over a typed Cases frame (``opened_at`` aware in merchant time, blanks filled)."""
    weeks = report_weeks(now, settings.weeks)
    first, end = weeks[0], weeks[-1] + timedelta(days=7)
    opened = cases["opened_at"]
    week = opened.map(lambda ts: week_of(ts) if pd.notna(ts) else None)
    category = cases["issue_type"].astype(str).map(category_of)
    rows = []
    for w in weeks:
        in_week = week.eq(w)
        counts = {c: int((in_week & category.eq(c)).sum()) for c in COLUMNS}
        rows.append(WeekRow(w, counts, settings.orders(w), is_high_season(w)))
    period = week.map(lambda w: w is not None and first <= w < end).astype(bool)
    quality = cases[period & category.eq("quality")]
    shipping = period & category.eq("shipping")
    buckets, open_count = ageing(cases, now)
    return WeeklyReport(
        weeks=rows, target_percent=settings.rate_target_percent,
        top_skus=_top(quality["sku"], settings.top_n),
        top_carriers=_top(carriers_of(cases[shipping], logistics), settings.top_n),
        top_destinations=_top(cases.loc[shipping, "destination_country"], settings.top_n),
        ageing=buckets, open_cases=open_count)
