"""The sheet as a person sees it (issue #14): widths, wrapped long text, frozen header row and
a filter on every tab, Alert beside the key in tabs the automation creates (people's columns
never moved), a chart with straight lines over every category, one spelling per carrier,
and the detected carrier shown without touching the people's Carrier column."""
from __future__ import annotations

import json

import openpyxl
import pytest

from sheets_automation.appearance import (LINE_POINTS, MAX_LINES, column_width, creation_order, display_length,
                                          row_height, wrapped_lines)
from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.backends.gsheets_requests import PIXEL_PAD, PIXELS_PER_CHAR
from sheets_automation.cli import main
from sheets_automation.schema import SHIPPED, Column, shipped_schemas
from sheets_automation.tracking.carriers import canonical_carrier
from tests.fakes.sheets_api import FakeSheetsAPI

NOW = "2025-03-09T10:00+08:00"
DATA_TABS = ("Cases", "Logistics", "返现", "Reships")


# --------------------------------------------------------------------------- pure boundaries


@pytest.mark.parametrize("column, width", [
    (Column("paid_at", "Paid at", "timestamp", "client"), 17),
    (Column("amount", "Order amount", "number", "client"), 15),  # the header is longer than a number
    (Column("status", "Status", "enum", "support", values=("new", "waiting_supplier")), 18),
    (Column("alert", "Alert", "text", "bot", width=28), 28),
    (Column("msg", "客户话术", "text", "bot"), 18),
    (Column("huge", "H", "text", "bot", width=100), 60),  # capped
])
def test_column_width_fits_typical_content_and_header(column, width):
    assert column_width(column) == width


@pytest.mark.parametrize("text, width, lines", [
    ("", 20, 1), ("short", 20, 1), ("x" * 19, 20, 1), ("x" * 20, 20, 2), ("a\nb\nc", 20, 3),
    ("你好" * 9, 20, 2), ("你好" * 10, 20, 3),  # wide characters take two places
])
def test_wrapped_lines(text, width, lines):
    assert wrapped_lines(text, width) == lines


@pytest.mark.parametrize("cells, height", [
    ([("one line", 30)], None),
    ([("one line", 30), ("a\nb", 30)], 2 * LINE_POINTS),
    ([("\n" * 40, 30)], MAX_LINES * LINE_POINTS),
])
def test_row_height_grows_with_wrapped_text_up_to_a_cap(cells, height):
    assert row_height(cells) == height


@pytest.mark.parametrize("stem", [s for s in SHIPPED if s != "weekly_report"])
def test_created_tabs_put_alert_right_after_the_key(stem):
    schema = shipped_schemas()[stem]
    order = creation_order(schema)
    assert [c.field for c in order[:2]] == [schema.key, "alert"]
    assert sorted(c.field for c in order) == sorted(schema.fields)


@pytest.mark.parametrize("typed, shown", [
    ("EMS", "China EMS"), ("China EMS", "China EMS"), ("china  ems ", "China EMS"), ("中国邮政", "China Post"),
    ("CHINA POST", "China Post"), ("yun express", "YunExpress"), ("Yanwen", "Yanwen"), ("", ""),
])
def test_carrier_names_have_one_spelling(typed, shown):
    assert canonical_carrier(typed) == shown


def test_display_length_counts_wide_characters_twice():
    assert (display_length("Alert"), display_length("提醒")) == (5, 4)


# --------------------------------------------------------------------------- the demo workbook


@pytest.fixture(scope="module")
def demo_book(demo_master):
    return openpyxl.load_workbook(demo_master)


def _headers(ws):
    return [c.value for c in ws[1]]


@pytest.mark.parametrize("tab", DATA_TABS)
def test_every_demo_tab_has_frozen_header_filter_and_fitting_widths(demo_book, tab):
    ws = demo_book[tab]
    headers = _headers(ws)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(headers))}{ws.max_row}"
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i in range(1, len(headers) + 1)]
    assert all(w >= display_length(h) + 2 for w, h in zip(widths, headers)), list(zip(headers, widths))
    alert = headers.index("Alert" if tab != "返现" else "提醒")
    assert alert == 1, "the Alert column sits beside the key"
    lengths = sorted(len(ws.cell(row=r, column=alert + 1).value or "") for r in range(2, ws.max_row + 1))
    assert lengths[len(lengths) * 9 // 10] <= widths[alert], "typical alerts fit on one line"
    assert ws.cell(row=2, column=alert + 1).alignment.wrap_text, "the rare long alert wraps rather than being cut"


@pytest.mark.parametrize("tab, header", [("Cases", "Next action"), ("Cases", "Customer message"),
                                         ("Cases", "Details"), ("Logistics", "Next action")])
def test_long_text_is_wrapped_top_aligned_and_its_rows_are_tall_enough(demo_book, tab, header):
    ws = demo_book[tab]
    col = _headers(ws).index(header) + 1
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width
    checked = 0
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(row=r, column=col)
        if not cell.value:
            continue
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top", cell.coordinate
        need = min(wrapped_lines(cell.value, width), MAX_LINES)
        assert (ws.row_dimensions[r].height or LINE_POINTS) >= need * LINE_POINTS, cell.coordinate
        checked += 1
    assert checked > 5


def test_report_chart_draws_straight_lines_for_every_category_and_total(demo_book):
    ws = demo_book["Weekly report"]
    (chart,) = ws._charts
    names = [s.tx.strRef.f for s in chart.series]
    assert names == [f"'Weekly report'!{c}4" for c in "BCDEF"]  # Shipping … Other, Total
    assert [ws[f"{c}4"].value for c in "BCDEF"] == ["Shipping", "Quality", "Warehouse", "Other", "Total"]
    assert not any(s.smooth for s in chart.series)


def test_report_counts_each_carrier_under_one_name(demo_book):
    ws = demo_book["Weekly report"]
    rows = [[c.value for c in r] for r in ws.iter_rows(max_col=2)]
    start = next(i for i, r in enumerate(rows) if str(r[0]).startswith("R4 top carriers"))
    carriers = [r[0] for r in rows[start + 1:] if r[0]][:5]
    carriers = carriers[:next((i for i, c in enumerate(carriers) if c.startswith("R4")), len(carriers))]
    assert "China EMS" in carriers and "EMS" not in carriers


def test_detected_carrier_is_shown_in_next_action_not_in_the_carrier_column(demo_book):
    ws = demo_book["Logistics"]
    h = _headers(ws)
    rows = [dict(zip(h, (c.value for c in r))) for r in ws.iter_rows(min_row=2)]
    blank = [r for r in rows if not r["Carrier"] and r["Tracking number"]]
    assert blank, "the demo has parcels without a carrier"
    assert all(r["Carrier"] is None for r in blank)
    shown = [r for r in blank if "(detected)" in (r["Next action"] or "")]
    assert len(shown) >= len(blank) * 0.8
    assert any("Carrier: China Post (detected)" in r["Next action"] for r in shown)
    typed = [r for r in rows if r["Carrier"]]
    assert not any("(detected)" in (r["Next action"] or "") for r in typed)


# --------------------------------------------------------------------------- people's tabs


def test_init_on_a_peoples_workbook_adds_frozen_header_and_filter_but_moves_nothing(tmp_path):
    path = tmp_path / "ours.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Cases"
    theirs = list(reversed(shipped_schemas()["cases"].headers))  # their own order: Alert far right of the key
    ws.append(theirs)
    ws.append({theirs.index("Order ID") + 1: "#1", theirs.index("Paid at") + 1: "2025-03-01 10:00"})
    ws.column_dimensions["A"].width = 7
    wb.save(path)
    assert main(["init", "--workbook", str(path)]) == 0
    assert main(["run", "rules", "--workbook", str(path), "--now", NOW, "-q"]) == 0
    ws = openpyxl.load_workbook(path)["Cases"]
    assert _headers(ws) == theirs
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    assert ws.column_dimensions["A"].width == 7
    assert ws.cell(row=2, column=theirs.index("Alert") + 1).value


# --------------------------------------------------------------------------- Google Sheets


def test_google_init_lays_out_created_tabs_and_adds_a_filter_to_peoples_tabs():
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai",
                        {"售后": [["订单号", "付款时间", "工单号", "提醒"], ["#1", "2025-03-01 10:00", "", ""]]})
    backend = open_google_backend("sheet-a", session=api.session(), sleep=lambda s: None)
    schemas = [shipped_schemas()[s] for s in SHIPPED]
    lines = backend.init_layout(schemas)
    book = api.spreadsheets["sheet-a"]
    people = book.by_title("售后")
    assert api.grid("sheet-a", "售后")[0] == ["订单号", "付款时间", "工单号", "提醒"]  # never reordered
    assert people.basic_filter is not None and people.column_pixels == {} and "added a filter on 售后" in lines

    logistics = book.by_title("Logistics")
    header = api.grid("sheet-a", "Logistics")[0]
    assert header[:2] == ["Tracking number", "Alert"]
    assert logistics.frozen_rows == 1 and logistics.basic_filter is not None
    assert logistics.peek(0, 0)["fmt"]["textFormat"]["bold"] is True
    schema = shipped_schemas()["logistics"]
    for i, h in enumerate(header):
        column = next(c for c in schema.columns if c.header == h)
        assert logistics.column_pixels[i] == column_width(column) * PIXELS_PER_CHAR + PIXEL_PAD
        fmt = logistics.peek(5, i).get("fmt", {})
        assert fmt.get("verticalAlignment") == "TOP"
        assert (fmt.get("wrapStrategy") == "WRAP") == column.wrap, h

    api.calls.clear()
    assert backend.init_layout(schemas) == [] and api.writes == []  # idempotent


def test_google_apply_creates_the_demo_tabs_laid_out_in_one_layout_write():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sheets_automation.demo import sample_plan

    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", {"Sheet1": []})
    backend = open_google_backend("sheet-a", session=api.session(), sleep=lambda s: None)
    backend.read()
    plan = sample_plan(datetime(2025, 3, 9, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    result = backend.apply(plan)
    assert result.appended == len(plan.appends)
    book = api.spreadsheets["sheet-a"]
    for title in ("Cases", "Logistics", "返现", "Reships"):
        tab = book.by_title(title)
        assert tab.frozen_rows == 1 and tab.basic_filter is not None and tab.column_pixels, title
        assert api.grid("sheet-a", title)[0][1] in ("Alert", "提醒")
    writes = [body for method, url, body in api.requests
              if method == "POST" and url.endswith(":batchUpdate") and "/values:" not in url]
    assert len(writes) == 1 and len(json.dumps(writes[0]).encode()) < 2 * 1024 * 1024


def test_a_row_a_person_made_taller_stays_as_tall(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    wb["Cases"].row_dimensions[2].height = 200
    wb.save(demo_copy)
    assert main(["run", "--workbook", str(demo_copy), "--now", "2025-04-01T10:00+08:00", "-q"]) == 0
    ws = openpyxl.load_workbook(demo_copy)["Cases"]
    assert ws.row_dimensions[2].height == 200
    assert any((ws.row_dimensions[r].height or 0) > LINE_POINTS for r in range(3, 30)), "other rows still fit their text"
