"""Local workbook backend (.xlsx/.xlsm): the embedded default, fully offline.

- Reads values with python-calamine (:mod:`.workbook_read`). When the file has not changed
  since the read, that read is the fresh grid placement works on; otherwise it is read again.
- Writes cells and appended rows on existing tabs straight into the file's XML
  (:mod:`.workbook_patch`): only the rows written are rewritten, every other part of the file
  is copied as it was (issue #15). A plan that creates tabs or rewrites reports, or a file
  the patcher does not handle confidently, is loaded and saved whole with openpyxl instead,
  once, under the run's lock. ``SHEETS_AUTOMATION_WORKBOOK_WRITER=openpyxl`` (or
  ``WorkbookBackend(path, writer="openpyxl")``) always takes the openpyxl way; the
  equivalence tests compare the two.
- Keeps what people made: rich text, an .xlsm's macros, formulas' last results
  (:mod:`.workbook_formulas`); never writes into a merged range (placement names it).
- Keeps what it does not own: other tabs, formulas, people's formatting, column widths.
  The XML patcher copies images and pivot caches as they are; a run that goes through openpyxl
  drops them (openpyxl cannot read them), so keep those in another file.
- Saves atomically (:mod:`.workbook_save`): a temporary file in the same folder, flushed, then
  renamed over the original (a symlink's target), so a crash leaves either the old or the new
  workbook, never a broken one; a read-only file, a full disk or an unwritable folder is one line.
- Refuses to write while Excel (``~$name.xlsx``) or LibreOffice (``.~lock.name.xlsx#``)
  holds the file.
- Text is stored as text: a customer message starting with ``=`` never becomes a formula.
- An alert's colour is the Alert cell's own fill, so it survives sorting and copying rows.
"""
from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Sequence
from zipfile import BadZipFile


from .. import colours as colour_code, logs
from ..appearance import new_tab
from ..errors import ConfigError, SpreadsheetAccessError
from ..schema import TabSchema, normalise_header
from .base import STATE_HEADERS, STATE_TAB, ApplyResult, Grid, ReportTab, RowAppend, Snapshot, WritePlan
from .placement import append_rows, place
from .workbook_read import CalamineError, has_rich_text, read_grids
from .workbook_save import atomic_save, check_writable, real_path, remove_stale_temp_files

BOT_HEADER_FILL = "EFEFEF"  # header cells of columns the automation fills
WRITER_ENV = "SHEETS_AUTOMATION_WORKBOOK_WRITER"  # "openpyxl": never patch the XML (for comparisons)


class WorkbookBackend:
    """The :class:`~.base.Backend` port over one .xlsx file."""

    version_probe = None  # a local file costs no quota: no settled claim (see base.Backend)
    layout_learnt = False
    requests = 0  # no Sheets API

    def __init__(self, path: str | Path, writer: str | None = None):
        self.path = Path(path)
        self.label = f"workbook {self.path.name}"
        self.writer = writer or os.environ.get(WRITER_ENV, "") or "patch"
        if self.writer not in ("patch", "openpyxl"):
            raise ConfigError(f"{WRITER_ENV}={self.writer!r} is not a workbook writer: use 'patch' (the default) "
                              "or 'openpyxl', or unset it")
        self.wrote_with = ""  # how the last apply saved: "patch", "openpyxl" or "" (nothing saved)

    def use_layout(self, text: str) -> bool:
        """A workbook is read whole each run: no layout is kept."""
        return False

    def layout(self) -> str:
        return ""

    # -- checks -----------------------------------------------------------------------
    def _lock_file(self) -> Path | None:
        for path in dict.fromkeys((self.path, real_path(self.path))):  # beside the link and beside its target
            for name in (f"~${path.name}", f".~lock.{path.name}#"):
                candidate = path.with_name(name)
                if candidate.exists():
                    return candidate
        return None

    def _check_unlocked(self) -> None:
        lock = self._lock_file()
        if lock is not None:
            raise SpreadsheetAccessError(
                f"{self.path} is open in Excel or LibreOffice (lock file {lock.name}); close it and run again")

    def _check_found(self) -> None:
        if not self.path.is_file():
            raise SpreadsheetAccessError(f"workbook {self.path} not found: check the path, or create one with "
                                         f"`sheets-automation init --workbook {self.path}`")

    def _unreadable(self, exc: Exception) -> SpreadsheetAccessError:
        return SpreadsheetAccessError(
            f"workbook {self.path} cannot be read ({type(exc).__name__}); is it a valid .xlsx file?")

    def _load(self):
        """The whole workbook for editing (the one full openpyxl load of a writing run). Rich
        text in people's cells stays rich; an .xlsm keeps its macros."""
        from openpyxl import load_workbook  # imported only by runs that write: an idle run never needs it
        from openpyxl.utils.exceptions import InvalidFileException

        self._check_found()
        try:
            return load_workbook(self.path, rich_text=has_rich_text(self.path),
                                 keep_vba=self.path.suffix.lower() == ".xlsm")
        except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
            raise self._unreadable(exc) from None

    def _read_grids(self) -> dict[str, Grid]:
        self._check_found()
        try:
            return read_grids(self.path)
        except (CalamineError, OSError, ValueError) as exc:
            raise self._unreadable(exc) from None

    def _signature(self) -> tuple[int, int, int]:
        st = self.path.stat()
        return st.st_mtime_ns, st.st_size, st.st_ino

    # -- port -------------------------------------------------------------------------
    def read(self) -> Snapshot:
        """Every tab's values through the fast reader; no openpyxl load (an idle run costs
        only this)."""
        signature = self._signature() if self.path.is_file() else None
        grids = self._read_grids()
        self._seen = (signature, grids)
        return Snapshot(grids=grids, timezone=None, title=self.path.name)

    def _fresh_grids(self) -> dict[str, Grid]:
        """The grids as the file holds them now: the ones :meth:`read` saw when the file has not
        changed since (same mtime, size and inode), else a fresh fast read."""
        seen = getattr(self, "_seen", None)
        if seen is not None and seen[0] == self._signature():
            return dict(seen[1])
        return self._read_grids()

    def apply(self, plan: WritePlan) -> ApplyResult:
        self.wrote_with = ""
        if not plan:
            return ApplyResult()
        self._check_unlocked()
        check_writable(self.path)
        self._remove_stale_temp_files()
        before = real_path(self.path).stat().st_mtime_ns
        fresh = self._fresh_grids()
        if self.writer != "openpyxl" and not plan.new_tabs and not plan.reports:
            result = self._apply_patch(plan, fresh, before)
            if result is not None:
                return result
        return self._apply_openpyxl(plan, fresh, before)

    def _apply_patch(self, plan: WritePlan, fresh: dict[str, Grid], before: int) -> ApplyResult | None:
        """Cells and appended rows written into the file's XML (:mod:`.workbook_patch`); None
        when the file holds something the patcher leaves to openpyxl (nothing written then)."""
        from xml.etree.ElementTree import ParseError

        from .workbook_patch import Unpatchable, patch_workbook

        result = ApplyResult()
        placed = place(plan, fresh)
        result.skipped.extend(placed.skipped)
        appended = append_rows(replace(plan, appends=not_yet_appended(plan, fresh)), fresh)
        result.written = sum(len(cells) for cells in placed.cells.values())
        result.appended = len({(tab, row) for tab, cells in appended.items() for row, *_ in cells})
        if not (result.written or result.appended):
            return result
        try:  # the patcher gives up before it writes the temporary file atomic_save renames
            atomic_save(lambda tmp: patch_workbook(self.path, tmp, placed.cells, appended, fresh), self.path, before,
                        self._check_unlocked)
        except (Unpatchable, BadZipFile, ParseError) as exc:
            logs.event("workbook written with openpyxl", logging.DEBUG, reason=str(exc))
            return None
        except (KeyError, ValueError) as exc:  # a part the patcher misread: openpyxl still writes it right
            logs.event("workbook written with openpyxl: the XML patcher failed", logging.WARNING,
                       reason=f"{type(exc).__name__}: {exc}")
            return None
        self.wrote_with = "patch"
        return result

    def _apply_openpyxl(self, plan: WritePlan, fresh: dict[str, Grid], before: int) -> ApplyResult:
        """The whole workbook loaded, edited and saved with openpyxl (new tabs, reports, and any
        file the patcher does not handle)."""
        wb = self._load()
        try:
            return self._edit(wb, plan, fresh, before)
        finally:
            close_macros(wb)

    def _edit(self, wb, plan: WritePlan, fresh: dict[str, Grid], before: int) -> ApplyResult:
        from openpyxl.styles import PatternFill

        from .workbook_formulas import cached_formula_values
        from .workbook_looks import column_styles, create_tab, extend_filter, fit_rows, put
        result = ApplyResult()
        cached = cached_formula_values(wb, self.path)
        for tab in plan.new_tabs:
            if tab.title not in wb.sheetnames:
                create_tab(wb, tab)
                fresh[tab.title] = Grid(title=tab.title, rows=(tuple(tab.headers),) if tab.headers else ())
        placed = place(plan, fresh)
        fills: dict = {}
        result.skipped.extend(placed.skipped)
        for tab, cells in placed.cells.items():
            ws = wb[tab]
            columns = column_styles(ws)
            for row, col, value, colour in cells:
                cell = put(ws, row, col, value, columns)
                if colour:
                    if colour not in fills:  # one fill object per colour, shared by its cells
                        fills[colour] = PatternFill("solid", start_color=colour_code.rgb(colour),
                                                    end_color=colour_code.rgb(colour))
                    cell.fill = fills[colour]
                elif value == "" and colour_code.colour_of(value) is None and cell.fill.fill_type == "solid":
                    cell.fill = PatternFill()
                result.written += 1
        appended_rows: set[tuple[str, int]] = set()
        appended = append_rows(replace(plan, appends=not_yet_appended(plan, fresh)), fresh)
        for tab, cells in appended.items():
            ws = wb[tab]
            columns = column_styles(ws)
            for row, col, value, colour in cells:
                cell = put(ws, row, col, value, columns)
                if colour:
                    if ("append", colour) not in fills:
                        fills["append", colour] = PatternFill("solid", start_color=colour_code.rgb(colour))
                    cell.fill = fills["append", colour]
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
            self._save(wb, before, cached)
            self.wrote_with = "openpyxl"
        return result

    def _remove_stale_temp_files(self) -> None:
        remove_stale_temp_files(self.path)

    def _save(self, wb, mtime_before: int, cached: dict | None = None) -> None:
        """Atomic save (:func:`.workbook_save.atomic_save`), through a symlink to its target;
        formulas keep the results they had (``cached``, see :mod:`.workbook_formulas`)."""
        from .workbook_formulas import formula_texts, restore_cached_values

        texts = formula_texts(wb, cached or {})

        def write(tmp: str) -> None:
            wb.save(tmp)
            restore_cached_values(tmp, cached or {}, texts)

        atomic_save(write, self.path, mtime_before, self._check_unlocked)

    def init_layout(self, schemas: Sequence[TabSchema]) -> list[str]:
        from openpyxl import Workbook
        from openpyxl.comments import Comment
        from openpyxl.styles import PatternFill
        from openpyxl.worksheet.datavalidation import DataValidation

        from .workbook_formulas import cached_formula_values
        from .workbook_looks import create_tab, people_view

        done: list[str] = []
        if self.path.exists():
            self._check_unlocked()
            check_writable(self.path)
            existing = self._read_grids()
            wb = self._load()
            cached = cached_formula_values(wb, self.path)
            before = real_path(self.path).stat().st_mtime_ns
        else:
            wb = Workbook()
            wb.remove(wb.active)
            before = 0
            existing = {}
            cached = {}
            done.append(f"created {self.path.name}")
        from ..table import find_grid

        snapshot = Snapshot(grids=existing)
        for schema in schemas:
            found = find_grid(snapshot, schema)
            if found is not None:
                if schema.kind != "report":
                    done += people_view(wb[found.title])
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
                    cell.fill = PatternFill("solid", start_color=BOT_HEADER_FILL, end_color=BOT_HEADER_FILL)
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
                self._save(wb, before, cached)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                wb.save(self.path)
        close_macros(wb)
        return done


def close_macros(wb) -> None:
    """Close the in-memory archive openpyxl keeps an .xlsm's macros in (``keep_vba``) and never
    closes: left to the garbage collector, it may be finalised after its buffer and print an
    error long after the run."""
    archive = getattr(wb, "vba_archive", None)
    if archive is not None:
        archive.close()


def not_yet_appended(plan: WritePlan, grids: dict[str, Grid]) -> list[RowAppend]:
    """``plan.appends`` less those whose row is already in the tab, same values under the same
    headers: a run retried after a save that landed (a kill just past the rename) adds no
    second copy."""
    seen: dict[tuple[str, tuple[str, ...]], set[tuple[str, ...]]] = {}
    out = []
    for a in plan.appends:
        grid = grids.get(a.tab)
        if grid is None or len(grid.rows) < 2:
            out.append(a)
            continue
        headers = tuple(h for h, _ in a.values)
        key = (a.tab, headers)
        if key not in seen:
            cols = {normalise_header(h): i for i, h in reversed(list(enumerate(grid.rows[0], start=1)))}
            where = [cols.get(normalise_header(h)) for h in headers]
            seen[key] = ({tuple(grid.cell(r, c) if c else "" for c in where) for r in range(2, len(grid.rows) + 1)}
                         if all(where) else set())
        if tuple(v for _, v in a.values) not in seen[key]:
            out.append(a)
    return out


def write_report(wb, report: ReportTab) -> None:
    """Replace a tab's content with ``report`` (numbers stay numbers); add its line chart once."""
    from openpyxl.chart import LineChart, Reference
    from openpyxl.utils import get_column_letter

    from .workbook_looks import set_text

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
