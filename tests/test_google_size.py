"""Sizes Google accepts (issue #11 "Requests Google accepts"), through the public backend.

The fake refuses, as Google does, values writes past a tab's grid and bodies over
10,485,760 bytes. A 10,000-case sheet laid out by ``init`` (tabs of 1,000 rows, the state
tab too), its rows pasted by a person, must run first, second, idle and an hour later
without error, every request body under 2 MB, and the calls per run constant in the rows
apart from the 2 MB chunks.
"""
from __future__ import annotations

import json
import math
from datetime import timedelta

import orjson
import pytest
from gspread.utils import Dimension
from hypothesis import given, settings
from hypothesis import strategies as st

from sheets_automation.backends.base import STATE_TAB
from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.backends.gsheets_requests import CHUNK_BYTES, chunk_value_ranges
from sheets_automation.runner import run_once
from sheets_automation.schema import shipped_schemas
from tests.fakes.sheets_api import FakeSheetsAPI, entered
from tests.test_google_end_to_end import CONFIG, NOW, SHEET, tabs_with

TWO_MB = 2 * 1024 * 1024


def paste(api: FakeSheetsAPI, sid: str, tab: str, rows: list[list]) -> None:
    """A person pastes ``rows`` from A1 (pasting grows the grid, as in the UI)."""
    sheet = api.sheet(sid, tab)
    sheet.fit(len(rows), max(len(r) for r in rows))
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v not in ("", None):
                sheet.cell(r, c).update(entered(v, "RAW"))


def initialised(cases: int) -> FakeSheetsAPI:
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", {"Sheet1": []})
    backend = open_google_backend("sheet-a", session=api.session(), sleep=lambda s: None)
    backend.init_layout(list(shipped_schemas().values()))
    for tab, rows in tabs_with(cases).items():
        if rows:
            paste(api, "sheet-a", tab, rows)
    return api


def run(api: FakeSheetsAPI, now=NOW):
    api.calls.clear()
    api.body_sizes.clear()
    backend = open_google_backend("sheet-a", session=api.session(), sleep=lambda s: None)
    return run_once(backend, CONFIG, SHEET, ["tracking", "rules", "messages"], now)


def test_ten_thousand_cases_made_by_init_run_first_second_idle_and_later():
    api = initialised(10_000)
    assert api.sheet("sheet-a", STATE_TAB).row_count == 1000  # what init creates
    for label, now in (("first", NOW), ("second", NOW), ("idle", NOW), ("an hour later", NOW + timedelta(hours=1))):
        result = run(api, now)
        assert result.ok, (label, result.tab_errors)
        assert max(api.body_sizes) < TWO_MB, (label, max(api.body_sizes))
        written = sum(s for s, (m, _p, _k) in zip(api.body_sizes, api.calls) if m == "POST")
        # reads (2) + re-read + layout + one values write per 2 MB
        assert len(api.calls) <= 5 + math.ceil(written / CHUNK_BYTES), (label, api.calls)
        if label == "first":
            assert len([c for c in api.calls if c[1].endswith("values:batchUpdate")]) > 1, "10k rows need chunks"
        if label == "idle":
            assert not result.plan and len(api.writes) == 0
    state = api.grid("sheet-a", STATE_TAB)
    assert len(state) > 10_000 and api.sheet("sheet-a", STATE_TAB).row_count >= len(state)


def test_values_writes_go_as_compact_utf8_json_no_longer_than_counted():
    """A values write's body is compact UTF-8 JSON (customers' Chinese, German ... as
    themselves, not ``\\u`` escapes), so never longer than the spaced, ASCII-escaped JSON
    the 2 MB chunks are counted in; the values land as written."""
    api = initialised(300)
    assert run(api).applied.written > 0
    this_run = api.requests[-len(api.calls):]  # (run() cleared the calls and sizes, not the requests)
    bodies = [(size, body) for size, (_m, path, _k), (_m2, _u, body) in zip(api.body_sizes, api.calls, this_run)
              if path.endswith("values:batchUpdate")]
    texts = [v for _size, body in bodies for d in body["data"] for vs in d["values"] for v in vs]
    assert any(not v.isascii() for v in texts if isinstance(v, str)), "the sample has messages in Chinese"
    for size, body in bodies:
        assert size == len(orjson.dumps(body)) < len(json.dumps(body, separators=(", ", ": ")))
    assert any("您好" in v for row in api.grid("sheet-a", "Cases") for v in row)


@pytest.mark.parametrize("items, fit, expected", [
    (0, 2, []),
    (1, 2, [1]),
    (3, 2, [2, 1]),
    (5, 5, [5]),
    (7, 3, [3, 3, 1]),
])
def test_chunks_pack_ranges_in_order_under_the_limit(items, fit, expected):
    data = [{"range": f"'T'!A{i + 1:03d}", "majorDimension": "ROWS", "values": [["x" * 40]]} for i in range(items)]
    one = len(json.dumps(data[0], separators=(", ", ": "))) + 2 if data else 10
    chunks = chunk_value_ranges(data, one * fit)
    assert [len(c) for c in chunks] == expected and [d for c in chunks for d in c] == data
    assert all(len(json.dumps(c)) <= one * fit for c in chunks)


TEXT = st.one_of(st.text(max_size=30), st.sampled_from(['"', "\\", "\n", "\x00", "\x7f", "\u2028", "中文", "😀", "é"]))
CELL = st.one_of(TEXT, st.integers(-10 ** 12, 10 ** 12), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                 st.none())
RANGES = st.lists(st.builds(lambda title, rows, major: {"range": "'" + title.replace("'", "''") + f"'!B7:E{6 + len(rows)}",
                                                  "majorDimension": major, "values": rows},
                            st.text(min_size=1, max_size=12),
                            st.lists(st.lists(CELL, max_size=4), min_size=1, max_size=3)  # a report's numbers
                            | st.lists(st.lists(TEXT, max_size=4), min_size=1, max_size=3),  # cells: text only
                            st.sampled_from([Dimension.rows, "COLUMNS"])),
                  max_size=25)


@settings(max_examples=300, deadline=None)
@given(RANGES.filter(bool), st.data())
def test_a_chunk_takes_exactly_the_ranges_whose_json_fits_whatever_the_text(data, draw):
    """Sizes are the JSON's exact bytes (escapes, non-ASCII as \\uXXXX, surrogate pairs,
    numbers): with the limit set to the size of the first ``k`` ranges, the first chunk is
    exactly those ``k``; with one byte less, the ``k``-th range gives the chunk only the
    first rows that fit, as a range of their own, and one row more would not fit."""
    k = draw.draw(st.integers(1, len(data)))
    limit = len(json.dumps(data[:k]))
    assert chunk_value_ranges(data, limit)[0] == data[:k]
    if k > 1:
        first = chunk_value_ranges(data, limit - 1)[0]
        assert first[:k - 1] == data[:k - 1] and len(first) <= k and len(json.dumps(first)) <= limit - 1
        whole = data[k - 1]
        m = _height(first[-1]) if len(first) == k else 0
        if len(first) == k:  # the k-th range's first m rows, cut to fit
            assert first[-1] == _first_rows(whole, m) and m < _height(whole)
        if _height(whole) and m + 1 < _height(whole):
            assert len(json.dumps(data[:k - 1] + [_first_rows(whole, m + 1)])) > limit - 1, "one row more fits"


def _height(item: dict) -> int:
    """Rows of a drawn range that can be cut (0 for ragged columns)."""
    if item["majorDimension"] == "ROWS":
        return len(item["values"])
    return len(item["values"][0]) if len({len(c) for c in item["values"]}) == 1 else 0


def _first_rows(item: dict, m: int) -> dict:
    values = item["values"][:m] if item["majorDimension"] == "ROWS" else [c[:m] for c in item["values"]]
    return {**item, "range": item["range"].rsplit("E", 1)[0] + f"E{6 + m}", "values": values}


def test_a_range_bigger_than_the_room_left_is_cut_between_rows_and_bodies_stay_full():
    """A tall range fills what is left of a body with its first rows and carries the rest to
    the next; every body fits, the rows stay in order and each slice names its own rows."""
    small = {"range": "'Log'!Z1", "majorDimension": "ROWS", "values": [["z" * 20]]}
    tall = {"range": "'Log'!A3:B12", "majorDimension": "ROWS", "values": [[f"r{i}", "y" * 30] for i in range(10)]}
    limit = 260
    chunks = chunk_value_ranges([small, tall], limit)
    pieces = [d for c in chunks for d in c]
    assert pieces[0] == small and len(chunks[0]) == 2, "the first body is filled by the tall range's first rows"
    assert all(len(json.dumps(c)) <= limit for c in chunks)
    assert all(len(json.dumps(c)) + len(json.dumps(next_body[0]["values"][0])) + 2 > limit
               for c, next_body in zip(chunks, chunks[1:])), "a body closes only when the next row cannot fit"
    assert [row for p in pieces[1:] for row in p["values"]] == tall["values"]
    starts = [int(p["range"].split("!A")[1].split(":")[0]) for p in pieces[1:]]
    ends = [int(p["range"].rsplit("B", 1)[1]) for p in pieces[1:]]
    assert starts[0] == 3 and ends[-1] == 12 and all(e - s + 1 == len(p["values"])
                                                     for s, e, p in zip(starts, ends, pieces[1:]))
    assert all(s == e + 1 for s, e in zip(starts[1:], ends))


def test_a_row_wider_than_a_body_goes_alone():
    wide = {"range": "'Log'!A3:B3", "majorDimension": "ROWS", "values": [["x" * 300, "y"]]}
    small = {"range": "'Log'!Z1", "majorDimension": "ROWS", "values": [["z"]]}
    assert chunk_value_ranges([small, wide, small], 100) == [[small], [wide], [small]]


def test_replies_come_compressed_because_the_client_asks_googles_way():
    api = initialised(300)
    backend = open_google_backend("sheet-a", session=api.session(), sleep=lambda s: None)
    snap = backend.read()
    assert snap.grids["Cases"].rows[300][0] == "CS-00300"
    assert all(wire * 3 < raw for wire, raw in zip(api.reply_sizes, api.reply_raw_sizes) if raw > 10_000)
    api.reply_sizes.clear()
    api.reply_raw_sizes.clear()
    api.session().get("https://sheets.googleapis.com/v4/spreadsheets/sheet-a")  # python-requests' agent: no gzip
    assert api.reply_sizes == api.reply_raw_sizes


@pytest.mark.parametrize("a1, tab", [("'Cases'!A1", "Cases"), ("'Bob''s tab'!B2:C3", "Bob's tab"),
                                     ("Cases!A1", "Cases"), ("'周报'!A1", "周报")])
def test_range_tab(a1, tab):
    from sheets_automation.backends.gsheets_requests import range_tab
    assert range_tab(a1) == tab
