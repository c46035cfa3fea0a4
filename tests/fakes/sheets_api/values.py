"""``spreadsheets.get`` and the ``values`` endpoints of the fake (a mixin of ``FakeSheetsAPI``)."""
from __future__ import annotations

import copy
import json
from typing import Any

from .cells import Box, Spreadsheet, _trim, entered, extended, parse_mask, prune, rendered
from .discovery import bad_request


def used(box: Box) -> tuple[int, int, int, int]:
    """``box.bounded()`` shrunk to the cells that hold anything (the replies trim the rest anyway)."""
    r0, c0, r1, c1 = box.bounded()
    rows = box.sheet.rows
    last_row, last_col = r0, c0
    for r in range(r0, min(r1, len(rows))):
        cols = [c for c in rows[r] if c0 <= c < c1]
        if cols:
            last_row, last_col = r + 1, max(last_col, max(cols) + 1)
    return r0, c0, last_row, last_col


class ValuesMixin:
    """Read and values handlers; each takes the target :class:`Spreadsheet` and returns the reply."""

    # -- spreadsheets.get -------------------------------------------------------------

    def _get(self, book: Spreadsheet, query: dict[str, list[str]]) -> dict:
        fields = query.get("fields", [""])[-1]
        mask = parse_mask(fields) if fields else {}
        wants_grid = ("data" in json.dumps(mask)) if fields else \
            query.get("includeGridData", ["false"])[-1].lower() == "true"
        boxes = [book.box(r) for r in query.get("ranges", [])]
        sheets = []
        for index, sheet in enumerate(book.sheets):
            mine = [b for b in boxes if b.sheet is sheet]
            if boxes and not mine:
                continue
            out: dict[str, Any] = {"properties": sheet.properties(index)}
            if sheet.conditional_formats:
                out["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
            if sheet.protected_ranges:
                out["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
            if sheet.basic_filter:
                out["basicFilter"] = copy.deepcopy(sheet.basic_filter)
            if wants_grid:
                out["data"] = [self._grid_data(b) for b in (mine or [Box(sheet, 0, 0, None, None)])]
            sheets.append(out)
        reply = {"spreadsheetId": book.spreadsheet_id,
                 "properties": {"title": book.title, "locale": "en_US", "autoRecalc": "ON_CHANGE",
                                "timeZone": book.time_zone},
                 "sheets": sheets,
                 "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.spreadsheet_id}/edit"}
        return prune(reply, mask) if mask else reply

    @staticmethod
    def _cell_data(cell: dict) -> dict:
        out: dict[str, Any] = {}
        if "f" in cell:
            out["userEnteredValue"] = {"formulaValue": cell["f"]}
        elif cell.get("v") is not None:
            out["userEnteredValue"] = extended(cell["v"])
        if cell.get("v") is not None:
            out["effectiveValue"] = extended(cell["v"])
            out["formattedValue"] = rendered(cell, "FORMATTED_VALUE", "")
        if "fmt" in cell:
            fmt = copy.deepcopy(cell["fmt"])
            if "backgroundColor" in fmt:
                fmt["backgroundColorStyle"] = {"rgbColor": fmt["backgroundColor"]}
            if "foregroundColor" in fmt.get("textFormat", {}):
                fmt["textFormat"]["foregroundColorStyle"] = {"rgbColor": fmt["textFormat"]["foregroundColor"]}
            out["userEnteredFormat"] = fmt
        for key, name in (("note", "note"), ("dv", "dataValidation")):
            if key in cell:
                out[name] = copy.deepcopy(cell[key])
        return out

    def _grid_data(self, box: Box) -> dict:
        r0, c0, r1, c1 = used(box)
        rows = [{"values": _trim([self._cell_data(box.sheet.peek(r, c)) for c in range(c0, c1)],
                                 lambda x: not x)} for r in range(r0, r1)]
        rows = _trim([row if row["values"] else {} for row in rows], lambda x: not x)
        out: dict[str, Any] = {}
        if r0:
            out["startRow"] = r0
        if c0:
            out["startColumn"] = c0
        if rows:
            out["rowData"] = rows
        return out

    # -- values -----------------------------------------------------------------------

    def _value_range(self, box: Box, q: dict[str, str]) -> dict:
        r0, c0, r1, c1 = used(box)
        vo, do = q.get("valueRenderOption", "FORMATTED_VALUE"), q.get("dateTimeRenderOption", "SERIAL_NUMBER")
        rows = [_trim([rendered(box.sheet.peek(r, c), vo, do) for c in range(c0, c1)],
                      lambda v: v in (None, "")) for r in range(r0, r1)]
        rows = [[("" if v is None else v) for v in row] for row in _trim(rows, lambda row: not row)]
        if q.get("majorDimension") == "COLUMNS":
            width = max((len(r) for r in rows), default=0)
            rows = _trim([_trim([r[i] if i < len(r) else "" for r in rows], lambda v: v == "")
                          for i in range(width)], lambda col: not col)
        out: dict[str, Any] = {"range": box.a1(), "majorDimension": q.get("majorDimension", "ROWS")}
        if rows:
            out["values"] = rows
        return out

    def _values_get(self, book: Spreadsheet, rng: str, q: dict[str, str]) -> dict:
        return self._value_range(book.box(rng), q)

    def _values_batch_get(self, book: Spreadsheet, ranges: list[str], q: dict[str, str]) -> dict:
        return {"spreadsheetId": book.spreadsheet_id,
                "valueRanges": [self._value_range(book.box(r), q) for r in ranges]}

    @staticmethod
    def _plan_write(box: Box, values: list, major: str | None, r0: int | None = None) -> tuple[Box, list]:
        if not isinstance(values, list) or not all(isinstance(v, list) for v in values):
            raise bad_request("Invalid values: expected a list of lists", "data.values")
        if major == "COLUMNS":
            width = max((len(v) for v in values), default=0)
            values = [[v[i] if i < len(v) else None for v in values] for i in range(width)]
        start = box.r0 if r0 is None else r0
        height, width = len(values), max((len(v) for v in values), default=0)
        if not box.point and ((box.r1 is not None and start + height > box.r1)
                              or (box.c1 is not None and box.c0 + width > box.c1)):
            raise bad_request(f"Requested writing within range [{box.a1()}], but tried writing "
                              f"{height} rows and {width} columns.")
        return Box(box.sheet, start, box.c0, start + height, box.c0 + width), values

    @staticmethod
    def _inside_grid(target: Box) -> None:
        """Values writes do not grow a sheet (only ``values:append`` and dimension requests do):
        Google refuses a range past the last row or column with this 400."""
        sheet = target.sheet
        if (target.r1 or 0) > sheet.row_count or (target.c1 or 0) > sheet.col_count:
            raise bad_request(f"Range ({target.a1()}) exceeds grid limits. Max rows: {sheet.row_count}, "
                              f"max columns: {sheet.col_count}")

    @staticmethod
    def _write(target: Box, values: list, option: str, grow: bool = False) -> dict:
        if grow:
            target.sheet.fit(target.r1 or 0, target.c1 or 0)  # values:append grows the grid
        cells = 0
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, (dict, list)):
                    raise bad_request(f"Invalid values[{i}][{j}]: {json.dumps(v)}", "data.values")
                cell = target.sheet.cell(target.r0 + i, target.c0 + j)
                for k in ("v", "f", "date"):
                    cell.pop(k, None)
                cell.update(entered(v, option))
                cells += 1
        out = {"updatedRange": target.a1(), "updatedRows": len(values),
               "updatedColumns": (target.c1 or 0) - target.c0, "updatedCells": cells}
        return out if cells else {"updatedRange": target.a1()}

    @staticmethod
    def _input_option(option: str | None) -> str:
        if option not in ("RAW", "USER_ENTERED"):
            raise bad_request("'valueInputOption' is required but not specified", "value_input_option")
        return option

    def _values_update(self, book: Spreadsheet, rng: str, body: dict, q: dict[str, str]) -> dict:
        option = self._input_option(q.get("valueInputOption"))
        target, values = self._plan_write(book.box(rng), body.get("values") or [], body.get("majorDimension"))
        self._inside_grid(target)
        return {"spreadsheetId": book.spreadsheet_id, **self._write(target, values, option)}

    def _values_batch_update(self, book: Spreadsheet, body: dict) -> dict:
        option = self._input_option(body.get("valueInputOption"))
        planned = [self._plan_write(book.box(d.get("range") or ""), d.get("values") or [], d.get("majorDimension"))
                   for d in body.get("data") or []]
        for target, _values in planned:  # all or nothing, as Google
            self._inside_grid(target)
        responses = [{"spreadsheetId": book.spreadsheet_id, **self._write(t, v, option)} for t, v in planned]
        return {"spreadsheetId": book.spreadsheet_id,
                "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
                "totalUpdatedColumns": max((r.get("updatedColumns", 0) for r in responses), default=0),
                "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
                "totalUpdatedSheets": len({t.sheet.sheet_id for t, _ in planned}),
                "responses": responses}

    def _values_append(self, book: Spreadsheet, rng: str, body: dict, q: dict[str, str]) -> dict:
        """The "table" is the run of non-empty rows starting at the range's first row."""
        option = self._input_option(q.get("valueInputOption"))
        box = book.box(rng)
        sheet, end = box.sheet, box.r0
        while end < sheet.row_count and any(c.get("v") not in (None, "") for c in sheet.rows[end].values()):
            end += 1
        table = Box(sheet, box.r0, box.c0, max(end, box.r0 + 1), box.c1)
        values = body.get("values") or []
        if q.get("insertDataOption") == "INSERT_ROWS" and values:
            self._dimension(sheet, "ROWS", end, end + len(values), insert=True)
        target, values = self._plan_write(Box(sheet, 0, box.c0, None, None), values,
                                          body.get("majorDimension"), r0=end)
        return {"spreadsheetId": book.spreadsheet_id, "tableRange": table.a1(),
                "updates": {"spreadsheetId": book.spreadsheet_id, **self._write(target, values, option, grow=True)}}

    def _values_clear(self, book: Spreadsheet, ranges: list[str], single: bool = False) -> dict:
        boxes = [book.box(r) for r in ranges]
        for box in boxes:
            r0, c0, r1, c1 = box.bounded()
            for r in range(r0, min(r1, box.sheet.row_count)):
                for c in [c for c in box.sheet.rows[r] if c0 <= c < c1]:
                    for k in ("v", "f", "date"):
                        box.sheet.rows[r][c].pop(k, None)
        if single:
            return {"spreadsheetId": book.spreadsheet_id, "clearedRange": boxes[0].a1()}
        return {"spreadsheetId": book.spreadsheet_id, "clearedRanges": [b.a1() for b in boxes]}
