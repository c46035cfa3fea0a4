"""Pure: the first, small look at a tab after a write (issues #11 and #15).

Proving that a write landed where it was meant needs three things of the tab as it is now
(:func:`.verify.landed_as_meant`): its header row, its key column down to the last row
re-read, and the rows the write appended. That is a few columns' worth of cells, where the
whole tab after a first run holds every message just written. So the verification reads
those cells first (:func:`glance`), lays them out as a tab whose other cells are blank
(:func:`glanced`), and reads a tab whole only when that look does not prove it: something
moved. A tab no look can prove (no key column, or this write gave rows their IDs) is read
whole in the same request.

The look proves no more than the whole tab would: the cells it holds are the tab's own,
so when they show every write landed, so does the whole tab (and the same function
decides both). A tab they do not prove is read in full, and :func:`.verify.repairs` works
on it as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter

from ..a1 import column_letter
from .base import Grid, trim_rows
from .placement import _TabIndex


@dataclass(frozen=True, slots=True)
class Glance:
    """What to read of one tab: row 1, column ``key_col`` from row 2 to ``last_row``, and the
    whole rows ``appended`` (first, last), if any."""

    key_col: int
    last_row: int
    appended: tuple[int, int] | None

    def ranges(self) -> list[str]:
        """The A1 ranges (without the tab) to read, in the order :func:`glanced` takes them.

        >>> Glance(3, 100, (101, 120)).ranges()
        ['1:1', 'C2:C100', '101:120']
        """
        out = ["1:1"]
        if self.last_row >= 2:
            out.append(f"{column_letter(self.key_col)}2:{column_letter(self.key_col)}{self.last_row}")
        if self.appended:
            out.append(f"{self.appended[0]}:{self.appended[1]}")
        return out


def glance(f: Grid, key_header: str, items: list, added: list) -> Glance | None:
    """The look that can prove the ``items`` written to ``f`` (the re-read they were planned
    on) and the cells ``added`` in new rows landed; None when none can: the tab has no key
    column, or this write gave rows their IDs (the key column is not the one re-read, so only
    the whole tab tells whether rows moved)."""
    k = _TabIndex(f).col(key_header)
    if k is None or k in map(itemgetter(1), items):
        return None
    rows = [r for r, *_ in added]
    return Glance(k, len(f.rows), (min(rows), max(rows)) if rows else None)


def glanced(title: str, g: Glance, replies: list[tuple]) -> Grid:
    """The tab as far as the look ``g`` saw it; every cell it did not read is blank.

    ``replies``: the rows read back for each of ``g.ranges()``, as the backend turns a reply
    into rows (leading blank rows kept, trailing ones dropped).

    >>> g = glanced("T", Glance(2, 3, (5, 5)), [(("Note", "Key", "Alert"),), (("K1",), ()), (("", "K9", "New"),)])
    >>> g.rows
    (('Note', 'Key', 'Alert'), ('', 'K1'), (), (), ('', 'K9', 'New'))
    """
    header, rest = replies[0], iter(replies[1:])
    keys = next(rest) if g.last_row >= 2 else ()
    block = next(rest) if g.appended else ()
    length = max(1 + len(keys), g.appended[0] + len(block) - 1 if g.appended else 0)
    rows: list[tuple[str, ...]] = [()] * length
    rows[0] = header[0] if header else ()
    pad = ("",) * (g.key_col - 1)
    for i, cell in enumerate(keys, start=1):
        if cell and cell[0] != "":
            rows[i] = pad + (cell[0],)
    if g.appended:
        for i, row in enumerate(block, start=g.appended[0] - 1):
            rows[i] = row
    return Grid(title, trim_rows(rows))
