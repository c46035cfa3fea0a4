"""A1 notation: the cell addresses people see (``Cases!K17``)."""
from __future__ import annotations


def column_letter(col: int) -> str:
    """1-based column number → letters: 1 → ``"A"``, 26 → ``"Z"``, 27 → ``"AA"``."""
    out = ""
    while col:
        col, r = divmod(col - 1, 26)
        out = chr(65 + r) + out
    return out
