"""The fake Sheets API answers like Google does (recorded cassettes) and is strict about requests.

Two kinds of check: plain real gspread against the fake, and a replay of gspread's own
recorded traffic (reference/gspread-cassettes) whose answers we compare with the fake's.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import gspread
import pytest
import requests
from gspread.utils import ValidationConditionType

from tests.fakes.sheets_api import FakeSheetsAPI

CASSETTES = Path(__file__).parent / "data" / "gspread-cassettes"  # copied from shared/reference (MIT, see PROVENANCE.md)
SID = "fake-sheet"


@pytest.fixture
def api() -> FakeSheetsAPI:
    fake = FakeSheetsAPI()
    fake.add_spreadsheet(SID, "Test", "Etc/GMT", tabs={"Sheet1": [["a", "b"], ["007", 3]]})
    return fake


@pytest.fixture
def ws(api: FakeSheetsAPI) -> gspread.Worksheet:
    return gspread.Client(auth=None, session=api.session()).open_by_key(SID).sheet1


# --------------------------------------------------------------------------- through gspread


def test_open_by_key_reads_metadata_shaped_like_the_api(api: FakeSheetsAPI) -> None:
    sh = gspread.Client(auth=None, session=api.session()).open_by_key(SID)
    assert (sh.title, sh.timezone, sh.locale) == ("Test", "Etc/GMT", "en_US")
    assert sh.sheet1.title == "Sheet1" and sh.sheet1.id == 0
    assert (sh.sheet1.row_count, sh.sheet1.col_count) == (1000, 26)
    assert set(api.calls) == {("GET", f"/v4/spreadsheets/{SID}", "read")}  # sheet1 re-reads metadata


def test_update_then_get_trims_trailing_blanks_like_the_cassette(ws: gspread.Worksheet) -> None:
    reply = ws.update([["A1", "B1", "", "D1"], ["", "b2", "", ""], ["", "", "", ""], ["A4", "B4", "", "D4"]], "A1")
    assert reply["updatedRange"] == "Sheet1!A1:D4"
    assert ws.get("A1:D4") == [["A1", "B1", "", "D1"], ["", "b2"], [], ["A4", "B4", "", "D4"]]


def test_raw_keeps_text_and_user_entered_parses_it(ws: gspread.Worksheet) -> None:
    ws.update([["=4/2", "2020-01-01", "00123", "TRUE"]], "A1")  # RAW is gspread's default
    ws.update([["=4/2", "2020-01-01", "00123", "TRUE"]], "A2", value_input_option="USER_ENTERED")
    got = ws.get_all_values(value_render_option="UNFORMATTED_VALUE", date_time_render_option="SERIAL_NUMBER")
    assert got[:2] == [["=4/2", "2020-01-01", "00123", "TRUE"], [2, 43831, 123, True]]
    assert ws.get("A2", value_render_option="FORMULA") == [["=4/2"]]


def test_batch_update_writes_several_ranges_in_one_call(api: FakeSheetsAPI, ws: gspread.Worksheet) -> None:
    before = len(api.calls)
    reply = ws.batch_update([{"range": "A1:B1", "values": [["x", "y"]]}, {"range": "A4:B4", "values": [["p", "q"]]}])
    assert len(api.calls) == before + 1
    assert reply["totalUpdatedCells"] == 4 and [r["updatedRange"] for r in reply["responses"]] == \
        ["Sheet1!A1:B1", "Sheet1!A4:B4"]
    assert api.grid(SID, "Sheet1") == [["x", "y"], ["007", 3], [], ["p", "q"]]


def test_format_notes_validation_and_freeze_round_trip(api: FakeSheetsAPI, ws: gspread.Worksheet) -> None:
    ws.format("A2", {"backgroundColor": {"green": 1, "blue": 1}, "textFormat": {"bold": True}})
    got = ws.spreadsheet.fetch_sheet_metadata(
        {"ranges": ["Sheet1!A2"], "fields": "sheets.data.rowData.values.userEnteredFormat"})
    assert got == {"sheets": [{"data": [{"rowData": [{"values": [{"userEnteredFormat": {
        "backgroundColor": {"green": 1, "blue": 1}, "textFormat": {"bold": True},
        "backgroundColorStyle": {"rgbColor": {"green": 1, "blue": 1}}}}]}]}]}]}
    ws.update_notes({"B1": "check"})
    assert (ws.get_note("B1"), ws.get_note("A1")) == ("check", "")
    ws.add_validation("C2", ValidationConditionType.one_of_list, ["y", "n"], strict=False)
    assert api.sheet(SID, "Sheet1").peek(1, 2)["dv"]["condition"]["type"] == "ONE_OF_LIST"
    ws.freeze(rows=1)
    assert ws.spreadsheet.fetch_sheet_metadata()["sheets"][0]["properties"]["gridProperties"]["frozenRowCount"] == 1


def test_append_rows_lands_below_the_table(api: FakeSheetsAPI, ws: gspread.Worksheet) -> None:
    ws.append_rows([["new", 1]], table_range="A1")
    assert api.grid(SID, "Sheet1")[-1] == ["new", 1]


@pytest.mark.parametrize("body, field", [
    ({"values": "X"}, "data.values"),
    ({"values": [["a"]], "colour": "red"}, "data"),
    ({"values": [["a"]], "majorDimension": "DIAGONAL"}, "data.majorDimension"),
])
def test_an_invalid_body_is_rejected_with_400(api: FakeSheetsAPI, ws: gspread.Worksheet, body: dict, field: str) -> None:
    with pytest.raises(gspread.exceptions.APIError) as exc:
        ws.client.values_update(SID, "'Sheet1'!A1", params={"valueInputOption": "RAW"}, body=body)
    assert exc.value.response.status_code == 400
    assert exc.value.error["status"] == "INVALID_ARGUMENT"
    assert exc.value.error["details"][0]["fieldViolations"][0]["field"] == field
    assert api.grid(SID, "Sheet1")[0] == ["a", "b"]


@pytest.mark.parametrize("request_, why", [
    ({"repeatCell": {"range": {"sheetId": 0}, "cell": {"userEnteredFormat": {"bold": True}}, "fields": "*"}},
     "Unknown name"),
    ({"updateSheetProperties": {"properties": {"sheetId": 0, "hidden": "yes"}, "fields": "hidden"}},
     "Invalid value"),
    ({"addSheet": {"properties": {"title": "Sheet1"}}}, "already exists"),
    ({"addSheet": {"properties": {"title": "New", "sheetId": 0}}}, "Invalid sheetId 0: already in use"),
])
def test_batch_update_is_validated_and_all_or_nothing(api: FakeSheetsAPI, ws: gspread.Worksheet,
                                                      request_: dict, why: str) -> None:
    add_first = {"addSheet": {"properties": {"title": "Extra"}}}
    with pytest.raises(gspread.exceptions.APIError) as exc:
        ws.spreadsheet.batch_update({"requests": [add_first, request_]})
    assert exc.value.response.status_code == 400 and why in exc.value.error["message"]
    assert [s.title for s in api.spreadsheets[SID].sheets] == ["Sheet1"]


def test_unknown_query_parameter_and_bad_enum_are_rejected(ws: gspread.Worksheet) -> None:
    for params in ({"valueRenderOption": "PRETTY"}, {"colour": "red"}):
        with pytest.raises(gspread.exceptions.APIError) as exc:
            ws.client.values_get(SID, "Sheet1", params=params)
        assert exc.value.response.status_code == 400


@pytest.mark.parametrize("setup, status, reason", [
    ({"shared": False}, 403, "PERMISSION_DENIED"),
    (None, 404, "NOT_FOUND"),
])
def test_missing_or_private_spreadsheet(setup: dict | None, status: int, reason: str) -> None:
    api = FakeSheetsAPI()
    if setup is not None:
        api.add_spreadsheet(SID, **setup)
    reply = api.session().get(f"https://sheets.googleapis.com/v4/spreadsheets/{SID}")
    assert (reply.status_code, reply.json()["error"]["status"]) == (status, reason)


def test_faults_are_served_in_order_then_normal_answers(api: FakeSheetsAPI) -> None:
    api.fail_next(429, requests.ConnectTimeout, 503)
    s, url = api.session(), f"https://sheets.googleapis.com/v4/spreadsheets/{SID}"
    assert s.get(url).json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    with pytest.raises(requests.ConnectTimeout):
        s.get(url)
    assert s.get(url).status_code == 503
    assert s.get(url).status_code == 200
    assert len(api.reads) == 4 and api.writes == []


def test_human_helpers_move_rows_like_the_ui(api: FakeSheetsAPI) -> None:
    api.human_insert_rows("Sheet1", 2, 2)
    assert api.grid(SID, "Sheet1") == [["a", "b"], [], [], ["007", 3]]
    api.human_set("Sheet1", "A2", "zzz")
    api.human_sort("Sheet1", "A")
    assert api.grid(SID, "Sheet1") == [["a", "b"], ["007", 3], ["zzz"]]
    api.human_delete_rows("Sheet1", 2)
    assert api.grid(SID, "Sheet1") == [["a", "b"], ["zzz"]]


@pytest.mark.parametrize("target, refused", [
    ("A1", False),                # inside the 1 × 26 grid
    ("Z1", False),                # last column
    ("C5", True),                 # past the last row
    ("AA1", True),                # past the last column
])
def test_values_writes_never_grow_the_grid(target: str, refused: bool) -> None:
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, tabs={"Sheet1": [["h"]]}, row_count=1)
    ws = gspread.Client(auth=None, session=api.session()).open_by_key(SID).sheet1
    if refused:
        with pytest.raises(gspread.exceptions.APIError, match=r"exceeds grid limits. Max rows: 1, max columns: 26"):
            ws.update([["x"]], target)
        assert api.grid(SID, "Sheet1") == [["h"]] and api.sheet(SID, "Sheet1").row_count == 1
    else:
        ws.update([["x"]], target)
        assert "x" in api.grid(SID, "Sheet1")[0]


def test_a_batch_with_one_range_past_the_grid_writes_nothing() -> None:
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, tabs={"Sheet1": [["h"]]}, row_count=2)
    sheet = gspread.Client(auth=None, session=api.session()).open_by_key(SID).sheet1
    with pytest.raises(gspread.exceptions.APIError, match=r"Range \('?Sheet1'?!A3\) exceeds grid limits"):
        sheet.batch_update([{"range": "A2", "values": [["ok"]]}, {"range": "A3", "values": [["no"]]}])
    assert api.grid(SID, "Sheet1") == [["h"]]


def test_append_and_append_dimension_grow_the_grid() -> None:
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, tabs={"Sheet1": [["h"]]}, row_count=1)
    book = gspread.Client(auth=None, session=api.session()).open_by_key(SID)
    book.sheet1.append_row(["x"])
    book.batch_update({"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 3}}]})
    book.sheet1.update([["y"]], "A5")
    assert api.sheet(SID, "Sheet1").row_count == 5 and api.grid(SID, "Sheet1") == [["h"], ["x"], [], [], ["y"]]


def test_bodies_over_ten_megabytes_are_refused_with_googles_error() -> None:
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, tabs={"Sheet1": [["h"]]}, row_count=10)
    ws = gspread.Client(auth=None, session=api.session()).open_by_key(SID).sheet1
    with pytest.raises(gspread.exceptions.APIError, match="Request payload size exceeds the limit: 10485760 bytes"):
        ws.update([["x" * 10_485_760]], "A2")
    ws.update([["x" * 1_000_000]], "A2")
    assert api.grid(SID, "Sheet1")[1] == ["x" * 1_000_000] and max(api.body_sizes) > 10_485_760


def test_a_body_not_declared_as_json_is_refused() -> None:
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, tabs={"Sheet1": [["h"]]}, row_count=10)
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{SID}/values:batchUpdate"
    body = json.dumps({"valueInputOption": "RAW", "data": [{"range": "Sheet1!A2", "values": [["x"]]}]}).encode()
    refused = api.session().post(url, data=body)
    assert refused.status_code == 400 and "not declared application/json" in refused.text
    assert api.grid(SID, "Sheet1") == [["h"]]
    accepted = api.session().post(url, data=body, headers={"Content-Type": "application/json"})
    assert accepted.status_code == 200 and api.grid(SID, "Sheet1") == [["h"], ["x"]]


# --------------------------------------------------------------------------- cassette replay


def _comparable(body: object) -> object:
    """Drop what the fake leaves out on purpose: theme, default format, ids Google draws at random."""
    if not isinstance(body, dict):
        return body
    for reply in body.get("replies", []):
        reply.get("addProtectedRange", {}).get("protectedRange", {}).pop("protectedRangeId", None)
    body = {k: v for k, v in body.items() if k not in ("spreadsheetId", "spreadsheetUrl")}
    if "properties" in body and "sheets" in body:
        body["properties"] = {k: body["properties"][k] for k in ("title", "locale", "timeZone")}
        for sheet in body["sheets"]:
            for pr in sheet.get("protectedRanges", []):
                pr.pop("protectedRangeId", None)
                pr.pop("editors", None)  # Google lists the recording account; the fake does not
    return body


CASSETTE_NAMES = sorted(p.name for p in CASSETTES.glob("*.json"))


def test_every_recorded_cassette_is_replayed():
    assert len(CASSETTE_NAMES) == 10  # a missing folder must fail, not silently skip


@pytest.mark.parametrize("name", CASSETTE_NAMES)
def test_fake_answers_like_the_recorded_api(name: str) -> None:
    """Replay each cassette's first episode of Sheets traffic; the answers must match."""
    interactions = json.loads((CASSETTES / name).read_text(encoding="utf-8"))["interactions"]
    created = json.loads(interactions[0]["response"]["body"]["string"])
    api = FakeSheetsAPI()
    api.add_spreadsheet(created["id"], created["name"], "Etc/GMT")
    session = api.session()
    compared = 0
    for it in interactions[1:]:
        req, resp = it["request"], it["response"]
        if urlsplit(req["uri"]).netloc != "sheets.googleapis.com":
            if req["method"] == "DELETE":
                break  # end of the first episode
            continue
        body = json.loads(req["body"]) if req["body"] else None
        recorded = json.loads(resp["body"]["string"])
        for sub in (body or {}).get("requests", []):  # let addSheet take the id Google chose
            if "addSheet" in sub:
                sub["addSheet"]["properties"]["sheetId"] = \
                    recorded["replies"][0]["addSheet"]["properties"]["sheetId"]
        got = session.request(req["method"], req["uri"], json=body)
        assert got.status_code == resp["status"]["code"], (req["method"], req["uri"], got.text)
        assert _comparable(got.json()) == _comparable(recorded), (req["method"], req["uri"])
        compared += 1
    assert compared >= 3
