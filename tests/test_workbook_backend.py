"""Workbook backend: keeps what it does not own, saves atomically, refuses a locked file."""
import os

import openpyxl
import pytest
from openpyxl.styles import Font

from sheets_automation.backends.base import CellWrite, RowRef, WritePlan
from sheets_automation.backends.workbook import WorkbookBackend
from sheets_automation.errors import SpreadsheetAccessError
from sheets_automation.schema import SHIPPED, shipped_schemas

SCHEMAS = [shipped_schemas()[s] for s in SHIPPED]


def alert_write(key: str, new: str, old: str = "", colour: str | None = "red"):
    return CellWrite(tab="Cases", ref=RowRef("Case ID", key, 2), header="Alert", old=old, new=new, colour=colour)


@pytest.fixture
def book(tmp_path):
    path = tmp_path / "ops.xlsx"
    WorkbookBackend(path).init_layout(SCHEMAS)
    wb = openpyxl.load_workbook(path)
    ws = wb["Cases"]
    ws.append(["CS-00001", "", "#1001"])
    notes = wb.create_sheet("Notes")  # a tab people own
    notes["A1"] = "=SUM(1,2)"
    notes["B2"] = "keep me"
    notes["B2"].font = Font(bold=True, color="FF0000")
    notes.column_dimensions["B"].width = 42
    wb.save(path)
    return path


def test_init_creates_every_tab_and_is_idempotent(tmp_path):
    path = tmp_path / "new.xlsx"
    done = WorkbookBackend(path).init_layout(SCHEMAS)
    assert any("Cases" in d for d in done) and any("_automation" in d for d in done)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Cases", "Logistics", "Cashback", "Reships", "Weekly report", "_automation"]
    assert wb["Cases"].freeze_panes == "A2" and wb["_automation"].sheet_state == "hidden"
    assert [c.value for c in wb["Cases"][1]][:3] == ["Case ID", "Alert", "Opened at"]  # Alert beside the key
    assert any("not_received" in (dv.formula1 or "") for dv in wb["Cases"].data_validations.dataValidation)
    before = path.read_bytes()
    assert WorkbookBackend(path).init_layout(SCHEMAS) == []
    assert path.read_bytes() == before


def test_init_recognises_tabs_by_chinese_alias_and_never_touches_data(tmp_path):
    path = tmp_path / "zh.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "售后"
    wb.active.append(["工单号", "订单号"])
    wb.active.append(["CS-1", "#1"])
    wb.save(path)
    WorkbookBackend(path).init_layout(SCHEMAS)
    wb = openpyxl.load_workbook(path)
    assert "Cases" not in wb.sheetnames and [c.value for c in wb["售后"][2]] == ["CS-1", "#1"]


def test_apply_writes_owned_cell_with_fill_and_keeps_everything_else(book):
    result = WorkbookBackend(book).apply(WritePlan(cells=[alert_write("CS-00001", "Overdue · S1 first reply")]))
    assert result.written == 1 and not result.skipped
    wb = openpyxl.load_workbook(book)
    ws = wb["Cases"]
    alert_col = [c.value for c in ws[1]].index("Alert") + 1
    cell = ws.cell(row=2, column=alert_col)
    assert cell.value == "Overdue · S1 first reply" and cell.fill.start_color.rgb.endswith("F4C7C3")
    notes = wb["Notes"]
    assert notes["A1"].value == "=SUM(1,2)" and notes["B2"].font.bold and notes.column_dimensions["B"].width == 42


def test_formula_looking_text_is_stored_as_text(book):
    text = '=HYPERLINK("http://evil.example","x")'
    WorkbookBackend(book).apply(WritePlan(cells=[alert_write("CS-00001", text, colour=None)]))
    ws = openpyxl.load_workbook(book)["Cases"]
    cell = ws.cell(row=2, column=[c.value for c in ws[1]].index("Alert") + 1)
    assert cell.value == text and cell.data_type == "s"
    assert WorkbookBackend(book).read().grids["Cases"].rows[1][cell.column - 1] == text


@pytest.mark.parametrize("lock_name", ["~$ops.xlsx", ".~lock.ops.xlsx#"])
def test_locked_workbook_is_refused_and_left_unchanged(book, lock_name):
    (book.parent / lock_name).write_text("user", encoding="utf-8")
    before = book.read_bytes()
    with pytest.raises(SpreadsheetAccessError, match="close it and run again"):
        WorkbookBackend(book).apply(WritePlan(cells=[alert_write("CS-00001", "x")]))
    assert book.read_bytes() == before


def test_an_edit_made_meanwhile_wins(book):
    backend = WorkbookBackend(book)
    wb = openpyxl.load_workbook(book)
    ws = wb["Cases"]
    ws.cell(row=2, column=[c.value for c in ws[1]].index("Alert") + 1, value="Lily is on it")
    wb.save(book)
    result = backend.apply(WritePlan(cells=[alert_write("CS-00001", "Overdue · S1", old="")]))
    assert result.written == 0 and "someone edited" in result.skipped[0]


def test_empty_plan_does_not_touch_the_file(book):
    stamp = os.stat(book).st_mtime_ns
    assert WorkbookBackend(book).apply(WritePlan()).written == 0
    assert os.stat(book).st_mtime_ns == stamp


@pytest.mark.parametrize("content, message", [(None, "not found"), (b"not a zip", "cannot be read")])
def test_unreadable_workbook_names_the_problem(tmp_path, content, message):
    path = tmp_path / "x.xlsx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SpreadsheetAccessError, match=message):
        WorkbookBackend(path).read()


def test_no_temporary_files_are_left_behind(book):
    WorkbookBackend(book).apply(WritePlan(cells=[alert_write("CS-00001", "Overdue · S1")]))
    assert sorted(p.name for p in book.parent.iterdir()) == ["ops.xlsx"]
