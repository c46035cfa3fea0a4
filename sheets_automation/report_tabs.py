"""Which tab a whole-tab report (the Weekly report, policy R1-R4) may be written to (issue #13).

A report replaces a tab's whole content, so it goes only to a tab the automation owns:

1. a tab marked in the state tab as this report's (row key ``report/<tab title>``);
2. else the tab named for the report (``Weekly report`` or an alias such as ``周报``) when it
   is empty or already holds this report (its A1 is the report's title line: written by a
   version that kept no mark);
3. else, when no tab has that name, a new one under the report's name;
4. else the named tab is the team's own: a free name next to it (``Weekly report
   (automation)``), with a note saying so. People's tab is never written.

Cases 2 to 4 add the mark to the state tab in the same write as the report. Pure: works
on the snapshot, so both backends get it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace

from .backends.base import STATE_HEADERS, STATE_TAB, NewTab, ReportTab, RowAppend, Snapshot, WritePlan, trim_rows
from .schema import TabSchema, normalise_header
from .state import StateTab

MARK_PREFIX = "report/"


def mark_key(title: str) -> str:
    """The state tab's row key that says the automation owns the report tab ``title``."""
    return f"{MARK_PREFIX}{title}"


@dataclass(frozen=True, slots=True)
class ReportTarget:
    title: str  # the tab to write
    rows: tuple[tuple[str, ...], ...] | None  # its content as read; None when it does not exist yet
    mark: bool  # add the ownership mark to the state tab
    note: str = ""  # one line for people when the report did not go to the usual tab


def report_target(stem: str, schema: TabSchema, report: ReportTab, snapshot: Snapshot,
                  state: StateTab) -> ReportTarget:
    """Where ``report`` (the output of the schema ``stem``) is written; see the module docstring."""
    grids = snapshot.grids
    for title, grid in grids.items():
        if state.get(mark_key(title)).get("report") == stem:
            return ReportTarget(title, grid.rows, mark=False)
    names = set(schema.names)
    named = next((g for t, g in grids.items() if normalise_header(t) in names), None)
    if named is None:
        return ReportTarget(report.title, None, mark=True)
    first = str(report.rows[0][0]) if report.rows and report.rows[0] else ""
    if not trim_rows(named.rows) or named.cell(1, 1) == first:
        return ReportTarget(named.title, named.rows, mark=True)
    taken = {normalise_header(t) for t in grids}
    free = f"{named.title} (automation)"
    n = 2
    while normalise_header(free) in taken:
        free, n = f"{named.title} (automation {n})", n + 1
    return ReportTarget(free, None, mark=True,
                        note=f"tab {named.title!r} holds your team's own content, which the automation never "
                             f"overwrites; the report is written to a new tab {free!r} instead")


def plan_report_tab(stem: str, schema: TabSchema, report: ReportTab, snapshot: Snapshot, state: StateTab,
                    plan: WritePlan) -> str:
    """Add ``report`` to ``plan`` under its target tab, only when it differs from that tab as
    read; returns the target's note ('' when none)."""
    target = report_target(stem, schema, report, snapshot, state)
    report = replace(report, title=target.title)
    if target.rows is not None and trim_rows(target.rows) == report.text_rows():
        return ""
    plan.reports.append(report)
    if target.mark and mark_key(target.title) not in state.raw:
        if not state.exists and not any(t.title == STATE_TAB for t in plan.new_tabs):
            plan.new_tabs.append(NewTab(title=STATE_TAB, headers=STATE_HEADERS, hidden=True))
        plan.appends.append(RowAppend(tab=STATE_TAB, values=((STATE_HEADERS[0], mark_key(target.title)),
                                                             (STATE_HEADERS[1], json.dumps({"report": stem})))))
    return target.note
