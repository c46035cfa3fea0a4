"""Regressions: product bugs the reliability suite found, each pinned by the test that found it.

- parse findings on the Logistics tab were dropped (now cited in Next action: jobs/shared.fold_parse_issues);
- on tabs without a Next action column, a more urgent alert hid bad-input notes (now named in the Alert);
- a new workbook whose only sheet was the hidden state tab could not be saved.
"""
from __future__ import annotations

import gc
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sheets_automation.backends.base import Grid
from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.backends.workbook import WorkbookBackend
from sheets_automation.config import Config, SpreadsheetConfig
from sheets_automation.demo import sample_rows
from sheets_automation.errors import SheetsAutomationError
from sheets_automation.runner import run_once
from sheets_automation.schema import shipped_schemas
from sheets_automation.table import typed_tab
from tests.fakes.sheets_api import FakeSheetsAPI

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TZ = "Asia/Shanghai"
SID = "sheet-found"
SHEET = SpreadsheetConfig(name="found", spreadsheet_id=SID)
CONFIG = Config(backend="google", spreadsheets=(SHEET,))
SCHEMAS = shipped_schemas()


def tabs() -> dict[str, list[list[str]]]:
    rows = sample_rows(NOW)
    out = {}
    for stem, n in (("cases", 6), ("logistics", 4), ("cashback", 4), ("reships", 3)):
        schema = SCHEMAS[stem]
        out[schema.tab] = [list(schema.headers)] + [[r.get(f, "") for f in schema.fields] for r in rows[stem][:n]]
    return out


def planned_with(stem: str, field: str, row: int, value: str, jobs: list[str]) -> tuple[dict[str, str], list]:
    """Dry run with ``value`` typed into ``field`` on sheet row ``row``: (that row's planned
    bot cells by header, the parser's Issues for the tab)."""
    data = tabs()
    schema = SCHEMAS[stem]
    data[schema.tab][row - 1][schema.fields.index(field)] = value
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, "Found", TZ, data, row_count=20)
    result = run_once(open_google_backend(SID, session=api.session(), sleep=lambda s: None), CONFIG, SHEET, jobs, NOW,
                      dry_run=True)
    issues = typed_tab(Grid(schema.tab, tuple(map(tuple, data[schema.tab]))), schema, TZ).issues
    return {w.header: w.new for w in result.plan.cells if w.tab == schema.tab and w.ref.row == row}, issues


@pytest.mark.parametrize("field, value, code", [
    ("shipped_at", "next tuesday", "V2-bad-date"),
    ("destination_country", "Narnia", "V6-unknown-country"),
    ("declared_value", "about ten", "V5-bad-number"),
    ("declared_currency", "XYZ", "V5-unknown-currency"),
    ("weight_kg", "heavy", "V5-bad-number"),
    ("service", "teleport", "V1-unknown-choice"),
])
def test_a_bad_cell_on_the_logistics_tab_is_noted_in_its_next_action(field, value, code):
    """Every bad cell gets a specific note (policy V1, V2, V5, V6), on Logistics as on Cases."""
    cells, issues = planned_with("logistics", field, 2, value, ["tracking"])
    mine = [i for i in issues if i.code == code]
    assert mine, "the parser itself flags the cell"
    assert f"{code} {mine[0].cell}" in cells.get("Next action", ""), cells.get("Next action")


def test_a_bad_cell_on_an_overdue_cashback_row_is_still_visible():
    """Cashback has no Next action column, so its Alert is the only place a bad-input note
    can show; an Overdue finding on the same row hides it completely."""
    cells, issues = planned_with("cashback", "currency", 3, "XYZ", ["rules"])
    assert any(i.code == "V5-unknown-currency" for i in issues)
    assert "V5" in cells.get("Alert", "") or "Currency" in cells.get("Alert", ""), cells.get("Alert")


def test_init_on_a_new_workbook_with_no_tabs_to_create_raises_a_one_line_error_not_a_crash(tmp_path):
    """``init_layout([])`` on a new file tries to save a workbook whose only sheet is the
    hidden state tab: openpyxl raises ValueError instead of a SheetsAutomationError."""
    backend = WorkbookBackend(tmp_path / "new.xlsx")
    try:
        backend.init_layout([])
    except SheetsAutomationError:
        return
    assert (tmp_path / "new.xlsx").exists()


def test_a_run_leaves_the_garbage_collector_as_it_found_it():
    """A run holds young collections back while it works and hands what it leaves to the
    oldest generation (runner._fewer_collections); afterwards the thresholds are the
    caller's again, nothing stays frozen, and objects the caller froze itself (gc.freeze,
    as before forking workers) are not thawed by the run."""
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, "Found", TZ, tabs(), row_count=20)
    before = gc.get_threshold()
    gc.freeze()
    frozen = gc.get_freeze_count()
    try:
        run_once(open_google_backend(SID, session=api.session(), sleep=lambda s: None), CONFIG, SHEET, ["rules"], NOW)
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() > frozen * 0.9, "the caller's frozen objects were thawed"  # (a few die)
    finally:
        gc.unfreeze()
    result = run_once(open_google_backend(SID, session=api.session(), sleep=lambda s: None), CONFIG, SHEET,
                      ["rules", "messages"], NOW)
    assert result.applied is not None and result.applied.written, "a run that writes"
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
