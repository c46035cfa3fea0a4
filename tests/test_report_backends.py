"""The report job end to end: written whole, only when it changed, with its chart added once,
on a workbook (openpyxl chart) and on Google Sheets (native chart, through the fake API)."""
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.backends.workbook import WorkbookBackend
from sheets_automation.config import Config, SpreadsheetConfig, workbook_config
from sheets_automation.demo import sample_rows
from sheets_automation.runner import run_once
from sheets_automation.schema import shipped_schemas
from tests.fakes.sheets_api import FakeSheetsAPI, bad_request
from tests.test_scheduler import NOW, small_workbook

NEXT_WEEK = NOW + timedelta(days=7)


def run_report(path, now):
    config = workbook_config(path)
    return run_once(WorkbookBackend(path), config, config.spreadsheets[0], ["report"], now)


def test_workbook_report_is_written_whole_with_one_chart(tmp_path):
    path = small_workbook(tmp_path / "ops.xlsx")
    first = run_report(path, NOW)
    assert [r.title for r in first.plan.reports] == ["Weekly report"]
    ws = load_workbook(path)["Weekly report"]
    assert [c.value for c in ws[4]][:6] == ["Week starting", "Shipping", "Quality", "Warehouse", "Other", "Total"]
    assert all(isinstance(ws.cell(row=r, column=6).value, int) for r in range(5, 17))  # numbers stay numbers
    assert len(ws._charts) == 1
    again = run_report(path, NOW)
    assert not again.plan and again.applied is None  # no change: nothing written


def test_workbook_report_rewrite_clears_old_content_and_keeps_one_chart(tmp_path):
    path = small_workbook(tmp_path / "ops.xlsx")
    run_report(path, NOW)
    wb = load_workbook(path)
    wb["Weekly report"]["A200"] = "stale note"
    wb.save(path)
    later = run_report(path, NEXT_WEEK)
    assert later.plan.reports and later.applied is not None
    ws = load_workbook(path)["Weekly report"]
    assert ws["A200"].value is None
    assert len(ws._charts) == 1
    assert ws["B2"].value.startswith((NEXT_WEEK.date() - timedelta(days=NEXT_WEEK.weekday() + 7)).isoformat())


def test_workbook_report_goes_to_the_tab_under_its_chinese_name(tmp_path):
    path = small_workbook(tmp_path / "ops.xlsx")
    wb = load_workbook(path)
    wb["Weekly report"].title = "周报"
    wb.save(path)
    run_report(path, NOW)
    wb = load_workbook(path)
    assert "Weekly report" not in wb.sheetnames and wb["周报"]["A4"].value == "Week starting"


class ChartingSheetsAPI(FakeSheetsAPI):
    """The fake API plus ``addChart`` (the shared fake does not serve charts yet): charts are
    kept per tab and returned under ``sheets.charts`` when the field mask asks for them."""

    def _req_addChart(self, book, req):
        chart = req.get("chart") or {}
        anchor = (((chart.get("position") or {}).get("overlayPosition") or {}).get("anchorCell") or {})
        sheet = book.by_id(anchor.get("sheetId"))
        spec = (chart.get("spec") or {}).get("basicChart") or {}
        for s in spec.get("series") or []:
            for src in s["series"]["sourceRange"]["sources"]:
                if src["sheetId"] != sheet.sheet_id:
                    raise bad_request("chart series on another sheet")
        charts = book.__dict__.setdefault("charts", {})
        chart_id = sum(len(v) for v in charts.values()) + 1
        charts.setdefault(sheet.sheet_id, []).append({"chartId": chart_id, "spec": chart.get("spec")})
        return {"addChart": {"chart": {"chartId": chart_id}}}

    def _get(self, book, query):
        reply = super()._get(book, query)
        if "charts" in (query.get("fields") or [""])[-1]:
            charts = book.__dict__.get("charts", {})
            for sheet in reply.get("sheets") or []:
                mine = charts.get(sheet["properties"]["sheetId"])
                if mine:
                    sheet["charts"] = [{"chartId": c["chartId"]} for c in mine]
        return reply


def google_tabs():
    rows = sample_rows(NOW)
    tabs = {}
    for stem in ("cases", "logistics"):
        schema = shipped_schemas()[stem]
        tabs[schema.tab] = [list(schema.headers)] + [[r.get(f, "") for f in schema.fields] for r in rows[stem][:30]]
    tabs["Weekly report"] = []
    return tabs


def google_run(api, now):
    sheet = SpreadsheetConfig(name="client-a", spreadsheet_id="sheet-a")
    backend = open_google_backend("sheet-a", session=api.session(), sleep=lambda s: None)
    return run_once(backend, Config(backend="google", spreadsheets=(sheet,)), sheet, ["report"], now)


def add_chart_requests(api):
    return [r for m, url, body in api.requests if m == "POST" and url.endswith(":batchUpdate") and body
            for r in body.get("requests", []) if "addChart" in r]


def test_google_report_adds_a_native_chart_once():
    api = ChartingSheetsAPI()
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", google_tabs())
    first = google_run(api, NOW)
    assert first.applied is not None
    added = add_chart_requests(api)
    assert len(added) == 1
    spec = added[0]["addChart"]["chart"]["spec"]["basicChart"]
    assert spec["chartType"] == "LINE" and spec["lineSmoothing"] is False
    # every category Total counts, "Other" included, and Total itself (columns B-F)
    assert [s["series"]["sourceRange"]["sources"][0]["startColumnIndex"] for s in spec["series"]] == [1, 2, 3, 4, 5]
    grid = api.grid("sheet-a", "Weekly report")
    assert grid[3][:3] == ["Week starting", "Shipping", "Quality"]
    assert all(isinstance(v, (int, float)) for v in grid[15][1:6])  # RAW numbers, so the chart can plot them
    # 2 read (metadata, values) + 1 re-read + 1 batchUpdate (chart) + 1 values write
    assert (len(api.reads), len(api.writes)) == (3, 2)

    api.calls.clear()
    api.requests.clear()
    later = google_run(api, NEXT_WEEK)  # new week: the content changes, the chart is already there
    assert later.applied is not None and add_chart_requests(api) == []
    assert (len(api.reads), len(api.writes)) == (3, 1)
    assert sum(len(v) for v in api.spreadsheets["sheet-a"].__dict__["charts"].values()) == 1

    api.calls.clear()
    same = google_run(api, NEXT_WEEK)
    assert not same.plan and (len(api.reads), len(api.writes)) == (2, 0)


@pytest.mark.parametrize("extra_rows", [0, 40])
def test_google_report_rewrite_blanks_what_was_below(extra_rows):
    api = ChartingSheetsAPI()
    tabs = google_tabs()
    tabs["Weekly report"] = [["old"]] * (80 + extra_rows)  # an earlier report: the tab is marked as the automation's
    tabs["_automation"] = [["Row key", "Fingerprints"], ["report/Weekly report", '{"report": "weekly_report"}']]
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", tabs)
    google_run(api, NOW)
    grid = api.grid("sheet-a", "Weekly report")
    assert grid[0][0].startswith("Weekly after-service") and all(r[:1] != ["old"] for r in grid)
