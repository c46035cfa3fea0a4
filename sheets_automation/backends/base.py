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
from typing import Protocol, Sequence

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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class CellWrite:
    """Set one cell, found by row key and column header, if it still holds ``old``."""

    tab: str
    ref: RowRef
    header: str
    old: str
    new: str
    colour: str | None = None  # policy colour for coloured columns (Alert); None = no fill
    rule: str = ""  # rule IDs behind the value, for the dry-run listing and the audit trail


@dataclass(frozen=True, slots=True)
class RowAppend:
    """Add a row at the bottom of a tab (values by header; headers not in the tab are dropped)."""

    tab: str
    values: tuple[tuple[str, str], ...]
    colours: tuple[tuple[str, str], ...] = ()  # (header, colour)
    rule: str = ""


@dataclass(frozen=True, slots=True)
class NewTab:
    """A tab to create (the state tab on first run, or ``init``)."""

    title: str
    headers: tuple[str, ...]
    hidden: bool = False


@dataclass(slots=True)
class WritePlan:
    cells: list[CellWrite] = field(default_factory=list)
    appends: list[RowAppend] = field(default_factory=list)
    new_tabs: list[NewTab] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.cells or self.appends or self.new_tabs)


@dataclass(slots=True)
class ApplyResult:
    written: int = 0  # cells written
    appended: int = 0  # rows appended
    skipped: list[str] = field(default_factory=list)  # one line each: why a write did not land
    api_calls: int = 0  # reads + writes this apply cost (0 for a workbook)


class Backend(Protocol):
    """What a spreadsheet backend offers. Implementations: workbook, Google Sheets."""

    label: str  # e.g. "workbook demo.xlsx" or "Google Sheet 1AbC…"; no secrets

    def read(self) -> Snapshot:
        """Read every tab in one batched read. Raises SpreadsheetAccessError."""

    def apply(self, plan: WritePlan) -> ApplyResult:
        """Re-read, place by key/header, compare-and-set, write in one batch. Empty plan: no call."""

    def init_layout(self, schemas: Sequence[TabSchema]) -> list[str]:
        """Create missing tabs with headers, frozen header row, enum dropdowns, warning-only
        protection on bot columns, alert colour rules. Idempotent; never touches data.
        Returns one line per thing it did."""
