"""One run over one spreadsheet: read once, evaluate (pure), plan, write once.

    backend.read()  ──►  typed tabs  ──►  jobs (pure, take ``now``)  ──►  WritePlan
                                                                    └─►  backend.apply()  (or --dry-run listing)

Only the caller (CLI, scheduler) reads the clock; everything here takes ``now``.
Rows a job creates in another tab (the rules job's Reships and Logistics rows) are added
to the typed tabs *before* the jobs run, so every job evaluates them in this same run and
they are written whole, as new rows: one run converges (issue 10, item 6).
A tab with a missing or duplicated header is skipped with its message; the other tabs
still run. Missing tabs that the selected jobs need stop the run (a one-line error).
"""
from __future__ import annotations

import gc
import threading
import time as _time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

import pandas as pd

from .backends.base import STATE_TAB, ApplyResult, Backend, ReportTab, WritePlan, trim_rows
from .config import Config, SpreadsheetConfig
from .errors import TabError
from .fmt import format_timestamp
from .memory import release_free_memory
from .nextchange import next_change_at
from .schema import TabSchema, shipped_schemas
from .report_tabs import plan_report_tab
from .state import StateTab, row_key
from .table import TypedTab, find_grid, typed_tab
from .writeplan import TabOutput, assign_keys, id_numbers, plan_tab


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
    state: StateTab | None = None  # the hidden state tab as read (fingerprints, timelines)
    notes: list[str] = field(default_factory=list)  # for the run summary
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
    next_change: datetime | None = None  # next instant an output changes by time alone (nextchange.py)

    @property
    def ok(self) -> bool:
        return not self.tab_errors


def load_tabs(snapshot, tz_name: str, day_first: bool, schemas: dict[str, TabSchema], now: datetime | None = None,
              state: StateTab | None = None):
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
            tab = typed_tab(grid, schema, tz_name, day_first, now)
        except TabError as exc:
            errors[stem] = str(exc)
            continue
        tabs[stem] = tab
    state = state if state is not None else StateTab.from_grid(snapshot.grids.get(STATE_TAB))
    for stem, tab in tabs.items():
        if tab.schema.id_prefix:  # jobs see the IDs this run will write (cross-tab rows need them)
            tab.id_floor = id_floor(tab.schema, tabs, state)
            keys, _ = assign_keys(tab)
            tab.df[tab.schema.key] = keys.astype(object)
    return tabs, errors


def id_floor(schema: TabSchema, tabs: dict[str, TypedTab], state: StateTab) -> int:
    """The highest ``<prefix>-NNNNN`` number that other tabs' columns of the same field (a
    Reships row's Case ID) or the state tab's row keys (IDs the automation wrote, rows since
    deleted included) name: generated IDs start above it."""
    prefix = row_key(schema.tab, "")
    seen = [v for t in tabs.values() if t.schema is not schema and schema.key in t.raw
            for v in t.raw[schema.key].unique()]
    seen += [k[len(prefix):] for k in state.raw if k.startswith(prefix)]
    return max(id_numbers(schema.id_prefix, seen), default=0)


JOBS_OF_REPORTS = {"weekly_report": "report"}


def run_once(backend: Backend, config: Config, sheet: SpreadsheetConfig, job_names: list[str], now: datetime,
             *, dry_run: bool = False, log: Callable[[str], None] = lambda s: None,
             on_applied: Callable[["RunResult"], None] | None = None, services: Services | None = None) -> RunResult:
    """Run the named jobs once over one spreadsheet; see the module docstring."""
    with _fewer_collections():
        return _run_once(backend, config, sheet, job_names, now, dry_run, log, on_applied, services)


RUN_GC_THRESHOLDS = (100_000_000, 10, 100)  # see _fewer_collections
_GC_LOCK = threading.Lock()
_GC_RUNS = [0, None]  # runs under way, the thresholds before the first of them


@contextmanager
def _fewer_collections():
    """Python's cyclic garbage collector, kept out of the way while a run is under way.

    A run makes millions of small objects that live until it ends (cells, writes, rows);
    a collection during the run walks them all and frees next to nothing (a writing run
    at 100k rows leaves about 60 unreachable objects), yet costs 0.45 s of a Google run's
    CPU there. So young collections wait for 100,000,000 allocations (a backstop, far
    beyond any sheet the 1 GB target allows). When the last of concurrent runs ends, the
    objects still young are moved to the oldest generation unwalked (``gc.freeze`` then
    ``gc.unfreeze``), else the first collection after the thresholds are restored walks
    the run's result (0.24 s at 100k rows); they are looked at again only by a full
    collection, by when the caller has usually let them go (docs/benchmarks.md, "Garbage
    collection" and "No collection during a run").
    """
    with _GC_LOCK:
        if _GC_RUNS[0] == 0:
            _GC_RUNS[1] = gc.get_threshold()
            gc.set_threshold(*RUN_GC_THRESHOLDS)
        _GC_RUNS[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_RUNS[0] -= 1
            if _GC_RUNS[0] == 0:
                if gc.get_freeze_count() == 0:  # (objects someone else froze stay as they are)
                    gc.freeze()  # what the run leaves young (its result, the plan in it) joins the
                    gc.unfreeze()  # oldest generation by two list moves, without a walk over it
                gc.set_threshold(*_GC_RUNS[1])


def _run_once(backend: Backend, config: Config, sheet: SpreadsheetConfig, job_names: list[str], now: datetime,
              dry_run: bool, log: Callable[[str], None], on_applied: Callable[["RunResult"], None] | None,
              services: Services | None) -> RunResult:
    started = _time.perf_counter()
    log(f"reading {backend.label} …")
    planned = _evaluate(backend.read(), config, sheet, job_names, now, log, services or Services())
    # the typed tabs, evaluations and job outputs went out of scope with _evaluate: the write
    # holds only the plan and the backend's own read (issue #15: memory at 100k rows)
    applied = None
    if planned.plan and not dry_run:
        release_free_memory()  # the pages the evaluation freed, before the write's reads (#15)
        log(f"writing {len(planned.plan.cells)} cells, {len(planned.plan.appends)} new rows …")
        applied = backend.apply(planned.plan)
    result = replace(planned, applied=applied, seconds=_time.perf_counter() - started)
    if applied is not None and on_applied is not None:
        on_applied(result)  # e.g. the audit trail records every cell written
    return result


def _evaluate(snapshot, config: Config, sheet: SpreadsheetConfig, job_names: list[str], now: datetime,
              log: Callable[[str], None], services: Services) -> RunResult:
    """Everything of a run but the write: the result with its plan (``applied`` still None)."""
    from .jobs import JOBS  # registry lives in the jobs package

    schemas = shipped_schemas()
    tz_name = sheet.timezone or snapshot.timezone or config.timezone
    state = StateTab.from_grid(snapshot.grids.get(STATE_TAB))
    tabs, tab_errors = load_tabs(snapshot, tz_name, config.day_first, schemas, now, state)
    rows = {stem: len(t.raw) for stem, t in tabs.items()}
    log("read " + ", ".join(f"{schemas[s].tab} {n} rows" for s, n in rows.items()))
    ctx = RunContext(now=now.astimezone(ZoneInfo(tz_name)), tz_name=tz_name, config=config, sheet=sheet,
                     tabs=tabs, tab_errors=tab_errors, log=log, services=services, state=state,
                     jobs=tuple(job_names))
    created = create_rows(ctx, [JOBS[n] for n in job_names], config.day_first)
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
    notes += ctx.notes
    ctx.evaluations.clear()  # every job has run; planning needs only their outputs (memory)
    for stem in created:  # created rows are written even when no job has an opinion on their cells
        outputs.setdefault(stem, [TabOutput(values=pd.DataFrame(index=tabs[stem].df.index[:0]))])
    next_change = next_change_at(outputs, tabs, ctx.now, tz_name, config.policy_for(sheet))
    plan = WritePlan()
    kept = 0
    checked_at = format_timestamp(pd.Series([ctx.now]), tz_name).iloc[0]
    for stem in list(outputs):  # each tab's outputs are let go once planned
        kept += plan_tab(tabs[stem], merge_outputs(outputs.pop(stem)), state, plan, checked_at,
                         created=created.get(stem, {}))
    if state.rebuilt:
        notes.append(rebuilt_note(state))
    for stem, report in reports.items():  # only into a tab the automation owns (report_tabs)
        if stem not in schemas:
            plan_report(report, None, plan)
        elif note := plan_report_tab(stem, schemas[stem], report, snapshot, state, plan):
            notes.append(f"{JOBS_OF_REPORTS.get(stem, stem)}: {note}")
    return RunResult(sheet=sheet.name, plan=plan, applied=None, kept=kept, tab_errors=tab_errors, notes=notes,
                     seconds=0.0, rows=rows, now=ctx.now, jobs=list(job_names), next_change=next_change)


def create_rows(ctx: RunContext, jobs: list, day_first: bool) -> dict[str, dict[int, str]]:
    """Add the rows jobs create (``Job.creates``) to ``ctx.tabs``; by stem, the new sheet rows
    and the rule that created each (a row's ``"_rule"``, kept for the audit trail).

    The new rows go below the tab's last non-empty row, where the backend appends them.
    """
    created: dict[str, dict[int, str]] = {}
    for job in jobs:
        if job.creates is None or any(s not in ctx.tabs for s in job.needs):
            continue
        for stem, rows in job.creates(ctx).items():
            if rows and stem in ctx.tabs:
                ctx.tabs[stem], new = with_rows(ctx.tabs[stem], rows, ctx.tz_name, day_first)
                created.setdefault(stem, {}).update(zip(new, (r.get("_rule", "") for r in rows)))
    return created


def with_rows(tab: TypedTab, rows: list[dict[str, str]], tz_name: str, day_first: bool) -> tuple[TypedTab, list[int]]:
    """``tab`` re-typed with ``rows`` (text by field) below its last non-empty row."""
    grid, col = tab.grid, tab.layout.col
    body = [list(r) for r in trim_rows(grid.rows)]
    width = max([len(r) for r in body] + list(col.values()) + [1])
    first = len(body) + 1
    for values in rows:
        line = [""] * width
        for f, v in values.items():
            if f in col:
                line[col[f] - 1] = v
        body.append(line)
    typed = typed_tab(replace(grid, rows=tuple(tuple(r) for r in body)), tab.schema, tz_name, day_first)
    typed.id_floor = tab.id_floor
    if tab.schema.id_prefix:
        keys, _ = assign_keys(typed)
        typed.df[tab.schema.key] = keys.astype(object)
    return typed, list(range(first, first + len(rows)))


def rebuilt_note(state: StateTab) -> str:
    """The one summary line when bot cells were rebuilt for want of a record (issue #13)."""
    if not state.exists:
        return (f"the hidden tab {STATE_TAB} was missing (deleted, or the data was copied to a new sheet): "
                f"{state.rebuilt} automation cells rebuilt from what the sheet shows; the tab is recreated")
    return (f"{state.rebuilt} automation cells on rows {STATE_TAB} had no record of were rebuilt "
            f"(no evidence of a hand edit)")


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
    timeline = {row: t for o in outs for row, t in o.timeline.items()}
    memo = next((o for o in outs if o.memo), outs[0])
    return TabOutput(values=values, colours=colours, rules=rules, appends=appends, timeline=timeline,
                     memo=memo.memo, memo_field=memo.memo_field)
