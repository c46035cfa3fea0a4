"""How the workbook looks to people: created tabs laid out (bold frozen header, a filter,
widths, long text wrapped and top-aligned), written cells taking their column's alignment,
wrapped rows tall enough for their text, filters that keep covering new rows.

Imported only by runs that write (openpyxl is loaded lazily, see :mod:`.workbook`).
"""
from __future__ import annotations

from copy import copy

from openpyxl.styles import Alignment, Font
from openpyxl.utils import column_index_from_string, get_column_letter

from ..appearance import row_height
from .base import NewTab
from .workbook_read import cell_text


def set_text(cell, text: str) -> None:
    """Write ``text`` as a literal string: never a formula, even when it starts with ``=``."""
    cell.value = text if text != "" else None
    if isinstance(text, str) and text.startswith("="):
        cell.data_type = "s"


def column_styles(ws) -> dict[int, object]:
    """Column number → the styled column dimension over it. A dimension over a range of
    columns (``<col min="2" max="4">``, as Excel and LibreOffice save alike columns) counts
    for each of them, as in Excel; openpyxl files it under the first column only."""
    out = {}
    for dim in ws.column_dimensions.values():
        if dim.has_style:
            first = dim.min or column_index_from_string(dim.index)
            for col in range(first, min(dim.max or first, 16384) + 1):
                out[col] = dim
    return out


def put(ws, row: int, col: int, text: str, columns: dict[int, object] | None = None):
    """Set one cell as text; it takes its column's alignment (wrapped long text, top-aligned),
    as a cell typed into a formatted column would. ``columns``: :func:`column_styles` of
    ``ws``, when the caller has it."""
    cell = ws.cell(row=row, column=col)
    set_text(cell, text)
    dim = (column_styles(ws) if columns is None else columns).get(col)
    if dim is not None and dim.alignment != cell.alignment:
        cell.alignment = copy(dim.alignment)
    return cell


def create_tab(wb, tab: NewTab):
    """A new sheet with ``tab``'s header row; with looks, laid out for people (bold frozen
    header row, a filter over it, widths, long text wrapped and top-aligned)."""
    ws = wb.create_sheet(tab.title)
    ws.append(list(tab.headers))
    if tab.hidden:
        ws.sheet_state = "hidden"
    if not tab.looks:
        return ws
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(tab.headers))}1"
    for i, look in enumerate(tab.looks, start=1):
        letter = get_column_letter(i)
        ws.cell(row=1, column=i).font = Font(bold=True)
        dim = ws.column_dimensions[letter]
        dim.width = look.width
        dim.alignment = Alignment(vertical="top", wrap_text=look.wrap or None)
    return ws


def fit_rows(ws, rows) -> None:
    """Grow ``rows`` to the height their wrapped cells need (spreadsheet programs do not
    re-measure rows when opening a file); a row a person made taller is never shrunk."""
    wrapped = [(col, dim.width) for col, dim in column_styles(ws).items() if dim.alignment.wrap_text and dim.width]
    if not wrapped:
        return
    for row in rows:
        height = row_height((cell_text(ws.cell(row=row, column=c).value), w) for c, w in wrapped)
        current = ws.row_dimensions[row].height if row in ws.row_dimensions else None
        if height is not None and (current is None or current < height):
            ws.row_dimensions[row].height = height


def extend_filter(ws) -> None:
    """Keep a filter that starts on the header row covering every row (new rows included)."""
    ref = ws.auto_filter.ref
    if ref and ref.startswith("A1:") and ws.max_row > 1:
        last_col = ref[3:].rstrip("0123456789")
        ws.auto_filter.ref = f"A1:{last_col}{ws.max_row}"


def people_view(ws) -> list[str]:
    """An existing tab gets a frozen header row and a filter when it has none (people's
    columns, widths and formats are left as they are)."""
    done = []
    if not ws.freeze_panes:
        ws.freeze_panes = "A2"
        done.append(f"froze the header row of {ws.title!r}")
    if not ws.auto_filter.ref and ws.max_column:
        ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{max(ws.max_row, 1)}"
        done.append(f"added a filter on {ws.title!r}")
    return done
