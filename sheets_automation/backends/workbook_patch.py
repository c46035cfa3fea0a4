"""Write a run's cells straight into the workbook's XML, leaving everything else as it was
(issue #15: a writing run near the libraries' floor).

A plan of cell writes and appended rows on existing tabs is applied by rewriting only the
``<row>`` elements it touches: the other rows of a sheet are copied as bytes, every other
part of the file (other tabs, macros, images, pivot caches, charts, comments, shared strings)
byte for byte. The result is what :meth:`.WorkbookBackend.apply` gets with openpyxl:

- values as inline strings (``t="inlineStr"``), never formulas; empty text removes the
  value and keeps the cell's format;
- an alert's colour as a solid fill (openpyxl's ``PatternFill`` bytes); a cleared Alert cell
  loses its solid fill; a written cell takes its column's alignment when it differs;
- touched rows grow to fit their wrapped text (never shrink); a filter from A1 keeps
  covering every row; the sheet's dimension covers the new cells;
- new cell formats and fills are appended to ``xl/styles.xml``, de-duplicated; formulas are
  not touched, so their cached results stay, and the workbook is marked for recalculation
  on load as openpyxl marks it.

Surprises: a column style given to a range of columns (``<col min="2" max="4">``, as Excel
and LibreOffice save it) applies to each of them, as in Excel (openpyxl only sees the first).
Anything it does not handle confidently (prefixed or strict XML, rows or cells without
``r``, a written cell holding a shared or array formula or rich-value metadata, a write into
a merged range, text XML cannot hold) raises :class:`Unpatchable` before the target file
is written, and the caller saves with openpyxl instead.

Memory: the writes are walked row by row in row order (one sorted list of references per
tab, no second copy of the cells), each patched sheet streams into an unnamed temporary file
beside the workbook (the disk that must hold the result anyway), and the rows left alone
are copied as slices of the original XML, so a run at 100k rows holds the sheet's XML once,
not three times.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from contextlib import ExitStack
from operator import itemgetter
from pathlib import Path
from typing import IO, Iterator
from xml.etree import ElementTree

from .. import colours as colour_code
from ..a1 import column_letter
from ..appearance import row_height
from .base import Grid
from .workbook_xml import (NO_FILL, Styles, Unpatchable, attrs, column_index, range_box, split_ref,
                           solid_fill, start_tag)

Cells = dict[str, list[tuple[int, int, str, "str | None"]]]  # tab → [(row, col, text, colour)], as placement gives
RowWrites = dict[int, list[tuple[str, "str | None", bool]]]  # column → [(text, colour, appended)] in order

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ROW = re.compile(rb"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)
_CELL = re.compile(rb"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)
_FIRST_REF = re.compile(rb'\s+r="([A-Z]{1,3})([0-9]+)"')  # where Excel, LibreOffice and openpyxl put it
_FIRST_ROW = re.compile(rb'\s+r="([0-9]+)"')
_COL = re.compile(rb"<col\b([^>]*?)/?>")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_RANGED_FORMULA = re.compile(rb'<f\b[^>]*\bt="(?:array|dataTable)"[^>]*>')


def _escape(text: str) -> bytes:
    if _ILLEGAL.search(text):
        raise Unpatchable("text with characters XML cannot hold")
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
            .encode())


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, tuple[int, str]]:
    """Tab title → (position among the tabs, worksheet part) inside ``archive``."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    if book.tag != f"{{{_MAIN}}}workbook":
        raise Unpatchable("not transitional SpreadsheetML")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for i, sheet in enumerate(book.iter(f"{{{_MAIN}}}sheet")):
        target = targets.get(sheet.get(_REL), "")
        out[sheet.get("name")] = (i, target.lstrip("/") if target.startswith("/") else "xl/" + target)
    return out


class _Sheet:
    """One worksheet part being patched: its column looks, then its rows."""

    def __init__(self, xml: bytes, styles: Styles, grid: Grid | None):
        self.styles, self.grid = styles, grid
        start = xml.find(b"<sheetData>")
        end = xml.find(b"</sheetData>")
        root = re.search(rb"<worksheet\b[^>]*>", xml[:max(start, 0)])
        if start < 0 or end < start or root is None or f'xmlns="{_MAIN}"'.encode() not in root.group(0) \
                or re.match(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=\"(?!utf-8|UTF-8)", xml):
            raise Unpatchable("sheet XML that is not plain SpreadsheetML in UTF-8")
        self.xml, self.start, self.end = xml, start + 11, end  # the rows lie in xml[start:end]
        self.head, self.tail = xml[:start + 11], xml[end:]
        self.col_style: dict[int, int] = {}
        self._columns: dict[bytes, int] = {}  # column letters → number, as met
        self.wrapped: list[tuple[int, float]] = []  # (column, width) of wrapped columns with a width
        cols_end = self.head.find(b"</cols>")
        for m in _COL.finditer(self.head, 0, max(cols_end, 0)):
            a = attrs(m.group(1))
            style = int(a.get(b"style", b"0") or 0)
            if not style or styles.plain(style):
                continue
            width = float(a.get(b"width", b"13") or 0)  # openpyxl's default width when none is stored
            for col in range(int(a[b"min"]), min(int(a[b"max"]), 16384) + 1):
                self.col_style[col] = style
                if width and styles.wraps(style):
                    self.wrapped.append((col, width))
        self.blocked = [range_box(m.group(1)) for m in re.finditer(rb'<mergeCell\b[^>]*\bref="([^"]+)"', self.tail)]
        for m in _RANGED_FORMULA.finditer(xml, self.start, self.end):
            ref = attrs(m.group(0)).get(b"ref")
            if ref:
                self.blocked.append(range_box(ref))

    def _check(self, row: int, col: int) -> None:
        for r1, c1, r2, c2 in self.blocked:
            if r1 <= row <= r2 and c1 <= col <= c2:
                raise Unpatchable(f"cell {column_letter(col)}{row} is in a merged range or an array formula")

    def _style(self, s: int, col: int, text: str, colour: str | None, appended: bool) -> int:
        """The cell format after ``put`` and the fill step of :meth:`.WorkbookBackend.apply`."""
        column = self.col_style.get(col)
        if column is not None and not self.styles.same_alignment(column, s):
            s = self.styles.derive(s, alignment_of=column)
        if colour:
            return self.styles.derive(s, fill=solid_fill(colour_code.rgb(colour), both=not appended))
        if not appended and text == "" and self.styles.solid(s):
            return self.styles.derive(s, fill=NO_FILL)
        return s

    def _cell(self, ref: bytes, old_attrs: dict[bytes, bytes], old_body: bytes, col: int,
              ops: list[tuple[str, str | None, bool]]) -> bytes:
        if b"cm" in old_attrs or b"vm" in old_attrs:
            raise Unpatchable("a written cell carries rich-value metadata")
        if b"<f" in old_body and re.search(rb"<f\b[^>]*\bref=", old_body):
            raise Unpatchable("a written cell holds a shared formula")
        s = int(old_attrs.get(b"s", b"0") or 0)
        text = ""
        for text, colour, appended in ops:
            s = self._style(s, col, text, colour, appended)
        a = {b"r": ref, **{k: v for k, v in old_attrs.items() if k not in (b"r", b"s", b"t")}}
        if s:
            a[b"s"] = str(s).encode()
        if text == "":
            return start_tag(b"c", a, empty=True)
        a[b"t"] = b"inlineStr"
        return start_tag(b"c", a) + b'<is><t xml:space="preserve">' + _escape(text) + b"</t></is></c>"

    def _row(self, number: int, row_attrs: dict[bytes, bytes], inner: bytes, writes: RowWrites) -> bytes:
        if self.blocked:
            for col in writes:
                self._check(number, col)
        cells: dict[int, bytes] = {}
        pos, last, columns = 0, 0, self._columns
        for m in _CELL.finditer(inner):
            if m.start() != pos and inner[pos:m.start()].strip():
                raise Unpatchable(f"row {number} holds something besides cells")
            pos = m.end()
            first = _FIRST_REF.match(m.group(1))
            if first is not None:
                letters, r = first.group(1), int(first.group(2))
            else:
                a = attrs(m.group(1))
                if b"r" not in a:
                    raise Unpatchable(f"a cell of row {number} has no reference")
                letters, r = a[b"r"].rstrip(b"0123456789"), split_ref(a[b"r"])[0]
            col = columns.get(letters) or columns.setdefault(letters, column_index(letters))
            if r != number or col <= last:
                raise Unpatchable(f"row {number}'s cells are out of order")
            last = col
            if col in writes:
                a = attrs(m.group(1))
                cells[col] = self._cell(a[b"r"], a, m.group(3) or b"", col, writes[col])
            else:
                cells[col] = m.group(0)
        if inner[pos:].strip():
            raise Unpatchable(f"row {number} holds something besides cells")
        for col, ops in writes.items():
            if col not in cells:
                cells[col] = self._cell(f"{column_letter(col)}{number}".encode(), {}, b"", col, ops)
        if self.wrapped:
            texts = {col: ops[-1][0] for col, ops in writes.items()}
            height = row_height((texts[c] if c in texts else self.grid.cell(number, c) if self.grid else "", w)
                                for c, w in self.wrapped)
            current = float(row_attrs[b"ht"]) if b"ht" in row_attrs else None
            if height is not None and (current is None or current < height):
                row_attrs[b"ht"] = repr(float(height)).encode()
                row_attrs[b"customHeight"] = b"1"
        row_attrs.pop(b"spans", None)  # an optional hint the new cells may not fit
        return start_tag(b"row", row_attrs) + b"".join(cells[c] for c in sorted(cells)) + b"</row>"

    def patch(self, rows: Iterator[tuple[int, RowWrites]], bounds: tuple[int, int, int, int], sink: IO[bytes],
              extend_filter: bool) -> str:
        """Write the sheet with ``rows`` (ascending row numbers, each with its writes) applied
        into ``sink``; the rows left alone are copied as they are. ``bounds`` (first row, first
        column, last row, last column) of the writes grows the sheet's dimension; with
        ``extend_filter`` a filter from A1 is made to cover every row. Returns the filter's new
        range ("" when unchanged)."""
        xml, start, end = self.xml, self.start, self.end
        view = memoryview(xml)  # runs of rows left alone are written without a copy
        sink.write(_grow_dimension(self.head, bounds))
        pending = next(rows, None)
        pos, copied, previous, last_with_cells = start, start, 0, 0
        for m in _ROW.finditer(xml, start, end):
            if m.start() != pos and xml[pos:m.start()].strip():
                raise Unpatchable("sheetData holds something besides rows")
            pos = m.end()
            first = _FIRST_ROW.match(m.group(1))
            row_attrs = None if first else attrs(m.group(1))
            if first is None and b"r" not in row_attrs:
                raise Unpatchable("a row without a row number")
            number = int(first.group(1) if first else row_attrs[b"r"])
            if number <= previous:
                raise Unpatchable("rows out of order")
            previous = number
            if pending is None or pending[0] > number:  # left alone: copied with its neighbours
                if m.start(3) >= 0 and xml.find(b"<c", m.start(3), m.end(3)) >= 0:
                    last_with_cells = number
                continue
            sink.write(view[copied:m.start()])
            copied = m.start()
            while pending is not None and pending[0] < number:
                sink.write(self._row(pending[0], {b"r": str(pending[0]).encode()}, b"", pending[1]))
                last_with_cells, pending = pending[0], next(rows, None)
            if pending is not None and pending[0] == number:
                sink.write(self._row(number, attrs(m.group(1)), m.group(3) or b"", pending[1]))
                last_with_cells, pending, copied = number, next(rows, None), m.end()
            elif m.start(3) >= 0 and xml.find(b"<c", m.start(3), m.end(3)) >= 0:
                last_with_cells = number
        if xml[pos:end].strip():
            raise Unpatchable("sheetData holds something besides rows")
        sink.write(view[copied:end])
        while pending is not None:
            sink.write(self._row(pending[0], {b"r": str(pending[0]).encode()}, b"", pending[1]))
            last_with_cells, pending = pending[0], next(rows, None)
        tail, ref = _extend_filter(self.tail, last_with_cells) if extend_filter else (self.tail, "")
        sink.write(tail)
        return ref


def _set_attribute(xml: bytes, tag: bytes, name: bytes, value: bytes, region: tuple[int, int] | None = None) -> bytes:
    """``xml`` with attribute ``name`` of the first ``<tag …>`` (in ``region``) set to ``value``."""
    m = re.compile(rb"<" + tag + rb"\b([^>]*?)(/?>)").search(xml, *(region or (0,)))
    if m is None:
        return xml
    a = attrs(m.group(1))
    a[name] = value
    return xml[:m.start()] + start_tag(tag, a)[:-1] + m.group(2) + xml[m.end():]


def _grow_dimension(head: bytes, bounds: tuple[int, int, int, int]) -> bytes:
    """``head`` with the sheet's dimension grown to cover ``bounds`` (r1, c1, r2, c2)."""
    m = re.search(rb'<dimension\b[^>]*\bref="([^"]+)"', head)
    if m is None:
        return head
    try:
        r1, c1, r2, c2 = range_box(m.group(1))
    except Unpatchable:
        return head
    r1, c1, r2, c2 = min(r1, bounds[0]), min(c1, bounds[1]), max(r2, bounds[2]), max(c2, bounds[3])
    ref = f"{column_letter(c1)}{r1}:{column_letter(c2)}{r2}".encode()
    return head[:m.start(1)] + ref + head[m.end(1):]


def _extend_filter(xml: bytes, last_row: int) -> tuple[bytes, str]:
    """``xml`` with a filter from A1 covering rows 1 to ``last_row`` (as ``extend_filter``),
    and its new range ("" when unchanged)."""
    m = re.search(rb'<autoFilter\b[^>]*\bref="(A1:[A-Z]+)[0-9]+"', xml)
    if m is None or last_row <= 1:
        return xml, ""
    ref = m.group(1) + str(last_row).encode()
    return xml[:m.start(1)] + ref + xml[m.end(0) - 1:], ref.decode()


def _workbook_xml(xml: bytes, filters: dict[int, str], titles: dict[int, str]) -> bytes:
    """workbook.xml with each patched filter's hidden ``_FilterDatabase`` name following it,
    and recalculation on load asked for (as openpyxl saves every workbook)."""
    for index, ref in filters.items():
        m = re.search(rb'<definedName\b[^>]*name="_xlnm._FilterDatabase"[^>]*localSheetId="' + str(index).encode()
                      + rb'"[^>]*>([^<]*)</definedName>', xml)
        if m is None:
            continue
        title = titles[index].replace("'", "''").replace("&", "&amp;").replace("<", "&lt;")
        first, last = ref.split(":")
        letters = last.rstrip("0123456789")
        value = f"'{title}'!$A$1:${letters}${last[len(letters):]}".encode()
        xml = xml[:m.start(1)] + value + xml[m.end(1):]
    if b"<calcPr" in xml:
        return _set_attribute(xml, b"calcPr", b"fullCalcOnLoad", b"1")
    for before in (b"<oleSize", b"<customWorkbookViews", b"<pivotCaches", b"<smartTagPr", b"<smartTagTypes",
                   b"<webPublishing", b"<fileRecoveryPr", b"<webPublishObjects", b"<extLst", b"</workbook>"):
        at = xml.find(before)
        if at >= 0:
            return xml[:at] + b'<calcPr fullCalcOnLoad="1"/>' + xml[at:]
    return xml


_ROW_OF = itemgetter(0)


def _writes_by_row(placed: list, appended: list) -> Iterator[tuple[int, RowWrites]]:
    """(row, column → [(text, colour, appended)]) for each written row, ascending; a cell's
    placed writes come before its appended ones, each in plan order. The cells are not copied:
    only two sorted lists of references to them are made."""
    p, a = sorted(placed, key=_ROW_OF), sorted(appended, key=_ROW_OF)
    i = j = 0
    while i < len(p) or j < len(a):
        row = min(p[i][0] if i < len(p) else 1 << 30, a[j][0] if j < len(a) else 1 << 30)
        cols: RowWrites = {}
        while i < len(p) and p[i][0] == row:
            cols.setdefault(p[i][1], []).append((p[i][2], p[i][3], False))
            i += 1
        while j < len(a) and a[j][0] == row:
            cols.setdefault(a[j][1], []).append((a[j][2], a[j][3], True))
            j += 1
        yield row, cols


def _bounds(*cell_lists: list) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column) of the cells in ``cell_lists``."""
    cells = [c for cl in cell_lists if cl for c in (min(cl, key=_ROW_OF), max(cl, key=_ROW_OF))]
    cols = [col for cl in cell_lists if cl for col in (min(c[1] for c in cl), max(c[1] for c in cl))]
    return min(c[0] for c in cells), min(cols), max(c[0] for c in cells), max(cols)


def patch_workbook(source: Path, target: str, placed: Cells, appended: Cells, grids: dict[str, Grid]) -> None:
    """Write into ``target`` the workbook at ``source`` with ``placed`` and ``appended`` cells
    written; every member the writes do not touch keeps its content and entry details
    (compression, timestamps).

    Raises :class:`Unpatchable` when the file holds anything this writer does not handle,
    before ``target`` is opened (the patched sheets are streamed into temporary files first).
    """
    with zipfile.ZipFile(source) as archive, ExitStack() as spools:
        parts = sheet_parts(archive)
        names = set(archive.namelist())
        if "xl/styles.xml" not in names:
            raise Unpatchable("no styles part")
        styles = Styles(archive.read("xl/styles.xml"))
        out: dict[str, bytes | IO[bytes]] = {}
        filters: dict[int, str] = {}
        for tab in dict.fromkeys([*placed, *appended]):
            if tab not in parts or parts[tab][1] not in names:
                raise Unpatchable(f"tab {tab!r} is not a worksheet of the file")
            index, part = parts[tab]
            mine, new = placed.get(tab, []), appended.get(tab, [])
            if not (mine or new):
                continue
            sheet = _Sheet(archive.read(part), styles, grids.get(tab))
            sink = spools.enter_context(tempfile.TemporaryFile(dir=Path(target).parent))  # beside the file
            ref = sheet.patch(_writes_by_row(mine, new), _bounds(mine, new), sink, extend_filter=bool(new))
            del sheet  # its copy of the sheet's XML
            if ref:
                filters[index] = ref
            out[part] = sink
        if styles.changed:
            out["xl/styles.xml"] = styles.to_bytes()
        out["xl/workbook.xml"] = _workbook_xml(archive.read("xl/workbook.xml"), filters,
                                               {i: title for title, (i, _) in parts.items()})
        with zipfile.ZipFile(target, "w") as zf:
            for item in archive.infolist():
                part = out.get(item.filename)
                if part is None:
                    zf.writestr(item, archive.read(item.filename))
                elif isinstance(part, bytes):
                    zf.writestr(item, part)
                else:
                    item.file_size = part.tell()  # zipfile decides on ZIP64 from it
                    part.seek(0)
                    with zf.open(item, "w") as member:
                        shutil.copyfileobj(part, member, 1 << 20)


__all__ = ["Unpatchable", "column_index", "patch_workbook"]
