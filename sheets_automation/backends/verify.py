"""Pure: find writes a person's edit displaced, and what puts things right (issue #11).

The values write addresses cells by position (A1), computed from a re-read made just
before it. If a person inserts, deletes, sorts or moves rows or columns in between, a value
lands in the wrong cell. A short verification read after the write shows where things are
now; this module compares it with the re-read and returns the repairs:

* a cell our write hit by mistake gets back what was there (found by its row's key and its
  column's header in the re-read; blank for a row or column inserted meanwhile);
* the value is written where its key and header are now, if that cell still holds what
  we expected to replace (so a person's edit made meanwhile still wins).

Only what is positively known is repaired: a write whose row or column cannot be found again
(deleted, renamed, key no longer unique) is reported, never guessed. Linear in the cells
written (one index per tab, as :mod:`.placement`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

from ..a1 import column_letter
from .base import Grid, trim_rows
from .placement import _TabIndex
from .verify_rows import ADDED, RowMap

Cells = dict[str, list[tuple[int, int, str, str | None]]]


@dataclass(slots=True)
class Repairs:
    cells: Cells = field(default_factory=dict)  # {tab: [(row, col, value, colour)]} at current addresses
    displaced: int = 0  # writes found in the wrong cell
    unresolved: list[str] = field(default_factory=list)  # one line each


def repairs(fresh: dict[str, Grid], after: dict[str, Grid], written: Cells, key_headers: dict[str, str],
            appended: Cells | None = None) -> Repairs:
    """Repairs for the ``written`` cells (addresses in ``fresh``) and the rows ``appended``
    below it, given the sheet ``after`` the write. A tab's key column is ``key_headers[tab]``,
    else its first header."""
    out = Repairs()
    appended = appended or {}
    for tab in dict.fromkeys(list(written) + list(appended)):
        items, added = written.get(tab, []), appended.get(tab, [])
        f, a = fresh.get(tab), after.get(tab)
        if f is None or a is None or not f.rows:
            continue
        key_header = key_headers.get(tab) or f.cell(1, 1)
        if landed_as_meant(f, a, key_header, items, added):
            continue
        ours = {(r, c): v for r, c, v, _ in items + added}
        fi, ai = _TabIndex(f), _TabIndex(a)
        kf, ka = fi.col(key_header), ai.col(key_header)
        if kf is None or ka is None:
            out.unresolved.append(f"{tab}: the key column {key_header!r} is gone; writes not checked")
            continue
        new_keys = {r: v for r, c, v, _ in items if c == kf}  # IDs this write gave keyless rows
        restore: dict[tuple[int, int], str] = {}
        intended: list[tuple[int, int, str, str | None, str]] = []
        lost: dict[str, int] = {}  # header -> writes whose row or column is not found again
        width = len(f.rows[0])
        renamed = {c for c in range(1, width + 1) if len(a.rows[0]) == width and f.cell(1, c) != a.cell(1, c)
                   and fi.col(a.cell(1, c)) is None and ai.col(f.cell(1, c)) is None}  # same place, new name
        targets = []  # (r, c, v, colour, ar, ac): each write with where its row and column are now
        rows = RowMap(f, a, fi, ai, key_header, ours)
        for r, c, v, colour in items:
            key = f.cell(r, kf).strip()
            if key or new_keys.get(r, "").strip():  # a row this write gives its ID: found by what it held
                ar = rows.a_row(r)
            else:
                ar = None
            targets.append((r, c, v, colour, ar, c if c in renamed else ai.col(f.cell(1, c))))
        # every value still exactly where it was written: whatever moved, moved before the write
        positional = all(a.cell(r, c) == v for (r, c), v in ours.items())
        landed = {} if positional else _landed_rows(a, targets, ours)
        for r, c, v, colour, ar, ac in targets:
            if (ar, ac) == (r, c):
                continue
            if not landed.get(r) and a.cell(r, c) == v:  # our value sits at the old address: someone else's cell
                out.displaced += 1
                was = _original(f, a, fi, rows, r, c)
                if was is None:
                    out.unresolved.append(f"{tab}!{_a1(r, c)}: a value was displaced and the cell's owner is unknown")
                else:
                    restore[(r, c)] = was
            if ar is None or ac is None:
                lost[f.cell(1, c)] = lost.get(f.cell(1, c), 0) + 1
                continue
            intended.append((ar, ac, v, colour, f.cell(r, c)))
        out.unresolved += [f"{tab} {header}: {n} written values whose row or column moved away during the write "
                           f"(deleted, renamed or no longer unique); retried next run" for header, n in lost.items()]
        moved_rows: dict[int, list[tuple[int, str, str | None]]] = {}
        new_rows: dict[int, list[tuple[int, str, str | None]]] = {}
        for r, c, v, colour in added:
            new_rows.setdefault(r, []).append((c, v, colour))
        whole = _row_index(a, ai, f, [cells for cells in new_rows.values()])
        for r, cells in new_rows.items():  # an appended row must land whole on a row that was blank
            if whole.get(_signature(f, cells)):
                continue  # landed, or landed and was moved after the write: found whole elsewhere
            if _row_was_blank(a, r, ours) or rows.f_row(r) == ADDED:  # on a row that was blank (people
                # may have typed into it since); a column people inserted meanwhile shifted it
                for c, v, colour in cells:
                    ac = ai.col(f.cell(1, c))
                    if ac != c and a.cell(r, c) == v:
                        out.displaced += 1
                        restore[(r, c)] = ""
                        if ac is not None:
                            intended.append((r, ac, v, colour, ""))
                continue
            if all(a.cell(r, c) == v for c, v, _colour in cells):
                moved_rows[r] = cells  # it hit a row of the sheet that moved there (not one people
                # started: our row plus a note typed into it after the write looks the same, and stays)
        bottom = len(a.rows)
        for n, r in enumerate(sorted(moved_rows)):
            for c, v, colour in moved_rows[r]:
                out.displaced += 1
                was = _original(f, a, fi, rows, r, c)
                if was is None:
                    out.unresolved.append(f"{tab}!{_a1(r, c)}: a new row landed on a row people added; "
                                          f"the cell's owner is unknown")
                else:
                    restore[(r, c)] = was
                target = ai.col(f.cell(1, c)) if c <= len(f.rows[0]) else None
                if target is not None:
                    intended.append((bottom + 1 + n, target, v, colour, ""))
        final = {k: (v, None) for k, v in restore.items()}
        for ar, ac, v, colour, old in intended:
            now = restore.get((ar, ac), a.cell(ar, ac))
            if now == old or now == v:
                final[(ar, ac)] = (v, colour)
        cells = [(r, c, v, colour) for (r, c), (v, colour) in final.items() if a.cell(r, c) != v]
        if cells:
            out.cells[tab] = cells
    return out


def landed_as_meant(f: Grid, a: Grid, key_header: str, items: list, added: list) -> bool:
    """The usual case: nothing moved (the header row and the key column of ``a`` are those of
    ``f``, no row of ``f`` is gone), and every row ``added`` holds nothing but what this write
    put there (no new row met a row people started), so every write landed as meant.

    Decided on the header row, the key column down to the last row of ``f`` and the rows
    added alone: the cells :mod:`.verify_glance` reads first."""
    if f.rows[:1] != a.rows[:1] or not _same_keys(f, a, key_header):
        return False
    near = {r for r, *_ in added}  # our cells looked up on the new rows only
    mine = {(r, c): v for r, c, v, _ in chain(items, added) if r in near} if near else {}
    return all(_row_was_blank(a, r, mine) for r in near)


def expected_rows(read: dict[str, Grid], written: Cells,
                  reports: dict[str, tuple[tuple[str, ...], ...]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Every tab as it must read after a write that landed exactly where planned: the rows
    ``read``, with the ``written`` cells (positions in ``read``) set and ``reports`` written whole.

    >>> g = Grid("T", (("Key", "Alert"), ("K1",)))
    >>> expected_rows({"T": g}, {"T": [(2, 2, "Overdue", "red"), (3, 1, "K2", None)]}, {})["T"]
    (('Key', 'Alert'), ('K1', 'Overdue'), ('K2',))
    """
    out: dict[str, tuple[tuple[str, ...], ...]] = {}
    for title, grid in read.items():
        if title in reports:
            out[title] = reports[title]
            continue
        items = written.get(title)
        if not items:
            out[title] = trim_rows(grid.rows)
            continue
        rows = [list(r) for r in grid.rows]
        for r, c, v, _colour in items:
            while len(rows) < r:
                rows.append([])
            row = rows[r - 1]
            row.extend([""] * (c - len(row)))
            row[c - 1] = v  # text, as the backends read it back (CellWrite.new is text)
        out[title] = trim_rows(rows)
    return out


def settled(read: dict[str, Grid], fresh: dict[str, Grid], after: dict[str, Grid], written: Cells,
            reports: dict[str, tuple[tuple[str, ...], ...]]) -> bool:
    """True when nobody changed the sheet between the read and the verification read ``after``:
    the re-read (``fresh``) equals the read, and every tab read holds exactly what was read
    plus what was written. Then the sheet is settled: what the run evaluated is what the
    sheet holds, and a version taken before ``after`` may stand for it (#12: no follow-up run
    only to see our own write)."""
    if set(after) != set(read) or any(trim_rows(g.rows) != trim_rows(read[t].rows)
                                      for t, g in fresh.items() if t in read):
        return False
    want = expected_rows(read, written, reports)
    return all(trim_rows(after[t].rows) == want[t] for t in read)


def _landed_rows(a: Grid, targets: list, ours: dict[tuple[int, int], str]) -> dict[int, bool]:
    """Rows (fresh addresses) whose every written value sits on that row where it is now: the
    write landed and people moved the row afterwards, so nothing is displaced, even where
    the old address happens to hold an equal value (a timestamp every row got). A row whose
    old address now holds a row that is blank but for our values (inserted meanwhile) did
    not land. Asked only when some written value is no longer at its written address (so
    something moved after the write): when all are, rows moved before it and equal values
    are coincidences."""
    landed: dict[int, bool] = {}
    for r, _c, v, _colour, ar, ac in targets:
        ok = ar is not None and ac is not None and a.cell(ar, ac) == v
        landed[r] = landed.get(r, True) and ok
    filled = {r for (r, _c), v in ours.items() if v.strip()}
    for r, is_landed in landed.items():
        if is_landed and r in filled and _row_was_blank(a, r, ours):
            landed[r] = False
    return landed


def _signature(f: Grid, cells: list[tuple[int, str, str | None]]) -> tuple[tuple[str, str], ...]:
    """An appended row's non-blank values by header (columns may have moved since)."""
    return tuple(sorted((f.cell(1, c), v) for c, v, _colour in cells if v.strip()))


def _row_index(a: Grid, ai: _TabIndex, f: Grid, rows: list[list[tuple[int, str, str | None]]]) -> dict:
    """How many rows of ``a`` hold exactly (non-blank cells) each appended row's values: one
    pass over ``a``, one dictionary lookup per row."""
    wanted = {_signature(f, cells) for cells in rows}
    if not wanted:
        return {}
    headers = sorted({h for sig in wanted for h, _v in sig})
    cols = {h: ai.col(h) for h in headers}
    found: dict[tuple[tuple[str, str], ...], int] = {}
    if any(c is None for c in cols.values()):
        return found
    known = {c for c in cols.values()}
    for r in range(2, len(a.rows) + 1):
        row = a.rows[r - 1]
        if any(v.strip() for i, v in enumerate(row, start=1) if i not in known):
            continue  # more than an appended row holds
        sig = tuple(sorted((h, a.cell(r, c)) for h, c in cols.items() if a.cell(r, c).strip()))
        if sig in wanted:
            found[sig] = found.get(sig, 0) + 1
    return found


def _row_was_blank(a: Grid, r: int, ours: dict[tuple[int, int], str]) -> bool:
    """Row ``r`` of ``a`` holds nothing but what this write put there."""
    row = a.rows[r - 1] if 1 <= r <= len(a.rows) else ()
    return all(not v.strip() or ours.get((r, i)) == v for i, v in enumerate(row, start=1))


def _same_keys(f: Grid, a: Grid, key_header: str) -> bool:
    fi = _TabIndex(f)
    k = fi.col(key_header)
    if k is None or len(a.rows) < len(f.rows):
        return False
    return all(f.cell(r, k) == a.cell(r, k) for r in range(2, len(f.rows) + 1))


def _original(f: Grid, a: Grid, fi: _TabIndex, rows: RowMap, r: int, c: int) -> str | None:
    """What cell (r, c) of ``a`` held before our write hit it, from ``f``; None if unknown."""
    header = a.cell(1, c)
    if not header.strip() or fi.col(header) is None:
        return ""  # a column inserted meanwhile: it was blank
    fr = rows.f_row(r)
    if fr == ADDED:
        return ""  # a row people added meanwhile: blank where we wrote
    return None if fr is None else f.cell(fr, fi.col(header))


def _a1(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"
