"""How a tab looks to a person: column widths, wrapped long text, and where the Alert
column sits in a tab the automation creates.

Pure functions from a :class:`~.schema.TabSchema` to a :class:`~.backends.base.NewTab`;
each backend turns the looks into its own formatting (openpyxl styles, Sheets API
requests). People's tabs are never reordered: the order below applies only to tabs the
automation creates (``init``, the demo).

>>> from .schema import shipped_schemas
>>> [c.header for c in creation_order(shipped_schemas()["logistics"])][:3]
['Tracking number', 'Alert', 'Carrier']
"""
from __future__ import annotations

import unicodedata
from typing import Callable

from .backends.base import ColumnLook, NewTab
from .schema import Column, TabSchema

TYPE_WIDTHS = {  # typical content length in characters, by column type
    "id": 14, "timestamp": 17, "number": 11, "integer": 9, "language": 10, "country": 12,
    "currency": 9, "links": 30, "text": 18,
}
HEADER_PAD = 3  # bold header text plus the filter button
MAX_WIDTH = 60
MAX_LINES = 6  # a wrapped row grows to at most this many lines; the rest shows when the cell is selected
LINE_POINTS = 15  # row height per line of text (points)


def display_length(text: str) -> int:
    """Characters as a spreadsheet draws them: wide (CJK) characters count twice.

    >>> display_length("Alert"), display_length("客户话术")
    (5, 8)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_width(column: Column, header: str | None = None) -> int:
    """Width in characters that fits the column's typical content and its header.

    >>> from .schema import Column
    >>> column_width(Column("status", "Status", "enum", "support", values=("new", "waiting_supplier")))
    18
    >>> column_width(Column("paid_at", "Paid at", "timestamp", "client"))
    17
    """
    if column.width:
        typical = column.width
    elif column.type == "enum":
        typical = max(len(v) for v in column.values) + 2
    else:
        typical = TYPE_WIDTHS[column.type]
    return min(MAX_WIDTH, max(typical, display_length(header or column.header) + HEADER_PAD))


def creation_order(schema: TabSchema) -> tuple[Column, ...]:
    """The columns of a tab the automation creates: the coloured Alert column right after
    the key, so it is visible without scrolling; the rest in schema order."""
    first = [c for c in schema.columns if c.field == schema.key]
    alerts = [c for c in schema.columns if c.coloured]
    rest = [c for c in schema.columns if c not in first and c not in alerts]
    return tuple(first + alerts + rest)


def new_tab(schema: TabSchema, header_of: Callable[[Column], str] = lambda c: c.header,
            title: str | None = None) -> NewTab:
    """The tab to create for ``schema``: headers in :func:`creation_order` with their looks."""
    columns = creation_order(schema)
    headers = tuple(header_of(c) for c in columns)
    looks = tuple(ColumnLook(column_width(c, h), c.wrap) for c, h in zip(columns, headers))
    return NewTab(title=title or schema.tab, headers=headers, looks=looks)


def wrapped_lines(text: str, width: int) -> int:
    """Lines ``text`` takes in a wrapped column ``width`` characters wide (at least 1).

    >>> wrapped_lines("", 10), wrapped_lines("short", 10), wrapped_lines("a" * 25, 10), wrapped_lines("a\\nb", 10)
    (1, 1, 3, 2)
    """
    width = max(width - 1, 1)
    return max(1, sum(max(1, -(-display_length(line) // width)) for line in str(text).split("\n")))


def row_height(texts_and_widths) -> float | None:
    """Points a row needs so its wrapped cells show from the top, capped at :data:`MAX_LINES`
    lines; None (the default height) when one line is enough."""
    lines = max((wrapped_lines(t, w) for t, w in texts_and_widths), default=1)
    return None if lines <= 1 else LINE_POINTS * min(lines, MAX_LINES)
