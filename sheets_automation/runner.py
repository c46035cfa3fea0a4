"""One run over one spreadsheet: read once, evaluate (pure), plan, write once.

    backend.read()  ──►  typed tabs  ──►  jobs (pure, take ``now``)  ──►  WritePlan
                                                                    └─►  backend.apply()  (or --dry-run listing)

Only the caller (CLI, scheduler) reads the clock; everything here takes ``now``.
A tab with a missing or duplicated header is skipped with its message; the other tabs
still run. Missing tabs that the selected jobs need stop the run (a one-line error).
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

import pandas as pd

from .backends.base import STATE_TAB, ApplyResult, Backend, ReportTab, WritePlan, trim_rows
from .config import Config, SpreadsheetConfig
from .errors import TabError
from .fmt import format_timestamp
from .schema import TabSchema, shipped_schemas
from .state import StateTab
from .table import TypedTab, find_grid, typed_tab
from .writeplan import TabOutput, assign_keys, plan_tab


@dataclass(frozen=True, slots=True)
class Services:
    """What a run may reach besides the spreadsheet; tests inject fakes here (never patches).

    :param tracking_session: ``requests.Session`` for the tracking provider (None: a new one).
    :param sleep: how retries and rate limits wait.
    """

    tracking_session: object | None = None
    sleep: Callable[[float], None] = _time.sleep


@dataclass(slots=True)
class RunContext:
    """Everything a job may look at. Jobs are pure over this; they never do I/O on the sheet."""

    now: datetime  # aware
    tz_name: str
    config: Config
    sheet: SpreadsheetConfig
    tabs: dict[str, TypedTab]  # by schema stem: "cases", "logistics", ...
    tab_errors: dict[str, str]
    log: Callable[[str], None]
    services: Services = Services()
    jobs: tuple[str, ...] = ()  # the jobs of this run: what a job may reuse, never in which order they ran
    evaluations: dict = field(default_factory=dict)  # see :meth:`cached`

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    def cached(self, name: str, compute: Callable[[], object]):
        """Compute once per run, whichever job asks first (jobs share evaluations, e.g. rules
        and messages). Results never depend on job order: a job that reads another job's
        evaluation asks for it through that job's function, declared in ``Job.uses``."""
        if name not in self.evaluations:
            self.evaluations[name] = compute()
        return self.evaluations[name]

    def fmt(self, series: pd.Series) -> pd.Series:
        return format_timestamp(series, self.tz_name)


@dataclass(slots=True)
class RunResult:
    sheet: str
    plan: WritePlan
    applied: ApplyResult | None
    kept: int  # bot cells people edited, left alone
    tab_errors: dict[str, str]
    notes: list[str]
    seconds: float
    rows: dict[str, int]
    now: datetime | None = None
    jobs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.tab_errors


def load_tabs(snapshot, tz_name: str, day_first: bool, schemas: dict[str, TabSchema]):
    tabs: dict[str, TypedTab] = {}
    errors: dict[str, str] = {}
    for stem, schema in schemas.items():
        if schema.kind != "table":
            continue
        grid = find_grid(snapshot, schema)
        if grid is None:
            errors[stem] = (f"tab {schema.tab!r} is missing; run `sheets-automation init` to create it "
                            f"(or rename your tab to {schema.tab!r} or {'/'.join(schema.aliases)})")
            continue
        try:
            tab = typed_tab(grid, schema, tz_name, day_first)
        except TabError as exc:
            errors[stem] = str(exc)
            continue
        if schema.id_prefix:  # jobs see the IDs this run will write (cross-tab rows need them)
            keys, _ = assign_keys(tab)
            tab.df[schema.key] = keys.astype(object)
        tabs[stem] = tab
    return tabs, errors


def run_once(backend: Backend, config: Config, sheet: SpreadsheetConfig, job_names: list[str], now: datetime,
             *, dry_run: bool = False, log: Callable[[str], None] = lambda s: None,
             on_applied: Callable[["RunResult"], None] | None = None, services: Services | None = None) -> RunResult:
    """Run the named jobs once over one spreadsheet; see the module docstring."""
    from .jobs import JOBS  # registry lives in the jobs package

    started = _time.perf_counter()
    schemas = shipped_schemas()
    log(f"reading {backend.label} …")
    snapshot = backend.read()
    tz_name = sheet.timezone or snapshot.timezone or config.timezone
    tabs, tab_errors = load_tabs(snapshot, tz_name, config.day_first, schemas)
    rows = {stem: len(t.raw) for stem, t in tabs.items()}
    log("read " + ", ".join(f"{schemas[s].tab} {n} rows" for s, n in rows.items()))
    ctx = RunContext(now=now.astimezone(ZoneInfo(tz_name)), tz_name=tz_name, config=config, sheet=sheet,
                     tabs=tabs, tab_errors=tab_errors, log=log, services=services or Services(),
                     jobs=tuple(job_names))
    outputs: dict[str, list[TabOutput]] = {}
    reports: dict[str, ReportTab] = {}  # by stem: tabs written whole (weekly_report)
    notes: list[str] = []
    for name in job_names:
        job = JOBS[name]
        missing = [schemas[s].tab for s in job.needs if s not in tabs]
        if missing:
            notes.append(f"{name}: skipped, tab {missing[0]!r} could not be used")
            continue
        log(f"job {name} …")
        for stem, out in job.run(ctx).items():
            if isinstance(out, ReportTab):
                reports[stem] = out
                continue
            outputs.setdefault(stem, []).append(out)
    state = StateTab.from_grid(snapshot.grids.get(STATE_TAB))
    plan = WritePlan()
    kept = 0
    checked_at = format_timestamp(pd.Series([ctx.now]), tz_name).iloc[0]
    for stem, outs in outputs.items():
        kept += plan_tab(tabs[stem], merge_outputs(outs), state, plan, checked_at)
    for stem, report in reports.items():
        plan_report(report, find_grid(snapshot, schemas[stem]) if stem in schemas else None, plan)
    applied = None
    if plan and not dry_run:
        log(f"writing {len(plan.cells)} cells, {len(plan.appends)} new rows …")
        applied = backend.apply(plan)
    result = RunResult(sheet=sheet.name, plan=plan, applied=applied, kept=kept, tab_errors=tab_errors, notes=notes,
                       seconds=_time.perf_counter() - started, rows=rows, now=ctx.now, jobs=list(job_names))
    if applied is not None and on_applied is not None:
        on_applied(result)  # e.g. the audit trail records every cell written
    return result


def plan_report(report: ReportTab, grid, plan: WritePlan) -> None:
    """Add a whole-tab report to ``plan`` only when it differs from the tab as read (written
    under the tab's own title, which may be an alias such as 周报)."""
    if grid is not None:
        report = replace(report, title=grid.title)
        if trim_rows(grid.rows) == report.text_rows():
            return
    plan.reports.append(report)


def merge_outputs(outs: list[TabOutput]) -> TabOutput:
    """Several jobs' outputs for one tab → one (their bot columns do not overlap)."""
    if len(outs) == 1:
        return outs[0]
    values = pd.concat([o.values for o in outs], axis=1)
    values = values.loc[:, ~values.columns.duplicated(keep="first")]
    colours = next((o.colours for o in outs if o.colours is not None), None)
    rules = next((o.rules for o in outs if o.rules is not None), None)
    appends = [a for o in outs for a in o.appends]
    return TabOutput(values=values, colours=colours, rules=rules, appends=appends)
