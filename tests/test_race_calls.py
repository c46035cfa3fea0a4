"""Race suite (issue #11): a person edits at every call of a Google run, every kind of edit.

For each phase of a writing run (before the read, between read and re-read, between re-read
and write, after the write) and each edit kind, the run goes on with people's edit made at
that moment, then at most two further runs. The result must equal a *reference*: the same
edit made before any of these runs, then the same runs. So: every people's cell is exactly as
they left it, every automation cell is what a clean run computes, no value in the wrong row.

Known gap, asserted as such: a bot cell typed over in the instant between the re-read and
the write is overwritten (the Sheets API has no conditional write); see README "promises".
"""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from sheets_automation.backends.base import STATE_TAB
from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.runner import run_once
from sheets_automation.schema import shipped_schemas
from tests.fakes.sheets_api import FakeSheetsAPI
from tests.test_google_end_to_end import CONFIG, NOW, SHEET, tabs_with

SID = "sheet-a"
LATER = NOW + timedelta(days=3, hours=5)  # windows and deadlines move: the run writes
CASES = shipped_schemas()["cases"]


def _col(api: FakeSheetsAPI, header: str, tab: str = "Cases") -> int:
    return api.grid(SID, tab)[0].index(header) + 1


def _move_column(api: FakeSheetsAPI) -> None:
    """Drag "Support notes" to column B (delete there, insert here, same cells)."""
    sheet = api.sheet(SID, "Cases")
    c = _col(api, "Support notes") - 1
    cells = {r: row.get(c) for r, row in enumerate(sheet.rows) if row.get(c)}
    api._dimension(sheet, "COLUMNS", c, c + 1, insert=False)
    api._dimension(sheet, "COLUMNS", 1, 2, insert=True)
    for r, cell in cells.items():
        sheet.rows[r][1] = cell


EDITS = {
    "insert rows above": lambda a: a.human_insert_rows("Cases", 2, 3),
    "delete a row above": lambda a: a.human_delete_rows("Cases", 3),
    "sort": lambda a: a.human_sort("Cases", "C", descending=True),
    "insert a column": lambda a: a.human_insert_columns("Cases", 2),
    "move a column": _move_column,
    "delete a column": lambda a: a._dimension(a.sheet(SID, "Cases"), "COLUMNS", _col(a, "Support notes") - 1,
                                              _col(a, "Support notes"), insert=False),
    "rename a header": lambda a: a.human_set("Cases", "V1", "Support notes (team)"),
    "type into a bot cell": lambda a: a.human_set("Cases", f"{_letter(_col(a, 'Alert'))}6", "Called them, fine"),
    "type into a people's cell": lambda a: a.human_set("Cases", f"{_letter(_col(a, 'Support notes'))}7", "VIP"),
    "add a row": lambda a: a.human_set("Cases", "A40", "CS-09999"),
    "insert a row and type into it": lambda a: (a.human_insert_rows("Cases", 3, 1),
                                                a.human_set("Cases", f"{_letter(_col(a, 'Support notes'))}3", "VIP")),
    "delete a row, start one below": lambda a: (a.human_delete_rows("Cases", 3),
                                                a.human_set("Cases", f"{_letter(_col(a, 'Support notes'))}21", "VIP")),
    "delete the tab": lambda a: a.human_delete_tab("Cashback"),
}
PHASES = ["before the read", "between read and re-read", "between re-read and write", "after the write"]


def _letter(col: int) -> str:
    return chr(64 + col) if col <= 26 else "A" + chr(64 + col - 26)


def phase_hit(api: FakeSheetsAPI, n: int, phase: str) -> bool:
    """Whether call ``n`` of a run (a read of 2 calls) is at ``phase`` (one of :data:`PHASES`)."""
    method, path, _kind = api.calls[n]
    wrote = any(p.endswith("values:batchUpdate") for _m, p, _k in api.calls[:n])
    if phase == "before the read":
        return n == 0
    if phase == "between read and re-read":
        return n == 2
    if phase == "between re-read and write":
        return path.endswith("values:batchUpdate") and not wrote
    return method == "GET" and wrote  # after the write: before the verification read


@pytest.fixture(scope="module")
def converged() -> FakeSheetsAPI:
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, "Client A", "Asia/Shanghai", tabs_with(20), row_count=300)
    for _ in range(4):
        run(api, NOW)
    return api


def run(api: FakeSheetsAPI, now):
    return run_once(open_google_backend(SID, session=api.session(), sleep=lambda s: None),
                    CONFIG, SHEET, ["tracking", "rules", "messages"], now)


def copy_of(api: FakeSheetsAPI) -> FakeSheetsAPI:
    out = FakeSheetsAPI()
    out.spreadsheets = copy.deepcopy(api.spreadsheets)
    return out


def by_key(api: FakeSheetsAPI) -> dict[str, dict[str, dict[str, str]]]:
    """Each data tab as {first-column key: {header: value}}: equal whatever the row or column order."""
    out = {}
    for sheet in api.spreadsheets[SID].sheets:
        if sheet.title == STATE_TAB:
            continue
        grid = api.grid(SID, sheet.title)
        head = grid[0] if grid else []
        rows = {}
        for i, row in enumerate(grid[1:], start=2):
            values = {h: str(row[c]) if c < len(row) else "" for c, h in enumerate(head) if h}
            if any(values.values()):
                rows[str(row[0]) if row and row[0] != "" else f"#{i}"] = values
        out[sheet.title] = rows
    return out


@pytest.fixture(scope="module")
def references(converged) -> dict[str, dict]:
    refs = {}
    for name, edit in EDITS.items():
        api = copy_of(converged)
        edit(api)
        for _ in range(3):
            run(api, LATER)
        refs[name] = by_key(api)
    return refs


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_at_any_call_converges_to_the_reference(converged, references, phase, edit):
    api = copy_of(converged)
    done = []

    def between(fake, n):
        if not done and phase_hit(fake, n, phase):
            done.append(n)
            EDITS[edit](fake)

    api.between_calls = between
    first = run(api, LATER)
    api.between_calls = None
    assert done, "the edit happened"
    assert first.applied is not None or first.tab_errors or not first.plan
    for _ in range(2):
        run(api, LATER)
    got, want = by_key(api), copy.deepcopy(references[edit])
    if edit == "type into a bot cell" and phase == "between re-read and write":
        # the known gap: no conditional write in the Sheets API; the typed text is lost
        got["Cases"].pop("CS-00005", None), want["Cases"].pop("CS-00005", None)
    assert got == want, "\n".join(_diff(got, want)[:10])


def _diff(got: dict, want: dict) -> list[str]:
    out = []
    for tab in sorted(set(got) | set(want)):
        g, w = got.get(tab, {}), want.get(tab, {})
        for key in sorted(set(g) | set(w)):
            if g.get(key) != w.get(key):
                gv, wv = g.get(key) or {}, w.get(key) or {}
                cols = [h for h in sorted(set(gv) | set(wv)) if gv.get(h) != wv.get(h)]
                out.append(f"{tab} {key}: " + "; ".join(f"{h}: {gv.get(h)!r:.40} != {wv.get(h)!r:.40}" for h in cols))
    return out

