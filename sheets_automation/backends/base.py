"""The spreadsheet port: what every backend reads and writes.

A run reads every tab once (:meth:`Backend.read` → :class:`Snapshot`), computes a
:class:`WritePlan` with pure functions, and hands it to :meth:`Backend.apply`, which
re-reads, finds each row by key and each column by header in the *fresh* grid
(:mod:`.placement`), writes a cell only if it still holds what was read (so a person's
edit made meanwhile wins), and writes everything in one batch.

Grid example (raw text as typed; ragged rows allowed)::

    rows[0]  ("Case ID", "Order ID", "Paid at",          "Alert")       ← sheet row 1
    rows[1]  ("CS-00001", "#1001",   "2025-03-01 14:00", "Overdue · S1")  ← sheet row 2
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

from ..schema import TabSchema

STATE_TAB = "_automation"
"""Hidden tab where the automation keeps fingerprints of what it last wrote per row."""
STATE_HEADERS = ("Row key", "Fingerprints")


@dataclass(frozen=True, slots=True)
class Grid:
    """One tab's cells as raw text. ``rows[i]`` is sheet row ``i + 1``."""

    title: str
    rows: tuple[tuple[str, ...], ...]
    sheet_id: int | None = None
    hidden: bool = False
    merged: tuple[tuple[int, int, int, int], ...] = ()  # merged ranges (first row, first col, last row, last col)

    def cell(self, row: int, col: int) -> str:
        """1-based row and column; blank beyond the ragged edge."""
        if row < 1 or row > len(self.rows):
            return ""
        r = self.rows[row - 1]
        return r[col - 1] if 1 <= col <= len(r) else ""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every tab of a spreadsheet, read in one go."""

    grids: dict[str, Grid]  # by tab title, in the spreadsheet's tab order
    timezone: str | None = None  # the spreadsheet's own time zone (Google); None for a workbook
    title: str = ""


@dataclass(slots=True)
class RowRef:
    """How to find a row again after people moved things.

    ``key`` is the row's key as read; blank when the row had no unique key (none yet, or a
    duplicated one), in which case the row is found at ``row`` if its ``anchor`` cells
    (header, value; the key cell included) still match, else wherever the anchor matches
    exactly one row.
    """

    key_header: str
    key: str
    row: int
    anchor: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class CellWrite:
    """Set one cell, found by row key and column header, if it still holds ``old``.

    Not frozen, nor are :class:`RowRef` and :class:`RowAppend` (treat all three as values:
    nothing changes one once made). A frozen dataclass sets each field through
    ``object.__setattr__``, which made building one cost 1.2 µs instead of 0.2 µs, and a
    first run at 100k case rows builds over 600,000 of them (#15)."""

    tab: str
    ref: RowRef
    header: str
    old: str
    new: str
    colour: str | None = None  # policy colour for coloured columns (Alert); None = no fill
    rule: str = ""  # rule IDs behind the value, for the dry-run listing and the audit trail


@dataclass(slots=True)
class RowAppend:
    """Add a row at the bottom of a tab (values by header; headers not in the tab are dropped)."""

    tab: str
    values: tuple[tuple[str, str], ...]
    colours: tuple[tuple[str, str], ...] = ()  # (header, colour)
    rule: str = ""


@dataclass(frozen=True, slots=True)
class ColumnLook:
    """How one column of a created tab looks: ``width`` in characters; ``wrap`` long text
    (wrapped, top-aligned)."""

    width: int
    wrap: bool = False


@dataclass(frozen=True, slots=True)
class NewTab:
    """A tab to create (the state tab on first run, or ``init``).

    With ``looks`` (one per header, see :mod:`..appearance`) it is a tab for people: header
    row bold and frozen, a filter over it, column widths, long text wrapped and top-aligned.
    """

    title: str
    headers: tuple[str, ...]
    hidden: bool = False
    looks: tuple[ColumnLook, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportChart:
    """A line chart over a block of a report tab: 1-based rows (header row, then data rows),
    ``x_col`` the categories, ``y_cols`` one series each (the header names the series)."""

    title: str
    header_row: int
    last_row: int
    x_col: int
    y_cols: tuple[int, ...]
    anchor: tuple[int, int] = (2, 12)  # (row, col) of the chart's top-left cell


@dataclass(frozen=True, slots=True)
class ReportTab:
    """A tab written whole from A1 (the Weekly report, the audit Log): old content beyond
    ``rows`` is cleared. Cells are text or numbers. ``chart`` is added once, when absent."""

    title: str
    rows: tuple[tuple[str | int | float, ...], ...]
    chart: ReportChart | None = None
    rule: str = ""
    widths: tuple[int, ...] = ()  # column widths in characters, set where nobody set one

    def text_rows(self) -> tuple[tuple[str, ...], ...]:
        """The rows as a backend reads them back (numbers in shortest form, trailing blanks trimmed)."""
        def text(v) -> str:
            if isinstance(v, float):
                return str(int(v)) if v.is_integer() else repr(v)
            return str(v)
        return trim_rows(tuple(text(v) for v in r) for r in self.rows)


SHARED_TEXT = 64  # texts up to this length are shared between cells (shared_texts)


def shared_texts(row, cell_text: Callable[[object], str], one: Callable[[str, str], str]) -> list[str]:
    """A row's cells as text (strings as they are, anything else through the backend's
    ``cell_text``), each text of up to ``SHARED_TEXT`` characters as one object for every
    cell of the grid that holds it (``one``: the ``setdefault`` of a dict kept per grid).

    A reader makes a new string per cell, and most cells of a sheet repeat a few texts
    (statuses, countries, dates, alerts); the grid lives through the whole run. At 100k rows
    on the bench sheet: a writing Google run's peak 87 MB lower, idle runs' about 145 MB;
    and the later hashing and comparing of cells is faster on shared objects (a Google idle
    run 1.5 to 2.5 s less; a workbook run gains as much in typing as its read pays for the
    lookups; docs/benchmarks.md)."""
    return [one(t, t) if len(t) <= SHARED_TEXT else t for t in [v if type(v) is str else cell_text(v) for v in row]]


def trim_rows(rows) -> tuple[tuple[str, ...], ...]:
    """Trailing blank cells of each row and trailing blank rows dropped."""
    out = []
    for r in rows:
        n = len(r)
        while n and r[n - 1] == "":
            n -= 1
        out.append(tuple(r) if n == len(r) else tuple(r[:n]))
    while out and not out[-1]:
        out.pop()
    return tuple(out)


@dataclass(slots=True)
class WritePlan:
    cells: list[CellWrite] = field(default_factory=list)
    appends: list[RowAppend] = field(default_factory=list)
    new_tabs: list[NewTab] = field(default_factory=list)
    reports: list[ReportTab] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.cells or self.appends or self.new_tabs or self.reports)


@dataclass(slots=True)
class ApplyResult:
    written: int = 0  # cells written
    appended: int = 0  # rows appended
    skipped: list[str] = field(default_factory=list)  # one line each: why a write did not land
    api_calls: int = 0  # reads + writes this apply cost (0 for a workbook)
    repaired: int = 0  # writes a person's move displaced during the write, put right (Google)
    settled_version: str = ""  # the version probe's answer when the write is proven settled (Google)


class Backend(Protocol):
    """What a spreadsheet backend offers. Implementations: workbook, Google Sheets."""

    label: str  # e.g. "workbook demo.xlsx" or "Google Sheet 1AbC…"; no secrets
    version_probe: Callable[[], str] | None  # the change check's version source, asked after a write (#12)
    layout_learnt: bool  # this backend learnt the tabs from the spreadsheet (not only from a kept layout)
    requests: int  # Sheets API requests made so far, reads included (0 for a workbook)

    def use_layout(self, text: str) -> bool:
        """Trust a layout :meth:`layout` gave in an earlier run for the next read; returns
        whether it was taken (Google: the read is then one call; workbook: never)."""

    def layout(self) -> str:
        """What the backend knows of the tabs besides their values, as text ("" if nothing)."""

    def read(self) -> Snapshot:
        """Read every tab in one batched read. Raises SpreadsheetAccessError."""

    def apply(self, plan: WritePlan) -> ApplyResult:
        """Re-read, place by key/header, compare-and-set, write in one batch. Empty plan: no call."""

    def init_layout(self, schemas: Sequence[TabSchema]) -> list[str]:
        """Create missing tabs with headers, frozen header row, enum dropdowns, warning-only
        protection on bot columns, alert colour rules. Idempotent; never touches data.
        Returns one line per thing it did."""
