"""Table-driven checks at the workbook backend's boundaries: the fast reader's cell text
(same as openpyxl's), merged-range lookup, report tab choice, idempotent appends."""
import json
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest

from sheets_automation.backends.base import STATE_TAB, CellWrite, Grid, ReportTab, RowAppend, RowRef, Snapshot, WritePlan
from sheets_automation.backends.placement import place
from sheets_automation.backends.workbook import not_yet_appended
from sheets_automation.backends.workbook_read import cell_text, read_grids
from sheets_automation.report_tabs import report_target
from sheets_automation.schema import shipped_schemas
from sheets_automation.state import StateTab


@pytest.mark.parametrize("value, text", [
    (None, ""), ("", ""), ("  pad ", "  pad "), (True, "TRUE"), (False, "FALSE"),
    (1.0, "1"), (2.5, "2.5"), (-0.0, "0"), (1e20, "1e+20"), (0.1 + 0.2, "0.30000000000000004"),
    (datetime(2025, 3, 1, 14, 0), "2025-03-01 14:00"), (datetime(2025, 3, 1, 14, 0, 5), "2025-03-01 14:00:05"),
    (datetime(2025, 3, 1, 14, 0, 0, 400), "2025-03-01 14:00"),  # below a millisecond: openpyxl rounds it away
    (date(2025, 3, 1), "2025-03-01 00:00"), (time(9, 30), "09:30"), (timedelta(hours=5), "5:00:00"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_fast_read_matches_the_openpyxl_read_cell_for_cell(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "T"
    values = [1, 2.5, 1e20, -0.0, datetime(2025, 3, 1, 14, 0), datetime(2025, 3, 1, 14, 0, 5), date(2025, 3, 1),
              time(9, 30), True, False, "x", "=1+2", "  pad ", 0.1 + 0.2, 3.0, "年月日 2520年11月20日"]
    for i, v in enumerate(values, start=3):
        ws.cell(row=i, column=2, value=v)
    ws.cell(row=2, column=4, value=45000).number_format = "yyyy-mm-dd"
    ws.cell(row=3, column=4, value=45000.5).number_format = "[$-409]d-mmm-yy h:mm"
    ws.cell(row=1_048_576, column=1).fill = openpyxl.styles.PatternFill("solid", start_color="FF0000")
    ws.merge_cells("F2:F4")
    wb.create_sheet("Hidden").sheet_state = "hidden"
    wb.save(path)
    old = openpyxl.load_workbook(path, read_only=True, data_only=True)
    expected = [tuple(cell_text(v) for v in r) for r in old["T"].iter_rows(max_row=40, values_only=True)]
    old.close()
    grids = read_grids(path)
    assert list(grids) == ["T", "Hidden"] and grids["Hidden"].hidden and not grids["T"].hidden
    assert len(grids["T"].rows) == len(values) + 2, "bounded by the last row with data, not row 1,048,576"
    for r, row in enumerate(expected, start=1):
        for c, text in enumerate(row, start=1):
            assert grids["T"].cell(r, c) == text, (r, c)
    assert grids["T"].merged == ((2, 6, 4, 6),)


def _grid(merged):
    rows = (("Case ID", "Alert"),) + tuple((f"CS-{i}", "") for i in range(2, 8))
    return {"Cases": Grid("Cases", rows, merged=merged)}


@pytest.mark.parametrize("merged, row, skipped", [
    ((), 3, False),
    (((3, 2, 5, 2),), 3, True), (((3, 2, 5, 2),), 5, True), (((3, 2, 5, 2),), 6, False), (((3, 2, 5, 2),), 2, False),
    (((3, 1, 3, 1),), 3, False),  # another column
    (((2, 1, 7, 3),), 4, True),  # a block over several columns
    (((2, 2, 2, 2), (4, 2, 4, 2)), 3, False), (((2, 2, 2, 2), (4, 2, 4, 2)), 4, True),
])
def test_writes_into_merged_ranges_are_skipped_naming_the_range(merged, row, skipped):
    plan = WritePlan(cells=[CellWrite("Cases", RowRef("Case ID", f"CS-{row}", row), "Alert", "", "Overdue")])
    placed = place(plan, _grid(merged))
    assert bool(placed.skipped) == skipped
    if skipped:
        assert "unmerge Cases!" in placed.skipped[0] and placed.skipped[0].startswith(f"Cases CS-{row} Alert:")
    else:
        assert placed.cells["Cases"] == [(row, 2, "Overdue", None)]


REPORT = ReportTab("Weekly report", (("Weekly after-service self-check (policy R1-R4)",), ("Week", "x")))
MARK = {"report": "weekly_report"}


@pytest.mark.parametrize("tabs, marks, title, mark, note", [
    ({}, {}, "Weekly report", True, False),  # missing: created under its name
    ({"Weekly report": ()}, {}, "Weekly report", True, False),  # empty (made by init)
    ({"周报": (("Weekly after-service self-check (policy R1-R4)",), ("old",))}, {}, "周报", True, False),  # ours, unmarked
    ({"Weekly report": (("Team notes",),)}, {}, "Weekly report (automation)", True, True),
    ({"Weekly report": (("Team notes",),), "Weekly report (automation)": (("x",),)}, {},
     "Weekly report (automation 2)", True, True),
    ({"Weekly report": (("Team notes",),), "Mine": (("x",),)}, {"report/Mine": MARK}, "Mine", False, False),
    ({"Weekly report": (("Team notes",),)}, {"report/Weekly report": MARK}, "Weekly report", False, False),
    ({"Weekly report": (("Team notes",),)}, {"report/Weekly report": {"report": "other"}},
     "Weekly report (automation)", True, True),
])
def test_report_target(tabs, marks, title, mark, note):
    snapshot = Snapshot({t: Grid(t, rows) for t, rows in tabs.items()})
    state = StateTab(exists=True, raw={k: (i, json.dumps(v)) for i, (k, v) in enumerate(marks.items(), 2)})
    target = report_target("weekly_report", shipped_schemas()["weekly_report"], REPORT, snapshot, state)
    assert (target.title, target.mark, bool(target.note)) == (title, mark, note)


def test_an_append_already_in_the_tab_is_not_added_again():
    grids = {STATE_TAB: Grid(STATE_TAB, (("Row key", "Fingerprints"), ("Cases/CS-1", "{}"))),
             "Logistics": Grid("Logistics", (("Tracking number", "Case ID"),))}
    appends = [RowAppend(STATE_TAB, (("Row key", "Cases/CS-1"), ("Fingerprints", "{}"))),  # landed already
               RowAppend(STATE_TAB, (("Row key", "Cases/CS-1"), ("Fingerprints", '{"a":"1"}'))),  # differs
               RowAppend(STATE_TAB, (("Row key", "Cases/CS-2"), ("Fingerprints", "{}"))),
               RowAppend("Logistics", (("Tracking number", "LX1"), ("Case ID", "CS-1"))),
               RowAppend("New tab", (("A", "1"),))]
    assert not_yet_appended(WritePlan(appends=appends), grids) == appends[1:]


def test_rich_text_is_detected_only_where_there_is_some(tmp_path):
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from sheets_automation.backends.workbook_read import has_rich_text

    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["<r>looks like a run", "row", 1])
    wb.save(plain)
    rich = tmp_path / "rich.xlsx"
    wb.active["B2"] = CellRichText("a ", TextBlock(InlineFont(b=True), "bold"), " word")
    wb.save(rich)
    assert (has_rich_text(plain), has_rich_text(rich)) == (False, True)
