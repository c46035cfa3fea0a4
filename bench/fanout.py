"""Benchmark (#12 item 7): sheets served per service account per hour, and Sheets calls per hour,
for 100 / 1,000 / 10,000 client sheets with 10 % of them edited per hour: the single-process
scheduler as it ran before change detection (every rules slot reads every sheet) against
the change-detecting scheduler (the same decision in the Celery worker and in ``scheduler``).

Plain script, not a test::

    python bench/fanout.py                   # 100, 1000, 10000 sheets
    python bench/fanout.py 500               # chosen sizes

How it measures, in one process, in two steps:

1. **Real per-run costs.** One realistic client sheet (the demo's rows) on the fake Sheets
   API, through the real runner and gspread: the calls (reads, writes) of a run after a
   person's edit, of the follow-up run (the version changed by our own write), and of a run
   on a settled sheet. The *time-driven* runs come from the real ``next_change_at``: the
   sheet is run at each "next change" instant it announces over 24 hours, and their
   number per hour is counted.
2. **One hour of the timetable** (rules every 10 minutes = 6 slots) for N sheets: 10 % get a
   person's edit at a random minute; each slot asks the real :func:`skip_reason` (with
   ``max_skip_hours`` = 6, the default) whether the sheet must be read, and adds the
   measured costs. The starting point of each sheet's 6-hour safety-net cycle is spread
   uniformly (steady state).

"Sheets served per account per hour" = how many such sheets one service account's quota
(60 reads and 60 writes a minute = 3,600 each an hour) keeps current: 3,600 divided by the
binding per-sheet rate (reads or writes). Drive ``files.get`` calls are counted separately:
they are Drive quota (12,000 a minute per project), not Sheets quota.
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sheets_automation.audit import AuditStore, SheetState  # noqa: E402
from sheets_automation.backends.gsheets import open_google_backend  # noqa: E402
from sheets_automation.backends.gsheets_drive import drive_version  # noqa: E402
from sheets_automation.changes import skip_reason  # noqa: E402
from sheets_automation.config import Config, SpreadsheetConfig  # noqa: E402
from sheets_automation.scheduler import execute_run  # noqa: E402
from tests.fakes.drive_api import FakeDrive  # noqa: E402
from tests.fakes.sheets_api import FakeSheetsAPI, col_letters  # noqa: E402
from tests.test_google_end_to_end import tabs_with  # noqa: E402

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SHEET = SpreadsheetConfig(name="client", spreadsheet_id="client", timezone="Asia/Shanghai")
CONFIG = Config(backend="google", spreadsheets=(SHEET,))
JOBS = ["rules", "messages"]
SLOTS, EDITED, MAX_SKIP = 6, 0.10, timedelta(hours=6)
QUOTA_PER_HOUR = 60 * 60


class Sheet:
    """One client sheet on the fake Sheets API and a fake Drive, served as the scheduler and the
    Celery task serve it (:func:`execute_run` with the change check, a kept layout, the
    version probe)."""

    def __init__(self, folder: Path):
        self.api, self.drive = FakeSheetsAPI(), FakeDrive()
        self.api.add_spreadsheet("client", "Client", "Asia/Shanghai", tabs_with(30), row_count=200)
        self.session = self.api.session()
        self.session.mount("https://www.googleapis.com/", self.drive)
        self.api.between_calls = lambda api, n: self.drive.bump("client") if api.calls[n][2] == "write" else None
        self.config = replace(CONFIG, data_dir=folder)
        self.store = AuditStore.for_config(self.config)

    def run(self, now, check: bool = True):
        """One rules run; returns (result or None when skipped, Sheets reads, Sheets writes,
        settled: the next change check will skip unless something else changes)."""
        before = (len(self.api.reads), len(self.api.writes))
        _record, result = execute_run(
            self.config, SHEET, JOBS, now, store=self.store, entry="rules",
            open_backend=lambda c, s: open_google_backend("client", session=self.session, sleep=lambda s: None),
            version_of=(lambda: drive_version(self.session, "client")) if check else None)
        kept = self.store.sheet_state(SHEET.name, "rules").version.split("|")[0]
        return (result, len(self.api.reads) - before[0], len(self.api.writes) - before[1],
                kept == drive_version(self.session, "client"))

    def person_edits(self) -> None:
        cases = self.api.grid("client", "Cases")
        self.api.human_set("Cases", f"{col_letters(cases[0].index('Status') + 1)}3", "resolved")
        self.drive.bump("client")


def measure_costs() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        return _measure(Sheet(Path(folder)))


def _measure(sheet: Sheet) -> dict:
    for k in range(6):  # settle (first runs create the state tab and rows)
        sheet.run(NOW + timedelta(minutes=k))
    settled, idle_reads, idle_writes, _ok = sheet.run(NOW, check=False)  # the safety net: a read, no check
    assert not settled.plan
    sheet.person_edits()
    _res, edit_reads, edit_writes, edit_settles = sheet.run(NOW + timedelta(minutes=7))
    _res, follow_reads, follow_writes, _ok = sheet.run(NOW + timedelta(minutes=8), check=False)
    # time-driven runs over 24 h: jump from one announced "next change" to the next
    crossings, time_reads, time_writes, time_settles = 0, 0, 0, 0
    end = NOW + timedelta(hours=24)
    nxt = settled.next_change
    while nxt is not None and nxt < end:
        result, r, w, ok = sheet.run(nxt)
        if not ok:
            sheet.run(nxt, check=False)  # settle (the follow-up read is counted by the simulation)
        crossings, time_reads, time_writes, time_settles = crossings + 1, time_reads + r, time_writes + w, time_settles + ok
        nxt = result.next_change
    return dict(idle=(idle_reads, idle_writes), edit=(edit_reads, edit_writes), edit_settles=edit_settles,
                follow=(follow_reads, follow_writes), time_driven_per_hour=crossings / 24,
                time_driven_cost=(time_reads / crossings, time_writes / crossings) if crossings else (0, 0),
                time_settles=time_settles / crossings if crossings else 1.0)


def simulate(n: int, costs: dict, seed: int = 7, max_skip: timedelta = MAX_SKIP) -> dict:
    """One hour of rules slots for ``n`` sheets; returns calls by kind for both schedulers."""
    rng = random.Random(seed)
    t0 = datetime(2025, 3, 9, 2, 0, tzinfo=timezone.utc)
    slots = [t0 + timedelta(minutes=10 * (k + 1)) for k in range(SLOTS)]
    edited = set(rng.sample(range(n), int(n * EDITED)))
    edit_at = {i: t0 + timedelta(minutes=rng.uniform(0, 60)) for i in edited}
    time_rate = costs["time_driven_per_hour"]
    calls = {"single": [0, 0, 0], "changes": [0, 0, 0]}  # reads, writes, drive
    started = time.perf_counter()
    for i in range(n):
        last_full = t0 - rng.uniform(0, 1) * max_skip  # steady state: safety-net cycles spread out
        next_change = t0 + timedelta(hours=rng.expovariate(time_rate)) if time_rate else None
        state, version, pending_follow = SheetState("v0", last_full, next_change, last_full), 0, False
        for slot in slots:
            changed = i in edited and slot - timedelta(minutes=10) < edit_at[i] <= slot
            version += changed
            calls["single"][0] += costs["edit"][0] if changed else costs["idle"][0]
            calls["single"][1] += costs["edit"][1] if changed else costs["idle"][1]
            calls["changes"][2] += 1  # the Drive check
            reason = skip_reason(state, f"v{version}", slot, max_skip)
            if reason:
                continue
            settles = True
            if changed:
                (r, w), settles = costs["edit"], costs["edit_settles"]
            elif pending_follow:
                r, w = costs["follow"]  # the version moved only by our own last write
            elif state.next_change is not None and slot >= state.next_change:
                r, w = costs["time_driven_cost"]
                settles = rng.random() < costs["time_settles"]
            else:
                r, w = costs["idle"]  # safety net
            calls["changes"][0] += r
            calls["changes"][1] += w
            before = version
            pending_follow = w > 0 and not settles  # a write proven settled needs no follow-up read
            calls["changes"][2] += 1 if w else 0  # the version probe after a write (Drive)
            version += 1 if w else 0  # our own write bumps the version
            before = version if w and settles else before  # ... and a settled run keeps that one
            nxt = slot + timedelta(hours=rng.expovariate(time_rate)) if time_rate else None
            state = SheetState(f"v{before}", slot, nxt, slot)
    calls["single"][1] += round(n * time_rate * costs["time_driven_cost"][1])  # it writes at those instants too
    return dict(calls=calls, seconds=time.perf_counter() - started)


def main(sizes: list[int]) -> None:
    costs = measure_costs()
    print(f"measured per run (reads, writes): idle {costs['idle']}, after an edit {costs['edit']} "
          f"({'settled' if costs['edit_settles'] else 'needs a follow-up read'}), follow-up {costs['follow']}, "
          f"time-driven {tuple(round(x, 2) for x in costs['time_driven_cost'])} "
          f"at {costs['time_driven_per_hour']:.2f} per sheet-hour ({costs['time_settles']:.0%} settled)")
    print("| sheets | scheduler | Sheets reads/h | Sheets writes/h | Drive checks/h | reads per sheet-hour "
          "| sheets per account per hour |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in sizes:
        out = simulate(n, costs)
        long = simulate(n, costs, max_skip=timedelta(hours=24))
        quiet = dict(costs, time_driven_per_hour=0)  # sheets with no deadline or threshold in the hour
        quiet6, quiet24 = simulate(n, quiet), simulate(n, quiet, max_skip=timedelta(hours=24))
        free = simulate(n, quiet, max_skip=timedelta(days=3650))  # idle sheets free: only the edited ones cost
        for name, label, calls in (("single", "single-process, no change check", out["calls"]["single"]),
                                   ("changes", "change check, max_skip_hours = 6", out["calls"]["changes"]),
                                   ("changes", "change check, max_skip_hours = 24", long["calls"]["changes"]),
                                   ("changes", "change check, 6 h, no time-driven change", quiet6["calls"]["changes"]),
                                   ("changes", "change check, 24 h, no time-driven change",
                                    quiet24["calls"]["changes"]),
                                   ("changes", "change check, idle sheets free (no safety net, no time-driven "
                                    "change)", free["calls"]["changes"])):
            reads, writes, drive = calls
            per_sheet = max(reads, writes) / n
            served = int(QUOTA_PER_HOUR / per_sheet) if per_sheet else 0
            print(f"| {n:,} | {label} | {reads:,.0f} | {writes:,.0f} | {drive:,} | {reads / n:.2f} | {served:,} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1_000, 10_000])
