"""Local workbook backend (.xlsx via openpyxl): the embedded default, fully offline.

- Keeps what it does not own: other tabs, formulas, people's formatting, column widths.
  (openpyxl drops a few Excel features it cannot read, such as images and pivot caches;
  keep those in another file.)
- Saves atomically: a temporary file in the same folder, flushed, then renamed over the
  original, so a crash leaves either the old or the new workbook, never a broken one.
- Refuses to write while Excel (``~$name.xlsx``) or LibreOffice (``.~lock.name.xlsx#``)
  holds the file.
- Text is stored as text: a customer message starting with ``=`` never becomes a formula.
- An alert's colour is the Alert cell's own fill, so it survives sorting and copying rows.
"""
from __future__ import annotations

import os
from copy import copy
import tempfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Sequence
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from .. import colours as colour_code
from ..appearance import new_tab, row_height
from ..errors import SpreadsheetAccessError
from ..schema import TabSchema
from .base import STATE_HEADERS, STATE_TAB, ApplyResult, Grid, NewTab, ReportTab, Snapshot, WritePlan, trim_rows
from .placement import append_rows, place

BOT_HEADER_FILL = PatternFill("solid", start_color="EFEFEF", end_color="EFEFEF")


def cell_text(value: object) -> str:
    """An openpyxl cell value as the raw text the rest of the product reads."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 and not value.microsecond else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def set_text(cell, text: str) -> None:
    """Store ``text`` as a string even when it looks like a formula (``=HYPERLINK(...)``)."""
    cell.value = text if text != "" else None
    if text.startswith("="):
        cell.data_type = "s"


def put(ws, row: int, col: int, text: str):
    """Set one cell as text; it takes its column's alignment (wrapped long text, top-aligned),
    as a cell typed into a formatted column would."""
    cell = ws.cell(row=row, column=col)
    set_text(cell, text)
    dim = ws.column_dimensions.get(get_column_letter(col))
    if dim is not None and dim.has_style and dim.alignment != cell.alignment:
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
    wrapped = [(column_index_from_string(letter), dim.width) for letter, dim in ws.column_dimensions.items()
               if dim.has_style and dim.alignment.wrap_text and dim.width]
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


def _grids(wb) -> dict[str, Grid]:
    out = {}
    for ws in wb.worksheets:
        rows = trim_rows([cell_text(v) for v in r] for r in ws.iter_rows(values_only=True))
        out[ws.title] = Grid(title=ws.title, rows=rows, hidden=ws.sheet_state != "visible")
    return out


class WorkbookBackend:
    """The :class:`~.base.Backend` port over one .xlsx file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.label = f"workbook {self.path.name}"

    # -- checks -----------------------------------------------------------------------
    def _lock_file(self) -> Path | None:
        for name in (f"~${self.path.name}", f".~lock.{self.path.name}#"):
            candidate = self.path.with_name(name)
            if candidate.exists():
                return candidate
        return None

    def _check_unlocked(self) -> None:
        lock = self._lock_file()
        if lock is not None:
            raise SpreadsheetAccessError(
                f"{self.path} is open in Excel or LibreOffice (lock file {lock.name}); close it and run again")

    def _load(self, **kwargs):
        if not self.path.is_file():
            raise SpreadsheetAccessError(f"workbook {self.path} not found: check the path, or create one with "
                                         f"`sheets-automation init --workbook {self.path}`")
        try:
            return load_workbook(self.path, **kwargs)
        except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
            raise SpreadsheetAccessError(
                f"workbook {self.path} cannot be read ({type(exc).__name__}); is it a valid .xlsx file?") from None

    # -- port -------------------------------------------------------------------------
    def read(self) -> Snapshot:
        wb = self._load(read_only=True, data_only=True)
        try:
            return Snapshot(grids=_grids(wb), timezone=None, title=self.path.name)
        finally:
            wb.close()

    def apply(self, plan: WritePlan) -> ApplyResult:
        result = ApplyResult()
        if not plan:
            return result
        self._check_unlocked()
        self._remove_stale_temp_files()
        before = self.path.stat().st_mtime_ns
        wb = self._load()
        for tab in plan.new_tabs:
            if tab.title not in wb.sheetnames:
                create_tab(wb, tab)
        fresh = _grids(wb)
        placed = place(plan, fresh)
        result.skipped.extend(placed.skipped)
        for tab, cells in placed.cells.items():
            ws = wb[tab]
            for row, col, value, colour in cells:
                cell = put(ws, row, col, value)
                if colour:
                    cell.fill = PatternFill("solid", start_color=colour_code.rgb(colour), end_color=colour_code.rgb(colour))
                elif colour_code.colour_of(value) is None and value == "" and cell.fill.fill_type == "solid":
                    cell.fill = PatternFill()
                result.written += 1
        appended_rows: set[tuple[str, int]] = set()
        appended = append_rows(plan, fresh)
        for tab, cells in appended.items():
            ws = wb[tab]
            for row, col, value, colour in cells:
                cell = put(ws, row, col, value)
                if colour:
                    cell.fill = PatternFill("solid", start_color=colour_code.rgb(colour))
                appended_rows.add((tab, row))
            extend_filter(ws)
        result.appended = len(appended_rows)
        touched: dict[str, set[int]] = {}
        for source in (placed.cells, appended):
            for tab, cells in source.items():
                touched.setdefault(tab, set()).update(row for row, *_ in cells)
        for tab, rows in touched.items():
            fit_rows(wb[tab], sorted(rows))
        for report in plan.reports:
            write_report(wb, report)
        if result.written or result.appended or plan.new_tabs or plan.reports:
            self._save(wb, before)
        return result

    def _remove_stale_temp_files(self) -> None:
        """Temp files left by a save that was killed hold customer data: remove them. The
        spreadsheet lock guarantees no other save of this workbook is under way."""
        for stale in self.path.parent.glob(f".{self.path.stem}.*.xlsx.tmp"):
            stale.unlink(missing_ok=True)

    def _save(self, wb, mtime_before: int) -> None:
        """Atomic save: temp file beside the original, fsync, then rename over it."""
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".xlsx.tmp", dir=self.path.parent)
        os.close(fd)
        try:
            wb.save(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            self._check_unlocked()
            if self.path.exists() and self.path.stat().st_mtime_ns != mtime_before:
                raise SpreadsheetAccessError(f"{self.path} was changed by another program while the job ran; "
                                             "nothing was written; run again")
            if self.path.exists():
                os.chmod(tmp, self.path.stat().st_mode & 0o777)
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def init_layout(self, schemas: Sequence[TabSchema]) -> list[str]:
        done: list[str] = []
        if self.path.exists():
            self._check_unlocked()
            wb = self._load()
            before = self.path.stat().st_mtime_ns
        else:
            wb = Workbook()
            wb.remove(wb.active)
            before = 0
            done.append(f"created {self.path.name}")
        from ..table import find_grid

        snapshot = Snapshot(grids=_grids(wb))
        for schema in schemas:
            existing = find_grid(snapshot, schema)
            if existing is not None:
                if schema.kind != "report":
                    done += _people_view(wb[existing.title])
                continue
            if schema.kind == "report":
                wb.create_sheet(schema.tab)
                done.append(f"added tab {schema.tab!r}")
                continue
            tab = new_tab(schema)
            ws = create_tab(wb, tab)
            by_header = {c.header: c for c in schema.columns}
            for i, header in enumerate(tab.headers, start=1):
                col, cell = by_header[header], ws.cell(row=1, column=i)
                if col.owner == "bot" and not col.fill_if_blank:
                    cell.fill = BOT_HEADER_FILL
                    cell.comment = Comment("Filled by sheets-automation. If you type here, the automation "
                                           "leaves your text alone until you clear the cell.", "sheets-automation")
                if col.type == "enum":
                    dv = DataValidation(type="list", formula1='"' + ",".join(col.values) + '"', allow_blank=True,
                                        showErrorMessage=False)
                    dv.add(f"{cell.column_letter}2:{cell.column_letter}10000")
                    ws.add_data_validation(dv)
            done.append(f"added tab {schema.tab!r} with {len(schema.columns)} headers, frozen header row, "
                        "a filter, dropdowns on choice columns")
        if STATE_TAB not in wb.sheetnames:
            ws = wb.create_sheet(STATE_TAB)
            ws.append(list(STATE_HEADERS))
            # hidden, unless it would be the only sheet (a workbook needs one visible sheet)
            if any(other.sheet_state == "visible" for other in wb.worksheets if other is not ws):
                ws.sheet_state = "hidden"
            done.append(f"added hidden tab {STATE_TAB!r} (what the automation last wrote)")
        if done:
            if before:
                self._save(wb, before)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                wb.save(self.path)
        return done


def _people_view(ws) -> list[str]:
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


def write_report(wb, report: ReportTab) -> None:
    """Replace a tab's content with ``report`` (numbers stay numbers); add its line chart once."""
    from openpyxl.chart import LineChart, Reference

    ws = wb[report.title] if report.title in wb.sheetnames else wb.create_sheet(report.title)
    for i, width in enumerate(report.widths, start=1):  # only where nobody set a width
        if get_column_letter(i) not in ws.column_dimensions:
            ws.column_dimensions[get_column_letter(i)].width = width
    if ws.max_row:
        ws.delete_rows(1, ws.max_row)
    for r, row in enumerate(report.rows, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.cell(row=r, column=c).value = value
            elif value != "":
                set_text(ws.cell(row=r, column=c), str(value))
    spec = report.chart
    if spec is None or ws._charts:  # an existing chart keeps pointing at the same fixed block
        return
    chart = LineChart()
    chart.title = spec.title
    chart.height, chart.width = 8, 18
    for col in spec.y_cols:
        chart.add_data(Reference(ws, min_col=col, min_row=spec.header_row, max_row=spec.last_row), titles_from_data=True)
    for series in chart.series:
        series.smooth = False  # straight lines between weekly counts, never overshooting them
    chart.set_categories(Reference(ws, min_col=spec.x_col, min_row=spec.header_row + 1, max_row=spec.last_row))
    ws.add_chart(chart, f"{get_column_letter(spec.anchor[1])}{spec.anchor[0]}")
