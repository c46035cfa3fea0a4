"""People edit the sheet while a run is between its read and its write (non-negotiable 3).

A seeded simulation over the fake Sheets API: the run's plan is computed once per
baseline (a fresh sheet, and the same sheet one run later at a later ``now``), then
replayed through ``backend.read()`` / ``backend.apply(plan)`` on a fresh copy for every
interleaving, while ``between_calls`` plays people inserting, deleting, sorting rows,
inserting columns and typing into any cell just before the re-read.

Each fake row dict carries an invisible marker (cell -1) with its original row number, so
a row is recognised wherever people moved it. After the write:

* every cell of a person-owned column, and every cell a person typed into, is unchanged;
* every other cell either is unchanged or holds the value planned for *that* row (the
  per-row signature): no bot value ever lands in another row;
* a row that changed and was blank before holds exactly one planned appended row.
"""
from __future__ import annotations

import copy
import dataclasses
import random
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.config import Config, SpreadsheetConfig
from sheets_automation.demo import sample_rows
from sheets_automation.runner import run_once
from sheets_automation.schema import shipped_schemas
from tests.fakes.sheets_api import FakeSheetsAPI, col_letters
from tests.test_race_calls import phase_hit

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LATER = NOW + timedelta(days=4, hours=3)
SID = "sheet-sim"
SHEET = SpreadsheetConfig(name="sim", spreadsheet_id=SID)
CONFIG = Config(backend="google", spreadsheets=(SHEET,))
JOBS = ["tracking", "rules", "messages"]
EDITED_TABS = ("Cases", "Logistics")
SEEDS_PER_CHUNK = 125
CHUNKS = 4  # 4 x 125 = 500 interleavings per baseline, 1,000 in all
MARK = -1  # the fake's row dicts are {column: cell}; column -1 is never read or written


def small_tabs(n_cases: int = 14) -> dict[str, list[list]]:
    """A small realistic sheet: sample cases (two with blank IDs), parcels, cashback, reships.
    More cases than the samples repeat them under their own IDs and order numbers."""
    rows = sample_rows(NOW)
    tabs: dict[str, list[list]] = {}
    for stem, n in (("cases", n_cases), ("logistics", 6), ("cashback", 4), ("reships", 3)):
        schema = shipped_schemas()[stem]
        samples = rows[stem]
        count = n if stem == "cases" else min(n, len(samples))
        data = [samples[i] if i < len(samples) else dict(samples[i % len(samples)], order_id=f"#{20000 + i}")
                for i in range(count)]
        if stem == "cases":
            data = [dict(r, case_id="" if i in (3, 9) else f"CS-{i + 1:05d}") for i, r in enumerate(data)]
        tabs[schema.tab] = [list(schema.headers)] + [[r.get(f, "") for f in schema.fields] for r in data]
    tabs["Weekly report"] = []
    return tabs


def backend(api: FakeSheetsAPI):
    return open_google_backend(SID, session=api.session(), sleep=lambda s: None)


def mark_rows(api: FakeSheetsAPI) -> None:
    for tab in EDITED_TABS:
        for r, row in enumerate(api.sheet(SID, tab).rows):
            row[MARK] = {"m": ("o", r + 1)}


def baselines(n_cases: int = 14) -> dict[str, tuple[object, object]]:
    """{name: (spreadsheet state before the run, plan of the run)}, computed once."""
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, "Sim", "Asia/Shanghai", small_tabs(n_cases), row_count=n_cases + 26)
    mark_rows(api)
    out = {}
    fresh = copy.deepcopy(api.spreadsheets[SID])
    out["fresh"] = (fresh, run_once(backend(api), CONFIG, SHEET, JOBS, NOW, dry_run=True).plan)
    run_once(backend(api), CONFIG, SHEET, JOBS, NOW)  # one real run, then support works the cases
    grid = api.grid(SID, "Cases")
    status = col_letters(grid[0].index("Status") + 1)
    for r in range(2, len(grid) + 1):
        api.human_set("Cases", f"{status}{r}", ("resolved", "waiting_client", "investigating", "approved")[r % 4])
    mark_rows(api)  # rows appended by the first run get their own markers
    later = copy.deepcopy(api.spreadsheets[SID])
    out["later"] = (later, run_once(backend(api), CONFIG, SHEET, JOBS, LATER, dry_run=True).plan)
    return out


BASELINES = baselines()


# --------------------------------------------------------------------------- people


def person(rng: random.Random, api: FakeSheetsAPI) -> None:
    """One to five random UI actions on the edited tabs."""
    for _ in range(rng.randint(1, 5)):
        tab = rng.choice(EDITED_TABS)
        sheet = api.sheet(SID, tab)
        last = max(r for r, row in enumerate(sheet.rows) if any(c.get("v") not in (None, "") for k, c in row.items()
                                                                 if k != MARK)) + 1
        action = rng.choices(["set", "insert", "delete", "sort", "column"], weights=[6, 2, 2, 1, 1])[0]
        if action == "set":
            header = [c for c in range(sheet.col_count) if sheet.peek(0, c).get("v")]
            col = rng.choice(header) + 1
            value = rng.choice(["", "x", "Overdue · typed by hand", "done, called the customer", "42", "=1+1",
                                "CS-99999", f"#{rng.randrange(10 ** 6)}", "2025-03-01 09:00"])
            api.human_set(tab, f"{col_letters(col)}{rng.randint(2, last + 1)}", value)
        elif action == "insert":
            at = rng.randint(2, last + 1)
            n = rng.randint(1, 2)
            api.human_insert_rows(tab, at, n)
            for k in range(n):
                sheet.rows[at - 1 + k][MARK] = {"m": ("h", rng.random())}
        elif action == "delete" and last >= 3:
            api.human_delete_rows(tab, rng.randint(2, last))
        elif action == "sort":
            header = [c for c in range(sheet.col_count) if sheet.peek(0, c).get("v")]
            api.human_sort(tab, rng.choice(header) + 1, descending=rng.random() < 0.5)
        elif action == "column":
            api.human_insert_columns(tab, rng.randint(1, 9))


# --------------------------------------------------------------------------- observation


def snapshot(api: FakeSheetsAPI, tab: str) -> list[tuple[object, dict[str, str]]]:
    """[(marker, {header: text})] for every row below the header, in sheet order."""
    sheet = api.sheet(SID, tab)
    header = {c: str(cell.get("v")) for c, cell in sheet.rows[0].items() if c != MARK and cell.get("v")}
    out = []
    for row in sheet.rows[1:]:
        values = {}
        for c, cell in row.items():
            if c == MARK or cell.get("v") in (None, ""):
                continue
            values[header.get(c, f"#{c}")] = str(cell["v"])
        out.append(((row.get(MARK) or {}).get("m"), values))
    return out


def owners(tab: str) -> dict[str, str]:
    schema = next(s for s in shipped_schemas().values() if s.tab == tab)
    return {c.header: c.owner for c in schema.columns}


def check(name: str, seed: int, plan, before: dict, after: dict, read: dict) -> list[str]:
    """Every broken invariant, one line each."""
    problems: list[str] = []
    for tab in EDITED_TABS:
        owner = owners(tab)
        planned: dict[tuple[int, str], str] = {(w.ref.row, w.header): w.new for w in plan.cells if w.tab == tab}
        appends = Counter(tuple(sorted((h, v) for h, v in a.values if v != "")) for a in plan.appends if a.tab == tab)
        as_read = {m: vals for m, vals in read[tab]}
        if [m for m, _ in before[tab]] != [m for m, _ in after[tab]][:len(before[tab])]:
            problems.append(f"{tab}: rows were moved by the write")
            continue
        for i, ((marker, was), (_m, now)) in enumerate(zip(before[tab], after[tab]), start=2):
            if was == now:
                continue
            if not was:  # a blank row that now holds something: must be a planned appended row
                key = tuple(sorted(now.items()))
                if appends[key] > 0:
                    appends[key] -= 1
                    continue
                problems.append(f"{tab} row {i}: blank row got {now}, not a planned append")
                continue
            orig = marker[1] if marker and marker[0] == "o" else None
            for header in sorted(set(was) | set(now)):
                old, new = was.get(header, ""), now.get(header, "")
                if old == new:
                    continue
                if owner.get(header, "person") != "bot":
                    problems.append(f"{tab} row {i}: person-owned {header!r} changed {old!r} -> {new!r}")
                elif orig is None or as_read.get(marker, {}).get(header, "") != old:
                    problems.append(f"{tab} row {i}: {header!r} a person typed {old!r} was overwritten with {new!r}")
                elif planned.get((orig, header)) != new:
                    problems.append(f"{tab} row {i} (was row {orig}): {header!r} got {new!r}, planned for this row: "
                                    f"{planned.get((orig, header))!r}")
    return [f"{name} seed {seed}: {p}" for p in problems]


def interleave(name: str, seed: int, moment: str = "between read and re-read", baselines_: dict | None = None,
               people=None) -> tuple[list[str], int, int]:
    """People's random edits (``people``, default :func:`person`) at ``moment`` of the run of
    baseline ``name``; returns the broken invariants, cells written, writes skipped."""
    base, plan = (baselines_ or BASELINES)[name]
    api = FakeSheetsAPI()
    api.spreadsheets[SID] = copy.deepcopy(base)
    rng = random.Random(f"{name}-{seed}")
    seen: dict[str, dict] = {}

    def between(fake: FakeSheetsAPI, n: int) -> None:
        if "before" not in seen and phase_hit(fake, n, moment):
            (people or person)(rng, fake)
            seen["before"] = {t: snapshot(fake, t) for t in EDITED_TABS}

    b = backend(api)
    b.read()
    seen["read"] = {t: snapshot(api, t) for t in EDITED_TABS}
    api.between_calls = between
    result = b.apply(plan)
    api.between_calls = None
    if "before" not in seen:  # the run never reached that moment (nothing to re-read or verify)
        return [], result.written, len(result.skipped)
    after = {t: snapshot(api, t) for t in EDITED_TABS}
    return check(name, seed, plan, seen["before"], after, seen["read"]), result.written, len(result.skipped)


@pytest.mark.parametrize("name", ["fresh", "later"])
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_people_editing_between_read_and_write_never_lose_an_edit_or_get_a_misplaced_value(name, chunk):
    problems, written, skipped = [], 0, 0
    for seed in range(chunk * SEEDS_PER_CHUNK, (chunk + 1) * SEEDS_PER_CHUNK):
        p, w, s = interleave(name, seed)
        problems += p
        written, skipped = written + w, skipped + s
    assert not problems, "\n".join(problems[:15])
    assert written > 0 and skipped > 0, "the simulation must both land writes and skip some"


@pytest.mark.parametrize("name", ["fresh", "later"])
def test_people_moving_rows_right_after_the_write_never_get_a_repair_they_did_not_need(name):
    """Edits between the values write and its verification read: rows people sorted, inserted
    or deleted after our values landed are not "repaired" (a timestamp every row got is no
    evidence of a displaced write; a new row found whole elsewhere landed)."""
    problems = [p for seed in range(250) for p in interleave(name, seed, "after the write")[0]]
    assert not problems, "\n".join(problems[:15])


def test_the_baselines_plan_real_writes_on_both_edited_tabs():
    for name, (_base, plan) in BASELINES.items():
        tabs = Counter(w.tab for w in plan.cells)
        assert tabs["Cases"] > 20 and tabs["Logistics"] > 0, (name, tabs)


def test_a_person_typing_into_a_bot_cell_meanwhile_wins_now_and_on_the_next_run():
    """The deterministic core of the simulation: one Alert typed by hand between read and write."""
    base, plan = BASELINES["later"]
    api = FakeSheetsAPI()
    api.spreadsheets[SID] = copy.deepcopy(base)
    target = next(w for w in plan.cells if w.tab == "Cases" and w.header == "Alert" and w.ref.key)
    col = api.grid(SID, "Cases")[0].index("Alert") + 1

    def between(fake, n):
        if n == 2:
            fake.human_set("Cases", f"{col_letters(col)}{target.ref.row}", "Waiting · I called them")

    b = backend(api)
    b.read()
    api.between_calls = between
    b.apply(plan)
    api.between_calls = None
    for _ in range(2):
        run_once(backend(api), CONFIG, SHEET, JOBS, LATER)
    assert api.grid(SID, "Cases")[target.ref.row - 1][col - 1] == "Waiting · I called them"


def test_the_checker_catches_a_value_written_into_the_wrong_row():
    """The simulation's oracle can fail: a plan whose Alert values are swapped between two
    rows is reported as misplaced."""
    base, plan = BASELINES["fresh"]
    alerts = [i for i, w in enumerate(plan.cells) if w.tab == "Cases" and w.header == "Alert" and w.ref.key]
    i, j = next((a, b) for a in alerts for b in alerts if plan.cells[a].new != plan.cells[b].new)
    swapped = copy.copy(plan)
    swapped.cells = list(plan.cells)
    swapped.cells[i] = dataclasses.replace(plan.cells[i], new=plan.cells[j].new)
    api = FakeSheetsAPI()
    api.spreadsheets[SID] = copy.deepcopy(base)
    b = backend(api)
    b.read()
    before = {t: snapshot(api, t) for t in EDITED_TABS}
    b.apply(swapped)
    problems = check("fresh", -1, plan, before, {t: snapshot(api, t) for t in EDITED_TABS}, before)
    assert len(problems) == 1 and "'Alert' got" in problems[0], problems


def _type_into(api: FakeSheetsAPI, tab: str, header: str, row: int, text: str) -> None:
    api.human_set(tab, f"{col_letters(api.grid(SID, tab)[0].index(header) + 1)}{row}", text)


def _insert_marked(api: FakeSheetsAPI, tab: str, at: int, n: int) -> None:
    api.human_insert_rows(tab, at, n)
    for k in range(n):
        api.sheet(SID, tab).rows[at - 1 + k][MARK] = {"m": ("h", k)}


WRITE_INSTANT = {  # people's edits in the instant between the re-read and the values write
    "rows inserted inside the table, one typed into": lambda rng, api: (
        _insert_marked(api, "Logistics", 5, 2), _type_into(api, "Logistics", "Follow-up notes", 6, "VIP")),
    "a row deleted, a new one started below the table": lambda rng, api: (
        api.human_delete_rows("Cases", 9), _type_into(api, "Cases", "Support notes", len(api.grid(SID, "Cases")) + 1,
                                                      "VIP")),
    "a row inserted in the table and typed into": lambda rng, api: (
        _insert_marked(api, "Cases", 4, 1), _type_into(api, "Cases", "Support notes", 4, "call back")),
}


@pytest.mark.parametrize("name", ["fresh", "later"])
@pytest.mark.parametrize("edit", list(WRITE_INSTANT))
def test_a_row_people_add_in_the_instant_before_the_write_gets_nothing_of_ours(name, edit):
    """Our write hits it by position; the run's own verification read takes those values back
    (the row was blank there) and puts them on the rows they belong to."""
    problems, written, _skipped = interleave(name, 0, "between re-read and write", people=WRITE_INSTANT[edit])
    assert written > 0
    assert not problems, "\n".join(problems[:10])
