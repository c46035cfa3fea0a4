"""``spreadsheets.batchUpdate`` of the fake (a mixin of ``FakeSheetsAPI``).

Atomic: the sub-requests run on a deep copy that replaces the spreadsheet only when all
succeed. Row insertion, deletion and sorting here are also what the ``human_*`` helpers
use to play a person in the UI.
"""
from __future__ import annotations

import copy
import zlib
from typing import Any

from .cells import Sheet, Spreadsheet, entered, parse_mask
from .discovery import ApiError, bad_request


class BatchUpdateMixin:
    """One ``_req_<kind>`` method per supported request kind."""


    @staticmethod
    def _new_id(book: Spreadsheet, title: str) -> int:
        sid = zlib.crc32(title.encode("utf-8")) & 0x7FFFFFFF or 1
        while any(s.sheet_id == sid for s in book.sheets):
            sid = (sid + 1) & 0x7FFFFFFF or 1
        return sid

    def _batch_update(self, book: Spreadsheet, body: dict) -> dict:
        """All sub-requests or none: they run on a copy that replaces the book at the end."""
        work = copy.deepcopy(book)
        replies = []
        for i, req in enumerate(body.get("requests") or []):
            kinds = [k for k, v in req.items() if v is not None]
            if len(kinds) != 1:
                raise bad_request(f"Invalid requests[{i}]: exactly one kind of request must be set", f"requests[{i}]")
            kind = kinds[0]
            handler = getattr(self, f"_req_{kind}", None)
            if handler is None:
                raise ApiError(501, "UNIMPLEMENTED", f"The fake does not serve requests[{i}].{kind}")
            try:
                replies.append(handler(work, req[kind]) or {})
            except ApiError as err:
                raise bad_request(f"Invalid requests[{i}].{kind}: {err.message}", f"requests[{i}]") from None
        self.spreadsheets[book.spreadsheet_id] = work
        return {"spreadsheetId": book.spreadsheet_id, "replies": replies}

    def _req_addSheet(self, book: Spreadsheet, req: dict) -> dict:
        props = req.get("properties") or {}
        title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
        sid = props.get("sheetId")  # Google checks the id before the title
        if sid is not None and any(s.sheet_id == sid for s in book.sheets):
            raise bad_request(f"Invalid sheetId {sid}: already in use")
        if book.by_title(title):
            raise bad_request(f'A sheet with the name "{title}" already exists. Please enter another name.')
        grid = props.get("gridProperties") or {}
        sheet = Sheet(self._new_id(book, title) if sid is None else int(sid), title,
                      row_count=grid.get("rowCount") or 1000, col_count=grid.get("columnCount") or 26,
                      hidden=bool(props.get("hidden")), frozen_rows=grid.get("frozenRowCount") or 0,
                      frozen_cols=grid.get("frozenColumnCount") or 0)
        index = props.get("index")
        book.sheets.insert(len(book.sheets) if index is None else index, sheet)
        if all(s.hidden for s in book.sheets):
            raise bad_request("You can't hide all the sheets in a document.")
        return {"addSheet": {"properties": sheet.properties(book.sheets.index(sheet))}}

    def _req_deleteSheet(self, book: Spreadsheet, req: dict) -> None:
        sheet = book.by_id(req.get("sheetId"))
        if len(book.sheets) == 1:
            raise bad_request("You can't remove all the sheets in a document.")
        book.sheets.remove(sheet)

    def _req_updateSheetProperties(self, book: Spreadsheet, req: dict) -> None:
        props = req.get("properties") or {}
        mask = parse_mask(req.get("fields") or "")
        if not mask:
            raise bad_request("At least one field must be updated, but 'fields' is empty.")
        sheet = book.by_id(props.get("sheetId"))
        grid = props.get("gridProperties") or {}
        everything = "*" in mask
        if everything or "title" in mask:
            sheet.title = props.get("title") or sheet.title
        if everything or "hidden" in mask:
            sheet.hidden = bool(props.get("hidden"))
        if everything or "index" in mask:
            book.sheets.remove(sheet)
            book.sheets.insert(props.get("index") or 0, sheet)
        gmask = {} if everything else mask.get("gridProperties", None)
        if gmask is not None:
            for key, attr in (("rowCount", "row_count"), ("columnCount", "col_count"),
                              ("frozenRowCount", "frozen_rows"), ("frozenColumnCount", "frozen_cols")):
                if not gmask or key in gmask:
                    setattr(sheet, attr, grid.get(key) or 0)
            del sheet.rows[sheet.row_count:]
            sheet.fit(sheet.row_count, sheet.col_count)
        if all(s.hidden for s in book.sheets):
            raise bad_request("You can't hide all the sheets in a document.")

    @staticmethod
    def _bounds(book: Spreadsheet, rng: dict) -> tuple[Sheet, int, int, int, int]:
        sheet = book.by_id(rng.get("sheetId"))
        r1 = rng.get("endRowIndex")
        c1 = rng.get("endColumnIndex")
        return (sheet, rng.get("startRowIndex") or 0, rng.get("startColumnIndex") or 0,
                sheet.row_count if r1 is None else r1, sheet.col_count if c1 is None else c1)

    @staticmethod
    def _set_cell(cell: dict, src: dict, mask: dict) -> None:
        keys = ("userEnteredValue", "note", "userEnteredFormat", "dataValidation") if "*" in mask else tuple(mask)
        for key in keys:
            value = src.get(key)
            if key == "userEnteredValue":
                for k in ("v", "f", "date"):
                    cell.pop(k, None)
                if value:
                    if "formulaValue" in value:
                        cell.update(entered(value["formulaValue"], "USER_ENTERED"))
                    else:
                        cell["v"] = next(iter(value.values()))
            elif key in ("note", "dataValidation"):
                store = "note" if key == "note" else "dv"
                if value:
                    cell[store] = copy.deepcopy(value)
                else:
                    cell.pop(store, None)
            elif key == "userEnteredFormat":
                sub = mask.get(key) or {}
                if not sub or "*" in mask:
                    cell.pop("fmt", None)
                    if value:
                        cell["fmt"] = copy.deepcopy(value)
                else:
                    fmt = cell.setdefault("fmt", {})
                    for k in sub:
                        if value and k in value:
                            fmt[k] = copy.deepcopy(value[k])
                        else:
                            fmt.pop(k, None)
            else:
                raise bad_request(f"Invalid field mask for CellData: {key}")

    def _req_updateCells(self, book: Spreadsheet, req: dict) -> None:
        mask = parse_mask(req.get("fields") or "")
        if not mask:
            raise bad_request("'fields' must be set")
        rows = req.get("rows") or []
        if req.get("range"):
            sheet, r0, c0, r1, c1 = self._bounds(book, req["range"])
        else:
            start = req.get("start") or {}
            sheet = book.by_id(start.get("sheetId"))
            r0, c0 = start.get("rowIndex") or 0, start.get("columnIndex") or 0
            r1 = r0 + len(rows)
            c1 = c0 + max((len(r.get("values") or []) for r in rows), default=0)
        sheet.fit(r1, c1)
        for r in range(r0, r1):
            values = (rows[r - r0].get("values") or []) if r - r0 < len(rows) else []
            for c in range(c0, c1):
                if c - c0 < len(values) or req.get("range"):
                    src = values[c - c0] if c - c0 < len(values) else {}
                    self._set_cell(sheet.cell(r, c), src or {}, mask)

    def _req_repeatCell(self, book: Spreadsheet, req: dict) -> None:
        sheet, r0, c0, r1, c1 = self._bounds(book, req.get("range") or {})
        mask = parse_mask(req.get("fields") or "")
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._set_cell(sheet.cell(r, c), req.get("cell") or {}, mask)

    def _req_setDataValidation(self, book: Spreadsheet, req: dict) -> None:
        sheet, r0, c0, r1, c1 = self._bounds(book, req.get("range") or {})
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._set_cell(sheet.cell(r, c), {"dataValidation": req.get("rule")}, {"dataValidation": {}})

    def _req_addProtectedRange(self, book: Spreadsheet, req: dict) -> dict:
        pr = {k: v for k, v in copy.deepcopy(req.get("protectedRange") or {}).items() if v is not None}
        sheet = book.by_id((pr.get("range") or {}).get("sheetId"))
        taken = {p["protectedRangeId"] for s in book.sheets for p in s.protected_ranges}
        pr["protectedRangeId"] = max(taken, default=1000) + 1
        pr["requestingUserCanEdit"] = True
        pr["editors"] = {} if pr.get("warningOnly") else pr.get("editors") or {}
        if pr.get("range", {}).get("sheetId") == 0:
            del pr["range"]["sheetId"]
        sheet.protected_ranges.append(pr)
        return {"addProtectedRange": {"protectedRange": copy.deepcopy(pr)}}

    def _req_addConditionalFormatRule(self, book: Spreadsheet, req: dict) -> None:
        rule = copy.deepcopy(req.get("rule") or {})
        ranges = rule.get("ranges") or []
        if not ranges:
            raise bad_request("A conditional format rule needs at least one range.")
        sheet = book.by_id(ranges[0].get("sheetId"))
        for rng in ranges:
            if rng.get("sheetId") == 0:
                del rng["sheetId"]
        sheet.conditional_formats.insert(req.get("index") or 0, rule)

    def _req_setBasicFilter(self, book: Spreadsheet, req: dict) -> None:
        flt = copy.deepcopy(req.get("filter") or {})
        rng = flt.get("range") or {}
        sheet = book.by_id(rng.get("sheetId"))
        if rng.get("sheetId") == 0:  # the API leaves zeros out of its replies
            del rng["sheetId"]
        rng.setdefault("endRowIndex", sheet.row_count)  # a whole-tab filter comes back with its bounds
        rng.setdefault("endColumnIndex", sheet.col_count)
        flt["range"] = rng
        sheet.basic_filter = flt

    def _req_updateDimensionProperties(self, book: Spreadsheet, req: dict) -> None:
        rng = req.get("range") or {}
        sheet = book.by_id(rng.get("sheetId"))
        if rng.get("dimension") != "COLUMNS" or "pixelSize" not in parse_mask(req.get("fields") or ""):
            raise bad_request("The fake sets column widths (COLUMNS, pixelSize) only.")
        start, end = rng.get("startIndex") or 0, rng.get("endIndex", sheet.col_count)
        if not 0 <= start < end <= sheet.col_count:
            raise bad_request("Invalid dimension range.")
        for c in range(start, end):
            sheet.column_pixels[c] = (req.get("properties") or {}).get("pixelSize") or 0

    def _req_insertDimension(self, book: Spreadsheet, req: dict) -> None:
        rng = req.get("range") or {}
        self._dimension(book.by_id(rng.get("sheetId")), rng.get("dimension"), rng.get("startIndex") or 0,
                        rng.get("endIndex") or 0, insert=True)

    def _req_deleteDimension(self, book: Spreadsheet, req: dict) -> None:
        rng = req.get("range") or {}
        sheet = book.by_id(rng.get("sheetId"))
        end = rng.get("endIndex")
        if end is None:
            end = sheet.row_count if rng.get("dimension") == "ROWS" else sheet.col_count
        self._dimension(sheet, rng.get("dimension"), rng.get("startIndex") or 0, end, insert=False)

    def _req_appendDimension(self, book: Spreadsheet, req: dict) -> None:
        sheet = book.by_id(req.get("sheetId"))
        end = sheet.row_count if req.get("dimension") == "ROWS" else sheet.col_count
        self._dimension(sheet, req.get("dimension"), end, end + (req.get("length") or 0), insert=True)

    def _req_sortRange(self, book: Spreadsheet, req: dict) -> None:
        sheet, r0, c0, r1, c1 = self._bounds(book, req.get("range") or {})
        if c0 != 0 or c1 != sheet.col_count:
            raise bad_request("The fake sorts whole rows only.")
        specs = [(s.get("dimensionIndex") or 0, s.get("sortOrder") == "DESCENDING")
                 for s in req.get("sortSpecs") or []]
        self._sort(sheet, r0, r1, specs)

    @staticmethod
    def _dimension(sheet: Sheet | None, dimension: str | None, start: int, end: int, *, insert: bool) -> None:
        if sheet is None or end <= start:
            raise bad_request("Invalid dimension range.")
        n = end - start
        BatchUpdateMixin._move_ranges(sheet, dimension, start, end, insert)
        if dimension == "ROWS":
            if insert:
                sheet.rows[start:start] = [{} for _ in range(n)]
                sheet.row_count += n
            else:
                if end > sheet.row_count or n >= sheet.row_count:
                    raise bad_request("You can't delete all the rows on the sheet." if n >= sheet.row_count
                                      else f"Invalid deleteDimension: endIndex {end} > {sheet.row_count}")
                del sheet.rows[start:end]
                sheet.row_count -= n
        elif dimension == "COLUMNS":
            for i, row in enumerate(sheet.rows):
                moved = {}
                for c, cell in row.items():
                    if c < start:
                        moved[c] = cell
                    elif insert:
                        moved[c + n] = cell
                    elif c >= end:
                        moved[c - n] = cell
                sheet.rows[i] = moved
            sheet.col_count += n if insert else -n
        else:
            raise bad_request(f"Invalid dimension {dimension!r}.")

    @staticmethod
    def _move_ranges(sheet: Sheet, dimension: str | None, start: int, end: int, insert: bool) -> None:
        """Conditional-format and protected ranges move with inserted or deleted rows and
        columns, as in Google (a range emptied by a deletion is dropped)."""
        word = "Row" if dimension == "ROWS" else "Column"
        lo, hi, n = f"start{word}Index", f"end{word}Index", end - start

        def shift(x: int, is_end: bool) -> int:
            if insert:  # an insertion inside a range widens it
                return x + n if (x > start if is_end else x >= start) else x
            return x if x <= start else (x - n if x >= end else start)

        def moved(rng: dict) -> dict | None:
            out = dict(rng)
            for key, is_end in ((lo, False), (hi, True)):
                if key in out:
                    out[key] = shift(out[key], is_end)
            return None if hi in out and out[hi] <= out.get(lo, 0) else out

        for rule in sheet.conditional_formats:
            rule["ranges"] = [m for m in (moved(r) for r in rule.get("ranges") or []) if m is not None]
        sheet.conditional_formats[:] = [r for r in sheet.conditional_formats if r["ranges"]]
        kept = []
        for pr in sheet.protected_ranges:
            m = moved(pr["range"]) if "range" in pr else {}
            if m is not None:
                pr["range"] = m
                kept.append(pr)
        sheet.protected_ranges[:] = kept

    @staticmethod
    def _sort(sheet: Sheet, r0: int, r1: int, specs: list[tuple[int, bool]]) -> None:
        def typed(v: Any) -> tuple:
            if isinstance(v, bool):
                return (2, v)
            if isinstance(v, (int, float)):
                return (0, v)
            return (1, str(v).casefold())

        segment = sheet.rows[r0:r1]
        for col, descending in reversed(specs):
            filled = [r for r in segment if r.get(col, {}).get("v") not in (None, "")]
            blank = [r for r in segment if r.get(col, {}).get("v") in (None, "")]
            filled.sort(key=lambda r: typed(r[col]["v"]), reverse=descending)
            segment = filled + blank
        sheet.rows[r0:r1] = segment
