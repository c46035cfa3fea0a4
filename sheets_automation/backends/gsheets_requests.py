"""Pure builders of Sheets API request bodies for :mod:`.gsheets` (no I/O here).

Sizes Google accepts: a values write may not reach past a tab's grid (``400 Range (…) exceeds
grid limits``: values writes never grow a sheet), so :func:`grow_requests` adds rows or
columns first (``appendDimension``, in the same ``batchUpdate`` as other structure); and a
request body may not exceed 10,485,760 bytes (Google recommends 2 MB), so
:func:`chunk_value_ranges` splits a values write into bodies of at most :data:`CHUNK_BYTES`.
"""
from __future__ import annotations

import json
import zlib
from bisect import bisect_right
from itertools import accumulate
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from typing import Any, Sequence

from gspread.utils import Dimension, absolute_range_name, convert_hex_to_colors_dict, rowcol_to_a1

from .. import colours
from ..a1 import column_letter
from .base import Grid, NewTab, ReportChart, ReportTab

NEW_TAB_ROWS = 1000
"""Rows of a tab we create, and the headroom added when a tab must grow."""
CHUNK_BYTES = 2_000_000 - 4096
"""Largest values-write body we send (Google's advice: 2 MB, read as 2,000,000 bytes; 4 KB left for the envelope)."""

PIXELS_PER_CHAR, PIXEL_PAD = 7, 10  # Arial 10 as Google draws it

Cells = dict[str, list[tuple[int, int, str, str | None]]]  # {tab: [(row, col, value, colour)]}, 1-based


def value_ranges(cells: Cells) -> list[dict]:
    """``values:batchUpdate`` data: each tab's cells as rectangles of written cells (a cell
    given twice: the last value). A run of a column's cells on adjacent rows is one box, and
    the same run in the columns right of it joins that box; a box goes as ``COLUMNS`` (a list
    per column), or ``ROWS`` when it is one row high. A box holds only cells being written,
    never a gap, so it touches nothing else. One sorted pass (#15: a first run at 100k rows
    wrote 328k one-row ranges where this makes 78k)."""
    data: list[dict] = []
    for tab, items in cells.items():
        quoted = absolute_range_name(tab) + "!"
        for c0, c1, r0, r1, columns in _column_boxes(items):
            first = f"{column_letter(c0)}{r0}"
            if r0 == r1:
                a1 = first if c0 == c1 else f"{first}:{column_letter(c1)}{r1}"
                data.append({"range": quoted + a1, "majorDimension": Dimension.rows,
                             "values": [[col[0] for col in columns]]})
            else:
                data.append({"range": f"{quoted}{first}:{column_letter(c1)}{r1}", "majorDimension": Dimension.cols,
                             "values": columns})
    return data


def _column_boxes(items) -> list[tuple[int, int, int, int, list[list[str]]]]:
    """(first column, last column, first row, last row, values per column) boxes: each run of
    a column's adjacent rows, joined to the box on its left when the column before had a run
    over the very same rows. One pass over the cells sorted by column, then row."""
    boxes: list[tuple[int, int, int, int, list[list[str]]]] = []
    open_boxes: dict[tuple[int, int], list] = {}  # (first row, last row) -> [first col, last col, columns]
    col = top = bottom = 0
    values: list[str] = []

    def close() -> None:
        box = open_boxes.get((top, bottom))
        if box is not None and box[1] == col - 1:
            box[1] = col
            box[2].append(values)
            return
        if box is not None:
            boxes.append((box[0], box[1], top, bottom, box[2]))
        open_boxes[top, bottom] = [col, col, [values]]

    by_column = sorted(items, key=itemgetter(0))  # two stable sorts on one int each: (column, row) order in a
    by_column.sort(key=itemgetter(1))  # third of the time of one on (column, row) pairs
    for row, c, value, _colour in by_column:
        if values and c == col and row == bottom:  # the same cell again: its last value
            values[-1] = value
        elif values and c == col and row == bottom + 1:
            values.append(value)
            bottom = row
        else:
            if values:
                close()
            col, top, bottom, values = c, row, row, [value]
    if values:
        close()
    boxes += [(c0, c1, top, bottom, columns) for (top, bottom), (c0, c1, columns) in open_boxes.items()]
    boxes.sort(key=itemgetter(2, 0))
    return boxes


def range_tab(a1: str) -> str:
    """The tab title of an absolute range such as ``'Bob''s tab'!A1:B2``."""
    title = a1.rpartition("!")[0] or a1
    if title.startswith("'") and title.endswith("'"):
        title = title[1:-1].replace("''", "'")
    return title


def _size(obj: Any) -> int:
    """Bytes ``obj`` takes in a request body (requests encodes JSON with ASCII escapes)."""
    return len(json.dumps(obj, separators=(", ", ": ")))


_RANGE_KEYS = len('{"range": , "majorDimension": , "values": }')


def _range_size(item: dict) -> int:
    """:func:`_size` of one value range, worked out from its strings' escaped lengths (one C
    call each) instead of writing its JSON: json.dumps per range was a tenth of a 100k-row
    writing run (#15). Other shapes go through :func:`_size`."""
    rows, a1, major = item.get("values"), item.get("range"), item.get("majorDimension")
    if len(item) != 3 or type(rows) is not list or not isinstance(a1, str) or not isinstance(major, str):
        return _size(item)  # (str, or a str enum such as gspread's Dimension.rows: JSON strings both)
    body = sum(map(_row_size, rows))
    return _RANGE_KEYS + len(encode_basestring_ascii(a1)) + len(encode_basestring_ascii(major)) + 2 * len(rows) + body


def _row_size(row: list) -> int:
    """Bytes of one row as JSON: one C call per string, :func:`_size` for other cells."""
    try:
        return 2 * len(row) + sum(map(len, map(encode_basestring_ascii, row))) if row else 2
    except TypeError:  # a cell that is not a string (a report's numbers)
        return _size(row)


def _cut(item: dict, room: int, limit: int) -> list[tuple[dict, int]]:
    """``item`` as consecutive row slices with their JSON sizes: the first of at most ``room``
    bytes (none when not even one row fits), each other of at most ``limit``, so a body
    can be filled and the next ones sent full. A ``COLUMNS`` range is cut across all its
    columns at once; a range of other shapes, or a single row bigger than ``limit``, is
    returned whole. One pass over the cells' sizes."""
    values, major = item["values"], item.get("majorDimension")
    if major == Dimension.cols and values and all(type(col) is list for col in values) \
            and len({len(col) for col in values}) == 1:
        width = len(values)  # each row: its cells, 2 bytes of comma each, in every column
        per_row = _cell_sizes(values[0]) if width == 1 else list(map(sum, zip(*map(_cell_sizes, values))))
        line_sizes = [n + 2 * width for n in per_row]
    elif major == Dimension.rows and all(type(row) is list for row in values):
        width = 0
        line_sizes = [_row_size(row) + 2 for row in values]  # each row and its comma
    else:
        return [(item, _range_size(item))]
    title, _, cells = item["range"].rpartition("!")
    first, _, last = cells.partition(":")
    col0 = first.rstrip("0123456789")
    row0 = int(first[len(col0):])
    col1 = (last or first).rstrip("0123456789")
    cumulative = [0, *accumulate(line_sizes)]
    height = len(line_sizes)
    pieces: list[tuple[dict, int]] = []
    start, budget = 0, room
    while start < height:
        prefix = f"{title}!{col0}{row0 + start}:{col1}"  # + the last row's number
        fixed = (_RANGE_KEYS + len(encode_basestring_ascii(prefix)) + len(encode_basestring_ascii(major))
                 + 2 * width - cumulative[start])

        def size(end: int) -> int:
            return fixed + len(str(row0 + end - 1)) + cumulative[end]
        end = start + bisect_right(range(start + 1, height + 1), budget, key=size)
        if end == start and budget < limit:
            budget = limit  # not even one row fits the room left: the first slice opens a body
            continue
        end = max(end, start + 1)  # a row bigger than a whole body goes alone
        rows = [col[start:end] for col in values] if width else values[start:end]
        pieces.append(({"range": f"{prefix}{row0 + end - 1}", "majorDimension": major, "values": rows}, size(end)))
        start, budget = end, limit
    return pieces if len(pieces) > 1 else [(item, _range_size(item))]


def _cell_sizes(cells: list) -> list[int]:
    """Bytes of each cell as JSON (one C call for each string)."""
    try:
        return list(map(len, map(encode_basestring_ascii, cells)))
    except TypeError:  # a cell that is not a string
        return [_size(v) for v in cells]


def chunk_value_ranges(data: list[dict], limit: int = CHUNK_BYTES) -> list[list[dict]]:
    """``data`` packed in order into lists whose JSON is at most ``limit`` bytes each, one list
    per request. A range too big for the room left is cut between its rows (:func:`_cut`):
    the rows that fit fill this body and the rest go on in the next ones, so bodies stay full
    however tall the ranges."""
    chunks: list[list[dict]] = []
    chunk: list[dict] = []
    size = 0
    for item in data:
        n = _range_size(item)
        pieces = [(item, n)] if size + n + 2 <= limit else _cut(item, limit - size - 2, limit - 2)
        for piece, n in pieces:
            if chunk and size + n + 2 > limit:
                chunks.append(chunk)
                chunk, size = [], 0
            chunk.append(piece)
            size += n + 2
    if chunk:
        chunks.append(chunk)
    return chunks


def grow_requests(sheet_id: int, have: tuple[int, int], need: tuple[int, int]) -> list[dict]:
    """``appendDimension`` requests so a tab of ``have`` (rows, columns) holds ``need``;
    rows get :data:`NEW_TAB_ROWS` of headroom so a growing tab does not need this every run."""
    out = []
    if need[0] > have[0]:
        out.append({"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS",
                                        "length": need[0] - have[0] + NEW_TAB_ROWS}})
    if need[1] > have[1]:
        out.append({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS", "length": need[1] - have[1]}})
    return out


def alert_rule_requests(sheet_id: int, col0: int, present: set[str]) -> list[dict]:
    """One TEXT_STARTS_WITH rule per label prefix (``colours.RULES``: the six colours and
    "Hold") missing on 0-based column ``col0`` (rows 2+)."""
    out = []
    for index, (prefix, name) in enumerate(colours.RULES):
        if prefix in present:
            continue
        out.append({"addConditionalFormatRule": {"index": index, "rule": {
            "ranges": [{"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": col0, "endColumnIndex": col0 + 1}],
            "booleanRule": {"condition": {"type": "TEXT_STARTS_WITH", "values": [{"userEnteredValue": prefix}]},
                            "format": {"backgroundColor": convert_hex_to_colors_dict(colours.rgb(name))}}}}})
    return out


def report_range(report: ReportTab, old: Grid | None) -> dict:
    """One ``values:batchUpdate`` range writing ``report`` from A1, padded with blanks over the
    old content so nothing stale is left (numbers go as JSON numbers under RAW)."""
    height = max(len(report.rows), len(old.rows) if old else 0, 1)
    width = max([len(r) for r in report.rows] + [len(r) for r in (old.rows if old else ())] + [1])
    values = [[(row[c] if c < len(row) else "") for c in range(width)]
              for row in (list(report.rows) + [()] * (height - len(report.rows)))]
    return {"range": absolute_range_name(report.title, f"A1:{rowcol_to_a1(height, width)}"),
            "majorDimension": Dimension.rows, "values": values}


def add_chart_request(sheet_id: int, chart: ReportChart) -> dict:
    """``addChart``: a native line chart over the report's block (header row names the series)."""
    def source(col: int, first_row: int) -> dict:
        return {"sourceRange": {"sources": [{"sheetId": sheet_id, "startRowIndex": first_row - 1,
                                             "endRowIndex": chart.last_row, "startColumnIndex": col - 1,
                                             "endColumnIndex": col}]}}
    return {"addChart": {"chart": {
        "spec": {"title": chart.title, "basicChart": {
            "chartType": "LINE", "legendPosition": "BOTTOM_LEGEND", "headerCount": 1, "lineSmoothing": False,
            "axis": [{"position": "BOTTOM_AXIS", "title": "Week"}, {"position": "LEFT_AXIS", "title": "Cases"}],
            "domains": [{"domain": source(chart.x_col, chart.header_row)}],
            "series": [{"series": source(c, chart.header_row), "targetAxis": "LEFT_AXIS"} for c in chart.y_cols]}},
        "position": {"overlayPosition": {"anchorCell": {"sheetId": sheet_id, "rowIndex": chart.anchor[0] - 1,
                                                        "columnIndex": chart.anchor[1] - 1}}}}}}


def new_sheet_id(title: str, taken: set[int]) -> int:
    """A stable sheetId for a tab we create, so later requests of the same batch can use it."""
    sid = zlib.crc32(title.encode("utf-8")) & 0x7FFFFFFF or 1
    while sid in taken:
        sid = (sid + 1) & 0x7FFFFFFF or 1
    taken.add(sid)
    return sid


def add_tab_requests(tab: NewTab, sheet_id: int, rows: int = NEW_TAB_ROWS) -> list[dict]:
    """``addSheet`` (header row frozen, ``rows`` rows) plus its header texts; with looks, also
    the layout for people (:func:`people_layout_requests`)."""
    grid = {"rowCount": max(rows, NEW_TAB_ROWS), "columnCount": max(26, len(tab.headers)), "frozenRowCount": 1}
    props: dict[str, Any] = {"sheetId": sheet_id, "title": tab.title, "gridProperties": grid}
    if tab.hidden:
        props["hidden"] = True
    bold = {"userEnteredFormat": {"textFormat": {"bold": True}}} if tab.looks else {}
    return [{"addSheet": {"properties": props}},
            {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                             "fields": "userEnteredValue" + (",userEnteredFormat.textFormat.bold" if tab.looks else ""),
                             "rows": [{"values": [{"userEnteredValue": {"stringValue": h}, **bold}
                                                  for h in tab.headers]}]}},
            *people_layout_requests(tab, sheet_id)]


def column_width_requests(sheet_id: int, widths: Sequence[int]) -> list[dict]:
    """``updateDimensionProperties``: one per run of adjacent columns of equal width (characters)."""
    out: list[dict] = []
    start = 0
    for i in range(1, len(widths) + 1):
        if i < len(widths) and widths[i] == widths[start]:
            continue
        out.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": Dimension.cols, "startIndex": start, "endIndex": i},
            "properties": {"pixelSize": widths[start] * PIXELS_PER_CHAR + PIXEL_PAD}, "fields": "pixelSize"}})
        start = i
    return out


def basic_filter_request(sheet_id: int) -> dict:
    """A filter over the whole tab (it grows with the rows people and the automation add)."""
    return {"setBasicFilter": {"filter": {"range": {"sheetId": sheet_id}}}}


def people_layout_requests(tab: NewTab, sheet_id: int) -> list[dict]:
    """A created tab laid out for people: a filter, column widths, every cell top-aligned and
    long-text columns wrapped (formats stay on the cells, so later values keep them)."""
    if not tab.looks:
        return []
    out = [basic_filter_request(sheet_id), *column_width_requests(sheet_id, [look.width for look in tab.looks]),
           {"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": 1},
                           "cell": {"userEnteredFormat": {"verticalAlignment": "TOP"}},
                           "fields": "userEnteredFormat.verticalAlignment"}}]
    for col, look in enumerate(tab.looks):
        if look.wrap:
            out.append({"repeatCell": {
                "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": col, "endColumnIndex": col + 1},
                "cell": {"userEnteredFormat": {"wrapStrategy": "WRAP"}}, "fields": "userEnteredFormat.wrapStrategy"}})
    return out
