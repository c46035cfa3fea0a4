"""The Weekly report tab's content: a :class:`WeeklyReport` → rows of a :class:`ReportTab`.

The trend block (R1, R3) sits at a fixed place, rows 4 to 4 + weeks, so the chart drawn
over it once keeps pointing at the right cells on later runs::

    row 1   Weekly after-service self-check (policy R1-R4)
    row 2   Week | 2025-03-03 to 2025-03-09 | Time zone | Asia/Shanghai
    row 4   Week starting | Shipping | Quality | Warehouse | Other | Total | Orders | Rate % | Season
    row 5…  one row per week, oldest first; the last row is the reported week
    below   R2 rate against target, R4 top lists and the ageing of open cases
"""
from __future__ import annotations

from datetime import timedelta

from ..backends.base import ReportChart, ReportTab
from .weekly import COLUMNS, WeeklyReport

TITLE = "Weekly after-service self-check (policy R1-R4)"
TREND_HEADER_ROW = 4
TREND_HEADERS = ("Week starting", "Shipping", "Quality", "Warehouse", "Other", "Total", "Orders", "Rate %", "Season")
CHART_TITLE = "Cases per week by category (R1, R3)"


def _rate_line(report: WeeklyReport) -> tuple:
    week = report.week
    target = f"at most {report.target_percent:g} %"
    if week.rate_percent is None:
        return ("R2 after-service rate", "unknown: set report.orders_per_week in the config", "target", target)
    verdict = "on target" if week.rate_percent <= report.target_percent else "ABOVE TARGET"
    return ("R2 after-service rate", f"{round(week.rate_percent, 4):g} %", "target", target, verdict)


def _section(title: str, items: list[tuple[str, int]]) -> list[tuple]:
    return [(title, "Cases"), *(items or [("(none)", 0)]), ()]


def report_rows(report: WeeklyReport, tz_name: str) -> tuple[tuple, ...]:
    """The whole tab, row by row (numbers stay numbers so the chart can plot them)."""
    week = report.week.week
    n = len(report.weeks)
    rows: list[tuple] = [
        (TITLE,),
        ("Week", f"{week.isoformat()} to {(week + timedelta(days=6)).isoformat()}", "Time zone", tz_name),
        (),
        TREND_HEADERS,
    ]
    for w in report.weeks:
        rows.append((w.week.isoformat(), *(w.counts[c] for c in COLUMNS), w.total,
                     "" if w.orders is None else round(w.orders), "" if w.rate_percent is None else round(w.rate_percent, 4),
                     "high season (Dec-Mar)" if w.high_season else ""))
    rows += [(), _rate_line(report), ()]
    rows += _section(f"R4 top SKUs by quality cases ({n} weeks)", report.top_skus)
    rows += _section(f"R4 top carriers by shipping cases ({n} weeks)", report.top_carriers)
    rows += _section(f"R4 top destinations by shipping cases ({n} weeks)", report.top_destinations)
    rows += _section("R4 open cases by age", report.ageing)
    rows.append(("Open cases", report.open_cases))
    return tuple(tuple(r) for r in rows)


WIDTHS = (40, 24, 11, 14, 11, 11, 11, 11, 22)  # characters; column A holds the section titles


def trend_chart(weeks: int) -> ReportChart:
    """Every category Total counts (shipping, quality, warehouse, other) and Total, per week,
    over the trend block (R1, R3)."""
    categories = tuple(range(2, 2 + len(COLUMNS)))
    total = TREND_HEADERS.index("Total") + 1
    return ReportChart(title=CHART_TITLE, header_row=TREND_HEADER_ROW, last_row=TREND_HEADER_ROW + weeks,
                       x_col=1, y_cols=(*categories, total), anchor=(2, 11))


def report_tab(report: WeeklyReport, tz_name: str, title: str = "Weekly report") -> ReportTab:
    return ReportTab(title=title, rows=report_rows(report, tz_name), chart=trend_chart(len(report.weeks)),
                     rule="R1-R4", widths=WIDTHS)
