"""Pure placement: where each planned write lands in a freshly re-read grid.

Shared by both backends so that "rows by key, columns by header, people's edits win"
is one piece of code (DEVELOPERS.md non-negotiable 3).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from ..schema import normalise_header
from ..a1 import column_letter
from .base import CellWrite, Grid, RowRef, WritePlan


@dataclass(slots=True)
class Placed:
    """Cells to set, by tab: ``{tab: [(row, col, value, colour)]}`` (1-based)."""

    cells: dict[str, list[tuple[int, int, str, str | None]]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


class _TabIndex:
    """Header and key lookups over one fresh grid, built once per tab."""

    def __init__(self, grid: Grid):
        self.grid = grid
        header = grid.rows[0] if grid.rows else ()
        self.cols: dict[str, int] = {}
        for i, h in enumerate(header, start=1):
            n = normalise_header(h)
            if n and n not in self.cols:
                self.cols[n] = i
        self._keys: dict[str, dict[str, list[int]]] = {}
        self._merged: dict[int, list[tuple[int, int, str]]] | None = None
        self._anchors: dict[tuple[str, ...], dict[tuple[str, ...], list[int]]] = {}
        self._col_of: dict[str, int | None] = {}  # header as written in the plan -> column

    def merged_range(self, row: int, col: int) -> str:
        """The A1 range (``Cases!Y10:Y12``) of the merged block holding the cell, or ''."""
        if not self.grid.merged:
            return ""
        if self._merged is None:  # by column: (first row, last row, name), sorted; blocks never overlap
            self._merged = {}
            for r1, c1, r2, c2 in self.grid.merged:
                name = f"{self.grid.title}!{column_letter(c1)}{r1}:{column_letter(c2)}{r2}"
                for c in range(c1, c2 + 1):
                    self._merged.setdefault(c, []).append((r1, r2, name))
            for spans in self._merged.values():
                spans.sort()
        spans = self._merged.get(col, ())
        i = bisect.bisect_right(spans, (row, float("inf"), "")) - 1
        return spans[i][2] if i >= 0 and spans[i][0] <= row <= spans[i][1] else ""

    def col(self, header: str) -> int | None:
        if header not in self._col_of:
            self._col_of[header] = self.cols.get(normalise_header(header))
        return self._col_of[header]

    def rows_with_key(self, key_header: str, key: str) -> list[int]:
        c = self.col(key_header)
        if c is None:
            return []
        if key_header not in self._keys:
            idx: dict[str, list[int]] = {}
            for r, cells in enumerate(self.grid.rows[1:], start=2):
                idx.setdefault(cells[c - 1].strip() if c <= len(cells) else "", []).append(r)
            self._keys[key_header] = idx
        return self._keys[key_header].get(key.strip(), [])

    def anchor_matches(self, row: int, anchor: tuple[tuple[str, str], ...]) -> bool:
        for header, value in anchor:
            c = self.col(header)
            if c is None or self.grid.cell(row, c) != value:
                return False
        return True

    def rows_with_anchor(self, anchor: tuple[tuple[str, str], ...]) -> list[int]:
        """Rows whose cells equal ``anchor`` (one index per set of anchor headers, built once:
        placement stays linear whatever people did to the rows)."""
        headers = tuple(h for h, _v in anchor)
        cols = [self.col(h) for h in headers]
        if any(c is None for c in cols):
            return []
        if headers not in self._anchors:
            idx: dict[tuple[str, ...], list[int]] = {}
            for r in range(2, len(self.grid.rows) + 1):
                idx.setdefault(tuple(self.grid.cell(r, c) for c in cols), []).append(r)
            self._anchors[headers] = idx
        return self._anchors[headers].get(tuple(v for _h, v in anchor), [])

    def find(self, ref: RowRef) -> tuple[int | None, str]:
        """The row ``ref`` points at now, or None with the reason."""
        if ref.key:
            rows = self.rows_with_key(ref.key_header, ref.key)
            if len(rows) == 1:
                return rows[0], ""
            return None, ("its row was deleted" if not rows else "its key now appears on several rows")
        # No usable key (blank, or shared by several rows): the anchor (which includes the
        # key cell) must match, first at the remembered row, else at exactly one row.
        if self.anchor_matches(ref.row, ref.anchor):
            return ref.row, ""
        candidates = self.rows_with_anchor(ref.anchor)
        if len(candidates) == 1:
            return candidates[0], ""
        return None, "the row has no unique key and moved; it will be retried next run"


def describe(w: CellWrite) -> str:
    who = w.ref.key or f"row {w.ref.row}"
    return f"{w.tab} {who} {w.header}"


def place(plan: WritePlan, grids: dict[str, Grid]) -> Placed:
    """Resolve every :class:`CellWrite` of ``plan`` against the fresh ``grids``.

    A write is skipped (with a one-line reason) when its tab, row or column is gone, or the
    cell no longer holds the value read (a person edited it meanwhile: their edit wins).
    Appends and new tabs are left to the backend.
    """
    out = Placed()
    indexes: dict[str, _TabIndex] = {}
    last: tuple[str, RowRef, tuple[int | None, str]] | None = None  # a row's cells share one ref: found once
    for w in plan.cells:
        grid = grids.get(w.tab)
        if grid is None:
            out.skipped.append(f"{describe(w)}: the tab is gone")
            continue
        index = indexes.get(w.tab) or indexes.setdefault(w.tab, _TabIndex(grid))
        if last is None or last[1] is not w.ref or last[0] != w.tab:
            last = (w.tab, w.ref, index.find(w.ref))
        row, why = last[2]
        if row is None:
            out.skipped.append(f"{describe(w)}: {why}")
            continue
        col = index.col(w.header)
        if col is None:
            out.skipped.append(f"{describe(w)}: the column is gone")
            continue
        if grid.merged and (merged := index.merged_range(row, col)):
            # a merged block shows one value over several rows: never write into one
            out.skipped.append(f"{describe(w)}: the cell is in merged range {merged}; unmerge {merged} "
                               "so the automation can write it")
            continue
        cells = grid.rows[row - 1] if row <= len(grid.rows) else ()  # Grid.cell, inlined
        if (cells[col - 1] if col <= len(cells) else "") != w.old:
            out.skipped.append(f"{describe(w)}: someone edited the cell meanwhile; left as they wrote it")
            continue
        out.cells.setdefault(w.tab, []).append((row, col, w.new, w.colour))
    return out


def append_rows(plan: WritePlan, grids: dict[str, Grid]) -> dict[str, list[tuple[int, int, str, str | None]]]:
    """Cells for ``plan.appends`` placed below the last non-empty row of each fresh grid (blank
    cells left out)."""
    out: dict[str, list[tuple[int, int, str, str | None]]] = {}
    next_row: dict[str, int] = {}
    indexes: dict[str, _TabIndex] = {}
    for a in plan.appends:
        if a.tab not in indexes:
            grid = grids.get(a.tab)
            if grid is None:
                headers = next((t.headers for t in plan.new_tabs if t.title == a.tab), ())
                grid = Grid(a.tab, (tuple(headers),))
            indexes[a.tab] = _TabIndex(grid)
        index = indexes[a.tab]
        grid = index.grid
        if a.tab not in next_row:
            last = len(grid.rows)
            while last > 1 and not any(v.strip() for v in grid.rows[last - 1]):
                last -= 1
            next_row[a.tab] = last + 1
        row = next_row[a.tab]
        next_row[a.tab] += 1
        colours = dict(a.colours)
        for header, value in a.values:
            col = index.col(header)
            if col is not None and (value != "" or colours.get(header)):  # a blank is never sent: a
                # person typing into that row in the instant of the write keeps what they typed
                out.setdefault(a.tab, []).append((row, col, value, colours.get(header)))
    return out
