"""Pure: which row of the re-read each row after a write is (issue #11, the write instant).

A person may insert, delete or sort rows, or start a new row below the table, in the very
instant between the re-read and the values write. The write then lands by position on rows
that moved, and the verification read must tell, for every row it sees, which row of the
re-read it is, or that people added it meanwhile (so it was blank where our write hit it).
:class:`RowMap` finds that once per tab:

1. by key, where the key is on one row on both sides (a key this write set is on none);
2. by content, in the columns this write touched on no row;
3. the few rows left on both sides: the row a found neighbour points at (a block that moved
   together keeps its order), else the one row left that has most of the row's other cells
   in common; a row that shares no value with any row left over, and holds no value this
   write put in its column elsewhere (one of our rows that people moved after the write),
   is one people added during the write.

A row found no way is unknown, never guessed. Linear in the rows, but step 3, which looks
at leftover pairs only (an edit made in one instant leaves few) and only up to a bound.
"""
from __future__ import annotations

from .base import Grid

ADDED = 0  # RowMap.f_row: a row people added during the write; blank wherever we wrote
_PAIR_BUDGET = 200_000  # leftover rows × leftover rows compared in step 3, at most


class RowMap:
    """Rows of ``a`` (the sheet after the write) to rows of ``f`` (the re-read it was
    planned on). ``fi``, ``ai``: their header/key indexes; ``ours``: the cells written,
    {(row, col): value} at the addresses written (where the values physically landed)."""

    def __init__(self, f: Grid, a: Grid, fi, ai, key_header: str, ours: dict[tuple[int, int], str]):
        self.f, self.a = f, a
        self.cols = [(fc, ac) for fc in range(1, len(f.rows[0]) + 1)
                     if f.cell(1, fc).strip() and (ac := ai.col(f.cell(1, fc))) is not None]
        self.written: dict[int, set[int]] = {}
        self.ours_by_header: dict[str, set[str]] = {}  # values this write put in each column, anywhere
        for (r, c), v in ours.items():
            self.written.setdefault(r, set()).add(c)
            self.ours_by_header.setdefault(f.cell(1, c), set()).add(v)
        self.to_f: dict[int, int] = {}
        self.to_a: dict[int, int] = {}
        self._by_key(fi, ai, key_header)
        self._by_content()
        self._leftovers()

    def f_row(self, ar: int) -> int | None:
        """The re-read row ``ar`` is, :data:`ADDED`, or None when unknown."""
        return self.to_f.get(ar)

    def a_row(self, fr: int) -> int | None:
        """Where re-read row ``fr`` is now, or None."""
        return self.to_a.get(fr)

    def _pair(self, ar: int, fr: int) -> None:
        self.to_f[ar] = fr
        if fr != ADDED:
            self.to_a[fr] = ar

    def _by_key(self, fi, ai, key_header: str) -> None:
        ka = ai.col(key_header)
        if ka is None or fi.col(key_header) is None:
            return
        for ar in range(2, len(self.a.rows) + 1):
            key = self.a.cell(ar, ka).strip()  # a key this write set (a new ID) is on no re-read row
            if not key:
                continue
            frs, ars = fi.rows_with_key(key_header, key), ai.rows_with_key(key_header, key)
            if len(frs) == 1 and len(ars) == 1:
                self._pair(ar, frs[0])

    def _by_content(self) -> None:
        touched = {c for cs in self.written.values() for c in cs}
        cols = [(fc, ac) for fc, ac in self.cols if ac not in touched]
        if not cols:
            return
        index: dict[tuple[str, ...], list[int]] = {}
        for fr in range(2, len(self.f.rows) + 1):
            if fr not in self.to_a:
                index.setdefault(tuple(self.f.cell(fr, fc) for fc, _ac in cols), []).append(fr)
        wanted: dict[tuple[str, ...], list[int]] = {}
        for ar in range(2, len(self.a.rows) + 1):
            if ar not in self.to_f:
                sig = tuple(self.a.cell(ar, ac) for _fc, ac in cols)
                if any(v.strip() for v in sig):
                    wanted.setdefault(sig, []).append(ar)
        for sig, ars in wanted.items():
            frs = index.get(sig, [])
            if len(ars) == 1 and len(frs) == 1:
                self._pair(ars[0], frs[0])

    def _leftovers(self) -> None:
        left = [ar for ar in range(2, len(self.a.rows) + 1) if ar not in self.to_f]
        missing = {fr for fr in range(2, len(self.f.rows) + 1) if fr not in self.to_a}
        scan = len(left) * max(len(missing), 1) <= _PAIR_BUDGET
        for ar in left:
            cells = [(fc, v) for fc, ac in self.cols if ac not in self.written.get(ar, ())
                     and (v := self.a.cell(ar, ac)).strip()]
            if not cells:
                self._pair(ar, ADDED)  # nothing on it but what we wrote: blank before
                continue
            if any(v in self.ours_by_header.get(self.f.cell(1, fc), ()) for fc, v in cells):
                continue  # holds values we wrote elsewhere: one of our rows, moved after the write
            need = max(1, (len(cells) + 1) // 2)

            def agree(fr: int) -> int:
                return sum(1 for fc, v in cells if self.f.cell(fr, fc) == v)

            hint = next((n - d for d in (-1, 1) if (n := self.to_f.get(ar + d)) and n - d in missing), None)
            if hint is not None and agree(hint) >= need:
                self._pair(ar, hint)
                missing.discard(hint)
                continue
            if not scan:
                continue
            scores = {fr: agree(fr) for fr in missing}
            best = max(scores.values(), default=0)
            if best == 0:
                self._pair(ar, ADDED)  # shares nothing with any row that went missing
            elif best >= max(need, 2) and list(scores.values()).count(best) == 1:  # one equal cell
                # alone (a country, a "42") is no proof without a neighbour's word
                fr = next(fr for fr, s in scores.items() if s == best)
                self._pair(ar, fr)
                missing.discard(fr)
