"""Report settings (``[report]`` in the config, overridable per spreadsheet): checked once.

=====================  =======  ==========================================================
key                    default  meaning
=====================  =======  ==========================================================
orders_per_week        (none)   orders shipped per week (R2): a number for every week, or a
                                table ``{ "2025-03-03" = 5200, default = 5000 }`` keyed by
                                the Monday of the week; unknown weeks show no rate
rate_target_percent    0.2      R2 target: at most this many cases per 100 orders
top_n                  5        rows in each R4 top list
weeks                  12       R3 trend length
=====================  =======  ==========================================================
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

KEYS = {"orders_per_week", "rate_target_percent", "top_n", "weeks"}


@dataclass(frozen=True, slots=True)
class ReportSettings:
    orders_by_week: dict[date, float] = field(default_factory=dict)
    orders_default: float | None = None
    rate_target_percent: float = 0.2
    top_n: int = 5
    weeks: int = 12

    def orders(self, week: date) -> float | None:
        return self.orders_by_week.get(week, self.orders_default)


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def report_settings_from_mapping(d: dict, prefix: str = "report") -> tuple[ReportSettings, list[str]]:
    """Settings and every problem found, by key (never raises)."""
    errors: list[str] = []
    if not isinstance(d, dict):
        return ReportSettings(), [f"{prefix}: must be a table"]
    for k in sorted(set(d) - KEYS):
        errors.append(f"{prefix}.{k}: unknown key (allowed: {', '.join(sorted(KEYS))})")
    by_week: dict[date, float] = {}
    default = None
    raw = d.get("orders_per_week")
    if _number(raw) and raw > 0:
        default = float(raw)
    elif isinstance(raw, dict):
        for k, v in raw.items():
            if not _number(v) or v <= 0:
                errors.append(f"{prefix}.orders_per_week.{k}: must be a positive number")
            elif k == "default":
                default = float(v)
            else:
                try:
                    day = date.fromisoformat(str(k))
                except ValueError:
                    errors.append(f"{prefix}.orders_per_week.{k}: key must be a Monday like 2025-03-03, or 'default'")
                    continue
                if day.weekday() != 0:
                    errors.append(f"{prefix}.orders_per_week.{k}: {k} is not a Monday (weeks start on Monday)")
                by_week[day] = float(v)
    elif raw is not None:
        errors.append(f"{prefix}.orders_per_week: must be a positive number or a table of weeks")
    target = d.get("rate_target_percent", 0.2)
    if not _number(target) or not 0 < target < 100:
        errors.append(f"{prefix}.rate_target_percent: must be a number between 0 and 100")
        target = 0.2
    top_n = d.get("top_n", 5)
    if not isinstance(top_n, int) or isinstance(top_n, bool) or not 1 <= top_n <= 50:
        errors.append(f"{prefix}.top_n: must be a whole number from 1 to 50")
        top_n = 5
    weeks = d.get("weeks", 12)
    if not isinstance(weeks, int) or isinstance(weeks, bool) or not 4 <= weeks <= 52:
        errors.append(f"{prefix}.weeks: must be a whole number from 4 to 52")
        weeks = 12
    return ReportSettings(by_week, default, float(target), top_n, weeks), errors
