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
import tempfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Sequence
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from .. import colours as colour_code
from ..errors import SpreadsheetAccessError
from ..schema import TabSchema
from .base import STATE_HEADERS, STATE_TAB, ApplyResult, Grid, ReportTab, Snapshot, WritePlan, trim_rows
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
                ws = wb.create_sheet(tab.title)
                ws.append(list(tab.headers))
                if tab.hidden:
                    ws.sheet_state = "hidden"
        fresh = _grids(wb)
        placed = place(plan, fresh)
        result.skipped.extend(placed.skipped)
        for tab, cells in placed.cells.items():
            ws = wb[tab]
            for row, col, value, colour in cells:
                cell = ws.cell(row=row, column=col)
                set_text(cell, value)
                if colour:
                    cell.fill = PatternFill("solid", start_color=colour_code.rgb(colour), end_color=colour_code.rgb(colour))
                elif colour_code.colour_of(value) is None and value == "" and cell.fill.fill_type == "solid":
                    cell.fill = PatternFill()
                result.written += 1
        appended_rows: set[tuple[str, int]] = set()
        for tab, cells in append_rows(plan, fresh).items():
            ws = wb[tab]
            for row, col, value, colour in cells:
                set_text(ws.cell(row=row, column=col), value)
                if colour:
                    ws.cell(row=row, column=col).fill = PatternFill("solid", start_color=colour_code.rgb(colour))
                appended_rows.add((tab, row))
        result.appended = len(appended_rows)
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
            if find_grid(snapshot, schema) is not None:
                continue
            ws = wb.create_sheet(schema.tab)
            if schema.kind == "report":
                done.append(f"added tab {schema.tab!r}")
                continue
            ws.append(list(schema.headers))
            ws.freeze_panes = "A2"
            for i, col in enumerate(schema.columns, start=1):
                cell = ws.cell(row=1, column=i)
                cell.font = Font(bold=True)
                letter = cell.column_letter
                ws.column_dimensions[letter].width = max(12, min(40, len(col.header) + 4))
                if col.owner == "bot" and not col.fill_if_blank:
                    cell.fill = BOT_HEADER_FILL
                    cell.comment = Comment("Filled by sheets-automation. If you type here, the automation "
                                           "leaves your text alone until you clear the cell.", "sheets-automation")
                if col.type == "enum":
                    dv = DataValidation(type="list", formula1='"' + ",".join(col.values) + '"', allow_blank=True,
                                        showErrorMessage=False)
                    dv.add(f"{letter}2:{letter}10000")
                    ws.add_data_validation(dv)
            done.append(f"added tab {schema.tab!r} with {len(schema.columns)} headers, frozen header row, "
                        "dropdowns on choice columns")
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


def write_report(wb, report: ReportTab) -> None:
    """Replace a tab's content with ``report`` (numbers stay numbers); add its line chart once."""
    from openpyxl.chart import LineChart, Reference
    from openpyxl.utils import get_column_letter

    ws = wb[report.title] if report.title in wb.sheetnames else wb.create_sheet(report.title)
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
    chart.set_categories(Reference(ws, min_col=spec.x_col, min_row=spec.header_row + 1, max_row=spec.last_row))
    ws.add_chart(chart, f"{get_column_letter(spec.anchor[1])}{spec.anchor[0]}")
