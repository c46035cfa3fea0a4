"""A whole run against Google Sheets, through real gspread and the fake Sheets API.

The cost of a run does not grow with the sheet (DEVELOPERS.md non-negotiable 5): one
read (tab metadata + values: 2 calls), one re-read, one values write per 2 MB and one
verification read, plus one layout write the first time only; a run that changes nothing costs the read and writes nothing.
"""
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.config import Config, SpreadsheetConfig
from sheets_automation.demo import sample_rows
from sheets_automation.runner import run_once
from sheets_automation.schema import shipped_schemas
from tests.fakes.sheets_api import FakeSheetsAPI

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SHEET = SpreadsheetConfig(name="client-a", spreadsheet_id="sheet-a")
CONFIG = Config(backend="google", spreadsheets=(SHEET,))


def tabs_with(cases_count: int) -> dict[str, list[list]]:
    rows = sample_rows(NOW)
    tabs = {}
    for stem in ("cases", "logistics", "cashback", "reships"):
        schema = shipped_schemas()[stem]
        data = rows[stem]
        if stem == "cases":
            data = [dict(data[i % len(data)], case_id=f"CS-{i + 1:05d}", order_id=f"#{i}") for i in range(cases_count)]
        tabs[schema.tab] = [list(schema.headers)] + [[r.get(f, "") for f in schema.fields] for r in data]
    tabs["Weekly report"] = []
    return tabs


def run(api, sid="sheet-a", sheet=SHEET, config=CONFIG):
    backend = open_google_backend(sid, session=api.session(), sleep=lambda s: None)
    return run_once(backend, config, sheet, ["tracking", "rules", "messages"], NOW)


@pytest.mark.parametrize("rows", [10, 2000])
def test_calls_per_run_do_not_grow_with_rows(rows):
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", tabs_with(rows), row_count=rows + 500)
    first = run(api)
    assert first.applied is not None and first.applied.written > 0
    # 2 read + 1 re-read + 1 verification read + 1 values write per 2 MB + 1 layout write
    # (state tab, alert rules: first run only)
    assert (len(api.reads), len(api.writes)) == (4, 2 + (rows > 1000))
    api.calls.clear()
    for _ in range(3):  # rows created by the first run get evaluated, then it settles
        run(api)
    api.calls.clear()
    settled = run(api)
    assert not settled.plan and settled.applied is None
    assert (len(api.reads), len(api.writes)) == (2, 0)


def test_the_check_after_a_write_reads_headers_keys_and_new_rows_not_the_whole_tabs():
    """#15: proving where a write landed needs the header row, the key column and the rows
    appended; the messages just written are not downloaded again. A tab whose rows this write
    gave IDs is read whole in the same request (only all of it tells whether rows moved)."""
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", tabs_with(2000), row_count=2500)
    first = run(api)
    assert first.applied.written > 2000 and first.applied.repaired == 0
    gets = [(url, size) for (method, url, _body), size in zip(api.requests, api.reply_raw_sizes)
            if method == "GET" and "values:batchGet" in url]
    assert len(gets) == 3  # the read, the re-read, the check
    check, check_bytes = gets[-1]
    ranges = parse_qs(urlsplit(check).query)["ranges"]
    assert "'Cases'!1:1" in ranges and "'Cases'!A2:A2001" in ranges and "'Cases'" not in ranges
    assert "'Cashback'" in ranges  # its new Cashback IDs: read whole
    api.reply_raw_sizes.clear()
    open_google_backend("sheet-a", session=api.session(), sleep=lambda s: None).read()
    whole = api.reply_raw_sizes[-1]  # every tab as the write left it
    assert check_bytes < whole / 5, (check_bytes, whole)


def test_text_from_customers_is_written_raw_never_as_formula():
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", tabs_with(30))
    run(api)
    bodies = [r for r in api.requests if r[0] == "POST" and "values:batchUpdate" in r[1]]
    assert bodies and all(b[2]["valueInputOption"] == "RAW" for b in bodies)


def test_a_job_for_client_a_never_touches_client_b():
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", tabs_with(20))
    api.add_spreadsheet("sheet-b", "Client B", "Asia/Shanghai", tabs_with(20))
    before = {t: api.grid("sheet-b", t) for t in ("Cases", "Logistics")}
    run(api)
    assert all("sheet-b" not in r[1] for r in api.requests)
    assert {t: api.grid("sheet-b", t) for t in ("Cases", "Logistics")} == before


def test_spreadsheet_time_zone_drives_the_windows():
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "Client A", "America/New_York", tabs_with(20))
    result = run(api)
    assert result.applied is not None
    due = [w.new for w in result.plan.cells if w.header == "Window" and "until" in w.new]
    assert due and all("America/New_York" in d for d in due)
