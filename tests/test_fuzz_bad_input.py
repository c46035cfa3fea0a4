"""Fuzz (issue 13): hostile values in every people-owned column of every tab, through the CLI.

Asserts: exit 0; every unreadable cell noted with its A1 address (Next action, or Alert on
tabs without one); every row still evaluated (Checked at written); people's cells never
changed; no cell value in the output. Derandomized and few examples, so it is fast and the
same every run. Merged ranges are not fed here: they belong to the workbook work (issue 13,
workbook part) and are not handled on this branch.
"""
from __future__ import annotations

import openpyxl
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from sheets_automation.cli import main
from sheets_automation.schema import SHIPPED, shipped_schemas
from tests.test_scheduler import NOW, small_workbook

ROWS = {"Cases": 12, "Logistics": 12, "Cashback": 3, "Reships": 3}  # data rows of small_workbook
# Values every reader of that type must refuse (and say where). openpyxl cannot store C0
# control characters, so the workbook gets the ones a sheet can hold (DEL, RTL override, zero width).
HOSTILE = {
    "timestamp": ["0001-01-01", "2520-03-01", "9999-12-31 23:59", "2520年11月20日", "2025-03-01T10:00+24:00",
                  "1e308", "20000", "1954-10-03", "\u202e2025-03-01", "2025-02-30", "\x7f"],
    "number": ["1e27", "6222021234567890123", "abc12", "e5", "-1e400", "1" * 40, "12\u200b3x", "NaN", "inf"],
    "integer": ["1e20", "3.5", "abc", "99999999999999999999"],
    "enum": ["\u202eresolved", "\x7f", "DROP TABLE", "x" * 300],
    "country": ["Atlantis", "\u202eUS", "ZZ9"],
    "currency": ["XYZ1", "\u202eUSD", "dollars?"],
    "language": ["elvish 9", "\x7fen"],
}
FREE_TEXT = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "\u202e\u200b\x7f",
             "line1\r\nline2\ttab", "x" * 3000]


def _columns():
    out = []
    for stem in SHIPPED:
        schema = shipped_schemas()[stem]
        if schema.kind != "table":
            continue
        for c in schema.columns:
            if c.owner != "bot":
                out.append((schema.tab, c))
    return out


COLUMNS = _columns()


def _pool(c):
    return HOSTILE.get(c.type, FREE_TEXT)


FUZZED = [(tab, c) for tab, c in COLUMNS if not (c.type in ("text", "id", "links") and c.required)]
# (blanking a required id is V1, covered elsewhere; keys and Order IDs stay readable here)
# an example: for each fuzzed column, (row offset, index into its pool); small ints keep reports short
EXAMPLES = st.tuples(*[st.tuples(st.integers(0, ROWS[tab] - 1), st.integers(0, len(_pool(c)) - 1)) for tab, c in FUZZED])


def _sheet(wb, title):
    return wb[title] if title in wb.sheetnames else wb[shipped_schemas()[next(
        s for s in SHIPPED if shipped_schemas()[s].tab == title)].aliases[0]]


def _every_value(test):
    """Explicit examples in which, together, every hostile value appears at least once."""
    widest = max(len(_pool(c)) for _tab, c in FUZZED)
    for k in range(widest):
        test = example(choice=tuple(((k + j) % ROWS[tab], k % len(_pool(c))) for j, (tab, c) in enumerate(FUZZED)))(test)
    return test


@settings(max_examples=3, derandomize=True, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choice=EXAMPLES)
@_every_value
def test_hostile_values_in_every_people_column(tmp_path_factory, capsys, choice):
    cells = [(tab, c, 2 + r, _pool(c)[i]) for (tab, c), (r, i) in zip(FUZZED, choice)]
    path = small_workbook(tmp_path_factory.mktemp("fuzz") / "ops.xlsx")
    wb = openpyxl.load_workbook(path)
    bad_at: dict[tuple[str, int], list[str]] = {}
    written = {}
    for tab, c, row, value in cells:
        ws = _sheet(wb, tab)
        col = [x.value for x in ws[1]].index(c.header) + 1
        cell = ws.cell(row=row, column=col)
        cell.value = value
        cell.data_type = "s"  # as typed text, never a formula (formulas in inputs are the workbook part)
        written[(tab, row, col)] = value
        if c.type in HOSTILE:
            bad_at.setdefault((tab, row), []).append(f"{tab}!{cell.column_letter}{row}")
    wb.save(path)
    wb = openpyxl.load_workbook(path)  # as people see them (an xlsx stores a line break as \n)
    written = {(tab, row, col): _sheet(wb, tab).cell(row=row, column=col).value for tab, row, col in written}

    code = main(["run", "--workbook", str(path), "--now", NOW.isoformat()])
    out = capsys.readouterr()
    assert code == 0, out.err
    logs = out.out + out.err
    for _tab, _c, _row, value in cells:
        if len(value.strip()) >= 4:
            assert value not in logs, f"a cell value reached the output: {value[:20]!r}"

    wb = openpyxl.load_workbook(path)
    for (tab, row, col), value in written.items():
        assert _sheet(wb, tab).cell(row=row, column=col).value == value, "a people's cell was changed"
    for tab, n in ROWS.items():
        ws = _sheet(wb, tab)
        head = [x.value for x in ws[1]]
        checked = head.index("Checked at") + 1
        note_col = head.index("Next action") + 1 if "Next action" in head else head.index("Alert") + 1
        for row in range(2, n + 2):
            assert ws.cell(row=row, column=checked).value, f"{tab} row {row} was not evaluated"
            note = ws.cell(row=row, column=note_col).value or ""
            for address in bad_at.get((tab, row), []):
                assert address in note, f"{address} is not named in {tab} row {row}: {note[:300]!r}"
