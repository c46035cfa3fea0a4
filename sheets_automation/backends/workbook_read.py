"""Fast read of a workbook's values (python-calamine), shaped exactly as the openpyxl read was.

Reading is most of what a run does and most runs write nothing, so the read never builds
openpyxl cell objects (issue #15): calamine parses the cached values straight into Python
lists, several times faster and in a fraction of the memory. The text of every cell is
the same one :func:`cell_text` gave from openpyxl (dates as ``YYYY-MM-DD HH:MM``, whole
numbers without ``.0``, booleans as ``TRUE``/``FALSE``), so nothing downstream can tell.

Work is bounded by the cells that hold data, not by the sheet's stored dimension: a format
applied down to row 1,048,576 costs nothing (issue #13).
"""
from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable

from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from .base import Grid, shared_texts


def cell_text(value: object) -> str:
    """A cell value (openpyxl or calamine) as the raw text the rest of the product reads."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.microsecond:  # openpyxl rounds serials to the millisecond; so do we
            value = value.replace(microsecond=0) + timedelta(milliseconds=round(value.microsecond / 1000))
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 and not value.microsecond else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):  # calamine gives a date where openpyxl gave midnight
        return value.isoformat() + " 00:00"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _row_text(row: list, one: Callable[[str, str], str]) -> tuple[str, ...]:
    """A row's cells as text, trailing blanks dropped; equal short texts become one object
    through ``one`` (:func:`.base.shared_texts`)."""
    out = shared_texts(row, cell_text, one)
    while out and out[-1] == "":
        out.pop()
    return tuple(out)


def read_grids(path: Path) -> dict[str, Grid]:
    """Every tab of the workbook at ``path`` as text grids, in tab order, with merged ranges.

    Raises :class:`CalamineError` (or ``OSError``) when the file is not a readable workbook.
    """
    out: dict[str, Grid] = {}
    with CalamineWorkbook.from_path(str(path)) as wb:
        for meta in wb.sheets_metadata:
            sheet = wb.get_sheet_by_name(meta.name)
            # padded from A1; ends at the last cell holding data, whatever the stored dimension says
            # (each row is trimmed by _row_text; only the trailing blank rows are left to drop)
            one = {}.setdefault
            rows = [_row_text(r, one) for r in sheet.to_python(skip_empty_area=False)]
            while rows and not rows[-1]:
                rows.pop()
            rows = tuple(rows)
            merged = tuple((a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in (sheet.merged_cell_ranges or ()))
            out[meta.name] = Grid(title=meta.name, rows=rows, hidden=meta.visible != SheetVisibleEnum.Visible,
                                  merged=merged)
    return out


_RUN = re.compile(rb"<(?:\w+:)?r>")  # a rich-text run (<r>), not a row (<row ...>)


def has_rich_text(path: Path) -> bool:
    """Whether any string in the workbook carries formatting runs (bold or red words).

    Loading with openpyxl's ``rich_text=True`` keeps them but costs a third more, so it is
    asked for only when there is rich text to keep. Shared strings (where Excel keeps it) are
    checked first, then each worksheet (where openpyxl keeps it), chunk by chunk.
    """
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n == "xl/sharedStrings.xml" or
                 (n.startswith("xl/worksheets/") and n.endswith(".xml"))]
        for name in sorted(names, key=lambda n: n != "xl/sharedStrings.xml"):
            with archive.open(name) as fh:
                tail = b""
                while chunk := fh.read(1 << 20):
                    if _RUN.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


__all__ = ["CalamineError", "cell_text", "has_rich_text", "read_grids"]
