"""The Google Sheets backend through real gspread against the in-memory Sheets API.

Budget: read = 2 calls (tab metadata, then values), apply = 3 calls (re-read + write +
verification read) whatever the row count, plus one write per 2 MB and one layout call when a
tab must grow; people's
edits made between read and apply win; quota errors are retried with recorded waits.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from gspread.utils import a1_range_to_grid_range
from hypothesis import given, settings
from hypothesis import strategies as st
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sheets_automation import colours
from sheets_automation.backends.base import (STATE_HEADERS, STATE_TAB, CellWrite, NewTab, RowAppend, RowRef,
                                             WritePlan)
from sheets_automation.backends.gsheets import GoogleSheetsBackend, open_google_backend, value_ranges
from sheets_automation.backends.gsheets_auth import load_credentials
from sheets_automation.backends.gsheets_http import backoff, cell_text
from sheets_automation.errors import ConfigError, CredentialsError, SpreadsheetAccessError
from sheets_automation.schema import SHIPPED, shipped_schemas
from tests.fakes.sheets_api import FakeSheetsAPI

SID = "1AbCdEfGhIjKlMnOp"
HEADER = ["Case ID", "Order ID", "Paid at", "Alert", "Customer message"]
SA_EMAIL = "bot@after-service.iam.gserviceaccount.com"


def cases(n: int) -> list[list]:
    return [HEADER] + [[f"CS-{i:05d}", f"00{i}", 45717.5 + i, "", ""] for i in range(1, n + 1)]


def backend_for(api: FakeSheetsAPI, **kw) -> GoogleSheetsBackend:
    kw.setdefault("sleep", lambda s: pytest.fail(f"unexpected sleep {s}"))
    return open_google_backend(SID, session=api.session(), **kw)


def fake(tabs: dict[str, list[list]] | None = None, **kw) -> FakeSheetsAPI:
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, "After-service", "Asia/Shanghai", tabs=tabs or {"Cases": cases(3)}, **kw)
    return api


def alert(key: str, row: int, new: str = "Overdue · S1 first reply", old: str = "", header: str = "Alert") -> CellWrite:
    return CellWrite("Cases", RowRef("Case ID", key, row), header, old, new,
                     colour=colours.colour_of(new) if header == "Alert" else None)


def column(api: FakeSheetsAPI, header: str, tab: str = "Cases") -> dict:
    """{Case ID: value of ``header``} as the sheet holds it now."""
    grid = api.grid(SID, tab)
    c, k = grid[0].index(header), grid[0].index("Case ID")
    return {r[k]: (r[c] if c < len(r) else "") for r in grid[1:] if r}


# --------------------------------------------------------------------------- cell text


@pytest.mark.parametrize("value, text", [
    ("00123", "00123"), ("", ""), (None, ""), (43831, "43831"), (43831.0, "43831"), (12.5, "12.5"),
    (45717.75, "45717.75"), (0.1, "0.1"), (-3.0, "-3"), (True, "TRUE"), (False, "FALSE"),
    ({"numberValue": 43831.0}, "43831"), ({"stringValue": "=HYPERLINK(\"x\")"}, "=HYPERLINK(\"x\")"),
    ({"boolValue": True}, "TRUE"), ({"errorValue": {"type": "N_A", "message": "x"}}, "#N/A"), ({}, ""),
])
def test_cell_text(value, text) -> None:
    assert cell_text(value) == text


def test_adjacent_cells_of_a_row_become_one_range() -> None:
    data = value_ranges({"Cases": [(2, 4, "a", None), (2, 5, "b", None), (2, 7, "c", None), (9, 1, "d", None)]})
    assert [(d["range"], d["values"]) for d in data] == [
        ("'Cases'!D2:E2", [["a", "b"]]), ("'Cases'!G2", [["c"]]), ("'Cases'!A9", [["d"]])]


@pytest.mark.parametrize("cells, ranges", [
    ([(2, 3, "a"), (3, 3, "b"), (4, 3, "c")], [("'Cases'!C2:C4", "COLUMNS", [["a", "b", "c"]])]),  # a column's run
    ([(2, 1, "a"), (2, 2, "b"), (3, 1, "c"), (3, 2, "d")], [("'Cases'!A2:B3", "COLUMNS", [["a", "c"], ["b", "d"]])]),
    ([(2, 1, "a"), (3, 1, "b"), (3, 2, "c")], [("'Cases'!A2:A3", "COLUMNS", [["a", "b"]]), ("'Cases'!B3", "ROWS", [["c"]])]),
    ([(5, 2, "old"), (5, 2, "new")], [("'Cases'!B5", "ROWS", [["new"]])]),  # a cell given twice: the last value
    ([(2, 1, "a"), (4, 1, "b")], [("'Cases'!A2", "ROWS", [["a"]]), ("'Cases'!A4", "ROWS", [["b"]])]),  # never a gap
])
def test_a_tabs_cells_go_as_rectangles_of_written_cells(cells, ranges) -> None:
    data = value_ranges({"Cases": [(r, c, v, None) for r, c, v in cells]})
    assert [(d["range"], d["majorDimension"], d["values"]) for d in data] == ranges


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 12), st.integers(1, 6), st.sampled_from(["x", "y", ""])), max_size=60))
def test_ranges_hold_exactly_the_cells_written_and_no_more_ranges_than_column_runs(cells) -> None:
    data = value_ranges({"T": [(r, c, v, None) for r, c, v in cells]})
    held: dict[tuple[int, int], str] = {}
    for d in data:
        box = a1_range_to_grid_range(d["range"].split("!")[1])
        rows = d["values"] if d["majorDimension"] == "ROWS" else [list(r) for r in zip(*d["values"])]
        assert len(rows) == box["endRowIndex"] - box["startRowIndex"]
        for i, row in enumerate(rows):
            assert len(row) == box["endColumnIndex"] - box["startColumnIndex"]
            for j, v in enumerate(row):
                cell = (box["startRowIndex"] + 1 + i, box["startColumnIndex"] + 1 + j)
                assert cell not in held, "two ranges write one cell"
                held[cell] = v
    assert held == {(r, c): v for r, c, v in cells}
    column_runs = len({(r, c) for r, c, _ in cells} - {(r + 1, c) for r, c, _ in cells})
    assert len(data) <= column_runs


# --------------------------------------------------------------------------- read


def test_read_is_metadata_then_values_and_keeps_serials_and_leading_zeros() -> None:
    api = fake({"Cases": cases(2) + [["CS-00009", "", True]], "Hidden": [["x"]]})
    api.sheet(SID, "Hidden").hidden = True
    snap = backend_for(api).read()
    assert [c[1].rsplit("/", 1)[-1] for c in api.calls] == [SID, "values:batchGet"]
    assert (snap.title, snap.timezone, list(snap.grids)) == ("After-service", "Asia/Shanghai", ["Cases", "Hidden"])
    assert snap.grids["Cases"].rows[1:] == (("CS-00001", "001", "45718.5"), ("CS-00002", "002", "45719.5"),
                                           ("CS-00009", "", "TRUE"))
    assert snap.grids["Hidden"].hidden and snap.grids["Cases"].sheet_id == 0
    _method, meta_url, _ = api.requests[0]
    assert "fields=" in meta_url and "rowData" not in meta_url and "includeGridData" not in meta_url
    _method, values_url, _ = api.requests[1]
    assert "valueRenderOption=UNFORMATTED_VALUE" in values_url and "Hidden" in values_url


# --------------------------------------------------------------------------- apply: budget


def test_an_empty_plan_makes_no_call() -> None:
    api = fake()
    backend = backend_for(api)
    backend.read()
    assert backend.apply(WritePlan()).api_calls == 0 and len(api.calls) == 2


@pytest.mark.parametrize("rows", [10, 10_000])
def test_calls_do_not_grow_with_rows(rows: int) -> None:
    api = fake({"Cases": cases(rows)}, row_count=rows + 10)  # room for the new row: no grow call
    backend = backend_for(api)
    backend.init_layout([shipped_schemas()["cases"]])  # alert rules exist from here on
    api.calls.clear()
    backend.read()
    plan = WritePlan(cells=[alert(f"CS-{i:05d}", i + 1) for i in (1, 5, 10)],
                     appends=[RowAppend("Cases", (("Case ID", "CS-99999"), ("Order ID", "0042")))])
    result = backend.apply(plan)
    assert (len(api.reads), len(api.writes), result.api_calls) == (4, 1, 3)  # + the verification read
    assert (result.written, result.appended, result.skipped) == (3, 1, [])
    assert column(api, "Alert")["CS-00010"] == "Overdue · S1 first reply"
    assert api.grid(SID, "Cases")[rows + 1][:2] == ["CS-99999", "0042"]


def test_values_are_written_raw_so_formulas_stay_text() -> None:
    api = fake()
    backend = backend_for(api)
    backend.read()
    risky = ["=HYPERLINK(\"https://evil.example\",\"refund\")", "+1 555 0100", "00123", "2025-03-01"]
    backend.apply(WritePlan(cells=[alert(f"CS-0000{i}", i + 1, text, header="Customer message")
                                   for i, text in enumerate(risky[:3], start=1)],
                            appends=[RowAppend("Cases", (("Case ID", risky[3]),))]))
    assert list(column(api, "Customer message").values())[:3] == risky[:3]
    assert api.grid(SID, "Cases")[4][0] == "2025-03-01"
    assert all("f" not in cell for row in api.sheet(SID, "Cases").rows for cell in row.values())
    assert [r[2]["valueInputOption"] for r in api.requests if r[0] == "POST"] == ["RAW"]


def test_coloured_writes_add_alert_rules_once() -> None:
    api = fake()
    backend = backend_for(api)
    backend.read()
    first = backend.apply(WritePlan(cells=[alert("CS-00001", 2)]))
    rules = api.sheet(SID, "Cases").conditional_formats
    assert first.api_calls == 4 and len(rules) == len(colours.RULES)
    red = next(r for r in rules if r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] == "Overdue")
    assert red["ranges"] == [{"startRowIndex": 1, "startColumnIndex": 3, "endColumnIndex": 4}]
    assert red["booleanRule"]["format"]["backgroundColor"]["red"] == pytest.approx(0xF4 / 255)
    hold = next(r for r in rules if r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] == "Hold")
    assert hold["booleanRule"]["format"] == {"backgroundColor": {"red": 1.0, "green": pytest.approx(0xF2 / 255),
                                                                 "blue": pytest.approx(0xCC / 255)}}  # yellow
    backend.read()
    second = backend.apply(WritePlan(cells=[alert("CS-00002", 3)]))
    assert second.api_calls == 3 and len(api.sheet(SID, "Cases").conditional_formats) == len(colours.RULES)


def test_new_tab_is_created_before_values_are_written_to_it() -> None:
    api = fake()
    backend = backend_for(api)
    backend.read()
    plan = WritePlan(new_tabs=[NewTab(STATE_TAB, STATE_HEADERS, hidden=True)],
                     appends=[RowAppend(STATE_TAB, (("Row key", "CS-00001"), ("Fingerprints", "ab12")))])
    result = backend.apply(plan)
    assert [c[1].rsplit("/", 1)[-1] for c in api.calls[2:]] == [f"{SID}:batchUpdate", "values:batchUpdate"]
    assert result.api_calls == 2  # nothing to re-read: the tab is new
    assert api.grid(SID, STATE_TAB) == [list(STATE_HEADERS), ["CS-00001", "ab12"]]
    assert api.sheet(SID, STATE_TAB).hidden and api.sheet(SID, STATE_TAB).frozen_rows == 1


def test_writes_past_the_last_grid_row_grow_the_sheet_first() -> None:
    api = fake({"Cases": cases(2)}, row_count=3)
    backend = backend_for(api)
    backend.read()
    result = backend.apply(WritePlan(appends=[RowAppend("Cases", (("Case ID", "CS-00003"),))]))
    assert api.sheet(SID, "Cases").row_count == 1004 and api.grid(SID, "Cases")[3] == ["CS-00003"]
    layout = next(body for method, url, body in api.requests if method == "POST" and url.endswith(":batchUpdate")
                  and "values" not in url)["requests"]
    assert layout == [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 1001}}]
    assert result.api_calls == 4  # re-read, grow, write, verification read


def test_rows_deleted_after_the_read_leave_room_learnt_again_and_the_write_lands() -> None:
    api = fake({"Cases": cases(3)}, row_count=5)
    backend = backend_for(api)
    backend.read()
    api.between_calls = lambda a, n: a.human_delete_rows("Cases", 5) if n == 2 else None  # an empty row
    result = backend.apply(WritePlan(appends=[RowAppend("Cases", (("Case ID", "CS-00004"),))]))
    assert api.grid(SID, "Cases")[4] == ["CS-00004"] and result.skipped == []
    assert "exceeds grid limits" not in json.dumps(result.skipped)


# --------------------------------------------------------------------------- apply: people win


def _insert_above(api: FakeSheetsAPI) -> None:
    api.human_insert_rows("Cases", 2, 3)
    api.human_set("Cases", "A3", "CS-00077")


def _sort_descending(api: FakeSheetsAPI) -> None:
    api.human_sort("Cases", "A", descending=True)


def _delete_row(api: FakeSheetsAPI) -> None:
    api.human_delete_rows("Cases", 3)  # CS-00002


def _edit_target(api: FakeSheetsAPI) -> None:
    api.human_set("Cases", "D3", "Waiting · courier says Monday")


@pytest.mark.parametrize("edit, expected, skipped", [
    (_insert_above, {"CS-00001": "Overdue · S1 first reply", "CS-00002": "Due soon · S2", "CS-00077": ""}, []),
    (_sort_descending, {"CS-00001": "Overdue · S1 first reply", "CS-00002": "Due soon · S2", "CS-00003": ""}, []),
    (_delete_row, {"CS-00001": "Overdue · S1 first reply", "CS-00003": ""}, ["Cases CS-00002 Alert: its row was deleted"]),
    (_edit_target, {"CS-00001": "Overdue · S1 first reply", "CS-00002": "Waiting · courier says Monday"},
     ["Cases CS-00002 Alert: someone edited the cell meanwhile; left as they wrote it"]),
], ids=["insert-rows-above", "sort", "delete-row", "edit-target-cell"])
def test_a_person_editing_between_read_and_apply(edit, expected, skipped) -> None:
    api = fake()
    backend = backend_for(api)
    backend.read()
    api.between_calls = lambda a, n: edit(a) if n == 2 else None  # call 2 = the apply's re-read
    result = backend.apply(WritePlan(cells=[alert("CS-00001", 2), alert("CS-00002", 3, "Due soon · S2")]))
    now = column(api, "Alert")
    assert {k: now.get(k, "") for k in expected} == expected
    assert now.get("CS-00003", "") == "" and result.skipped == skipped


# --------------------------------------------------------------------------- retries and errors


@pytest.mark.parametrize("faults", [(429, 429), (503, requests.ConnectTimeout), (requests.ConnectionError(), 500)])
def test_transient_failures_are_retried_with_backoff(faults) -> None:
    api = fake()
    waits: list[float] = []
    backend = backend_for(api, sleep=waits.append)
    api.fail_next(*faults)
    assert backend.read().grids["Cases"].rows[1][0] == "CS-00001"
    assert len(api.calls) == 4 and len(waits) == 2
    assert waits[0] >= 1 and waits[0] < 2 <= waits[1] < 3


def test_every_request_carries_the_timeout() -> None:
    api = fake()
    backend = backend_for(api, timeout=12.5)
    backend.read()
    backend.apply(WritePlan(cells=[alert("CS-00001", 2)]))
    assert api.timeouts == [12.5] * 6


def test_backoff_is_capped() -> None:
    assert [backoff(n, 0.5) for n in (0, 3, 6, 9)] == [1.5, 8.5, 64, 64]


def test_retry_budget_exhausted_names_the_quota() -> None:
    api = fake()
    waits: list[float] = []
    backend = backend_for(api, sleep=waits.append, max_retries=3)
    api.fail_next(*[429] * 4)
    with pytest.raises(SpreadsheetAccessError, match="ReadRequestsPerMinutePerUser") as exc:
        backend.read()
    assert len(api.calls) == 4 and len(waits) == 3 and "\n" not in str(exc.value)


@pytest.mark.parametrize("setup, expected", [
    (None, f"spreadsheet {SID} not found: check `spreadsheet_id` in the config"),
    ({"shared": False}, f"no access to spreadsheet {SID}: share it with {SA_EMAIL} as Editor, then run again"),
])
def test_missing_or_unshared_spreadsheet(tmp_path: Path, sa_key: dict, setup, expected) -> None:
    api = FakeSheetsAPI()
    if setup is not None:
        api.add_spreadsheet(SID, **setup)
    key = tmp_path / "sa.json"
    key.write_text(json.dumps(sa_key))
    backend = open_google_backend(SID, session=api.session(), credentials_file=str(key), sleep=lambda s: None)
    with pytest.raises(SpreadsheetAccessError) as exc:
        backend.read()
    assert str(exc.value) == expected and "PRIVATE KEY" not in str(exc.value)


# --------------------------------------------------------------------------- init_layout


def test_init_layout_builds_everything_then_is_idempotent() -> None:
    api = fake({"售后": [HEADER[:2] + ["Status", "Alert", "Window"], ["CS-00001", "#1001", "bogus", "hand", "x"]]})
    backend = backend_for(api)
    schemas = [shipped_schemas()[s] for s in SHIPPED]
    lines = backend.init_layout(schemas)
    assert [c[2] for c in api.calls] == ["read", "write"]
    book = api.spreadsheets[SID]
    assert [s.title for s in book.sheets] == ["售后", "Logistics", "Cashback", "Reships", "Weekly report", STATE_TAB]
    assert api.grid(SID, "售后") == [HEADER[:2] + ["Status", "Alert", "Window"], ["CS-00001", "#1001", "bogus", "hand", "x"]]
    cases_tab = book.by_title("售后")
    assert cases_tab.frozen_rows == 1 and book.by_title(STATE_TAB).hidden
    assert cases_tab.peek(1, 2)["dv"]["condition"]["type"] == "ONE_OF_LIST" and not cases_tab.peek(1, 2)["dv"]["strict"]
    assert {(p["range"]["startColumnIndex"], p["warningOnly"]) for p in cases_tab.protected_ranges} == {(3, True), (4, True)}
    assert len(cases_tab.conditional_formats) == len(colours.RULES)
    assert "froze the header row of 售后" in lines and "protected 售后!Alert (warning only)" in lines
    assert api.grid(SID, "Logistics")[0][0] == shipped_schemas()["logistics"].headers[0]

    api.calls.clear()
    assert backend.init_layout(schemas) == [] and api.writes == []


# --------------------------------------------------------------------------- credentials


@pytest.fixture(scope="module")
def sa_key() -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "p", "private_key_id": "k1", "private_key": pem,
            "client_email": SA_EMAIL, "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}


def test_service_account_json_from_a_file_or_an_env_var(tmp_path: Path, sa_key: dict) -> None:
    key = tmp_path / "sa.json"
    key.write_text(json.dumps(sa_key))
    by_file = load_credentials(str(key))
    by_json = load_credentials(credentials_env="SA", environ={"SA": json.dumps(sa_key)})
    by_path = load_credentials(credentials_env="SA", environ={"SA": str(key)})
    assert {by_file.account, by_json.account, by_path.account} == {SA_EMAIL}
    assert by_file.credentials.service_account_email == SA_EMAIL


def test_authorized_user_json() -> None:
    info = {"type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"}
    loaded = load_credentials(credentials_env="U", environ={"U": json.dumps(info)})
    assert loaded.account is None and loaded.credentials.refresh_token == "r"


@pytest.mark.parametrize("content, fix", [
    (None, "not found: fix the path"),
    ("{not json", "not valid JSON"),
    (json.dumps({"installed": {"client_id": "x"}}), "OAuth client secret"),
    (json.dumps({"type": "external_account"}), "expected 'service_account' or 'authorized_user'"),
    (json.dumps({"type": "service_account", "client_email": SA_EMAIL}), "lacks private_key, token_uri"),
    (json.dumps({"type": "service_account", "client_email": SA_EMAIL, "token_uri": "https://t",
                 "private_key": "-----BEGIN PRIVATE KEY-----\nSECRETSTUFF\n-----END PRIVATE KEY-----\n"}),
     "private key or a field is malformed"),
], ids=["missing-file", "not-json", "client-secret", "wrong-type", "incomplete", "bad-key"])
def test_unusable_credentials_file(tmp_path: Path, content: str | None, fix: str) -> None:
    key = tmp_path / "creds.json"
    if content is not None:
        key.write_text(content)
    with pytest.raises(CredentialsError) as exc:
        open_google_backend(SID, credentials_file=str(key))
    message = str(exc.value)
    assert fix in message and "\n" not in message and "SECRETSTUFF" not in message


def test_unset_env_var_and_missing_default_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="environment variable SHEETS_KEY is not set"):
        load_credentials(credentials_env="SHEETS_KEY", environ={})
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "nowhere.json"))
    with pytest.raises(CredentialsError, match="no Google credentials found: set `credentials_file`"):
        open_google_backend(SID, credentials_file=None, credentials_env=None)


def test_an_empty_spreadsheet_id_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="spreadsheet_id"):
        open_google_backend(" ", session=requests.Session())


@pytest.mark.parametrize("edit", ["insert-column-before", "delete-column-before", "none"])
def test_alert_rules_are_found_by_header_when_people_move_columns_meanwhile(edit) -> None:
    api = fake()
    backend = backend_for(api)
    backend.init_layout([shipped_schemas()["cases"]])
    assert len(api.sheet(SID, "Cases").conditional_formats) == len(colours.RULES)
    backend.read()
    moves = {"insert-column-before": lambda a: a.human_insert_columns("Cases", 2),
             "delete-column-before": lambda a: a._dimension(a.sheet(SID, "Cases"), "COLUMNS", 1, 2, insert=False),
             "none": lambda a: None}
    api.between_calls = lambda a, n: moves[edit](a) if n == 2 else None  # before the apply's re-read
    result = backend.apply(WritePlan(cells=[alert("CS-00001", 2)]))
    rules = api.sheet(SID, "Cases").conditional_formats
    alert_col = api.grid(SID, "Cases")[0].index("Alert")
    assert len(rules) == len(colours.RULES) and result.skipped == []
    assert {(r["ranges"][0]["startColumnIndex"], r["ranges"][0]["endColumnIndex"]) for r in rules} == {
        (alert_col, alert_col + 1)}
    assert column(api, "Alert")["CS-00001"] == "Overdue · S1 first reply"
