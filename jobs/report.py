"""The report job: the weekly self-check (policy R1-R4) written whole into the Weekly report tab.

Returns a :class:`~sheets_automation.backends.base.ReportTab`; the runner writes it only when
it differs from the tab as read, so a re-run with no change writes nothing.
"""
from __future__ import annotations

from sheets_automation.errors import ConfigError
from sheets_automation.report import report_settings_from_mapping, report_tab, weekly_report

from . import shared


def build(ctx):
    """The :class:`~sheets_automation.report.WeeklyReport` for this run (shared with ``report --png``)."""
    settings, errors = report_settings_from_mapping(ctx.config.report_for(ctx.sheet))
    if errors:
        raise ConfigError(f"{ctx.config.source or 'config'}: " + "; ".join(errors))
    logistics = ctx.tabs.get("logistics")
    return weekly_report(shared.opened_filled(ctx), ctx.now, settings, logistics.df if logistics else None)


def run(ctx) -> dict:
    return {"weekly_report": report_tab(build(ctx), ctx.tz_name)}
