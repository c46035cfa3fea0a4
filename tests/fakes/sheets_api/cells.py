"""The fake's spreadsheet model: A1 ranges, sheets, cell values and field masks.

A cell is a dict: ``v`` effective value, ``f`` formula, ``date`` ISO text of a date
entered as such, ``fmt`` format, ``note``, ``dv`` data validation. Rows are 0-based
lists of ``{column: cell}``.
"""
from __future__ import annotations

import ast
import datetime as dt
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .discovery import bad_request

# --------------------------------------------------------------------------- A1 ranges

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


def col_letters(col: int) -> str:
    """1-based column number → letters (1 → A, 27 → AA)."""
    s = ""
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def quote_title(title: str) -> str:
    return title if re.fullmatch(r"[A-Za-z0-9_]+", title) else "'" + title.replace("'", "''") + "'"


@dataclass
class Box:
    """A resolved range: 0-based, half-open; ``None`` ends are unbounded."""

    sheet: "Sheet"
    r0: int
    c0: int
    r1: int | None
    c1: int | None
    point: bool = False  # a single cell such as "A1": a write may grow from it

    def bounded(self) -> tuple[int, int, int, int]:
        return self.r0, self.c0, self.r1 if self.r1 is not None else self.sheet.row_count, \
            self.c1 if self.c1 is not None else self.sheet.col_count

    def a1(self) -> str:
        r0, c0, r1, c1 = self.bounded()
        a, b = f"{col_letters(c0 + 1)}{r0 + 1}", f"{col_letters(max(c1, c0 + 1))}{max(r1, r0 + 1)}"
        return f"{quote_title(self.sheet.title)}!{a}" + ("" if a == b else f":{b}")


# --------------------------------------------------------------------------- state


@dataclass
class Sheet:
    sheet_id: int
    title: str
    row_count: int = 1000
    col_count: int = 26
    hidden: bool = False
    frozen_rows: int = 0
    frozen_cols: int = 0
    rows: list[dict[int, dict]] = field(default_factory=list)  # rows[r][c] = cell dict, 0-based
    conditional_formats: list[dict] = field(default_factory=list)
    protected_ranges: list[dict] = field(default_factory=list)
    basic_filter: dict | None = None
    column_pixels: dict[int, int] = field(default_factory=dict)  # 0-based column -> width set by a request

    def __post_init__(self) -> None:
        self.fit(self.row_count, self.col_count)

    def fit(self, rows: int, cols: int) -> None:
        """Grow the grid to at least ``rows`` × ``cols``."""
        self.row_count = max(self.row_count, rows)
        self.col_count = max(self.col_count, cols)
        while len(self.rows) < self.row_count:
            self.rows.append({})

    def cell(self, r: int, c: int) -> dict:
        return self.rows[r].setdefault(c, {}) if r < len(self.rows) else {}

    def peek(self, r: int, c: int) -> dict:
        return self.rows[r].get(c, {}) if 0 <= r < len(self.rows) else {}

    def properties(self, index: int) -> dict:
        grid: dict[str, int] = {"rowCount": self.row_count, "columnCount": self.col_count}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        props: dict[str, Any] = {"sheetId": self.sheet_id, "title": self.title, "index": index,
                                 "sheetType": "GRID", "gridProperties": grid}
        if self.hidden:
            props["hidden"] = True
        return props


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    time_zone: str
    sheets: list[Sheet] = field(default_factory=list)
    shared: bool = True

    def by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def by_id(self, sheet_id: int | None) -> Sheet:
        for s in self.sheets:
            if s.sheet_id == (sheet_id or 0):
                return s
        raise bad_request(f"No grid with id: {sheet_id}")

    def box(self, text: str) -> Box:
        """Parse ``'Tab'!A1:B2``, ``Tab!A:A``, ``Tab!2:5``, ``Tab`` or ``A1`` (first tab)."""
        title, sep, cells = text, "", ""
        if text.startswith("'"):
            m = re.match(r"^'((?:[^']|'')*)'(?:!(.*))?$", text)
            if not m:
                raise bad_request(f"Unable to parse range: {text}")
            title, cells = m.group(1).replace("''", "'"), m.group(2) or ""
        elif "!" in text:
            title, sep, cells = text.rpartition("!")
        sheet = self.by_title(title)
        if sheet is None and not sep and not text.startswith("'") and self.sheets:
            sheet, cells = self.sheets[0], text
        if sheet is None:
            raise bad_request(f"Unable to parse range: {text}")
        if not cells:
            return Box(sheet, 0, 0, None, None)
        parts = cells.split(":")
        ends = [_CELL.match(p) for p in parts]
        if len(parts) > 2 or not all(ends) or not all(m.group(0) for m in ends):
            raise bad_request(f"Unable to parse range: {text}")
        (l0, n0), (l1, n1) = ends[0].groups(), ends[-1].groups()
        c0 = col_number(l0) - 1 if l0 else 0
        r0 = int(n0) - 1 if n0 else 0
        c1 = col_number(l1) if l1 else None
        r1 = int(n1) if n1 else None
        if len(parts) == 1 and l0 and n0:
            return Box(sheet, r0, c0, r0 + 1, c0 + 1, point=True)
        return Box(sheet, r0, c0, r1, c1)


# --------------------------------------------------------------------------- cell values

_EPOCH = dt.date(1899, 12, 30)
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _number(x: float) -> int | float:
    return int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 2**53 else x


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        return _ARITH[type(node.op)](_arith(node.left), _arith(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_arith(node.operand)
    raise ValueError("not plain arithmetic")


def entered(value: Any, option: str) -> dict:
    """The cell dict for a value written with ``valueInputOption`` RAW or USER_ENTERED."""
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return {"v": _number(float(value)) if not isinstance(value, bool) else value}
    text = str(value)
    if option == "RAW" or text == "":
        return {"v": text} if text != "" else {}
    if text.startswith("'"):
        return {"v": text[1:]}
    if text.startswith("="):
        try:
            result: Any = _number(float(_arith(ast.parse(text[1:], mode="eval").body)))
        except (SyntaxError, ValueError, ZeroDivisionError, TypeError):
            result = None
        return {"f": text, "v": result}
    if text.upper() in ("TRUE", "FALSE"):
        return {"v": text.upper() == "TRUE"}
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text.strip()):
        return {"v": _number(float(text))}
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return {"v": (dt.date.fromisoformat(text) - _EPOCH).days, "date": text}
        except ValueError:
            pass
    return {"v": text}


def formatted(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return repr(_number(v)) if not v.is_integer() else str(int(v))
    return "" if v is None else str(v)


def rendered(cell: dict, value_option: str, date_option: str) -> Any:
    if value_option == "FORMULA" and "f" in cell:
        return cell["f"]
    if value_option == "FORMATTED_VALUE" or (date_option == "FORMATTED_STRING" and "date" in cell):
        return cell.get("date") or formatted(cell.get("v"))
    return cell.get("v")


def extended(v: Any) -> dict:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, (int, float)):
        return {"numberValue": v}
    return {"stringValue": v} if v is not None else {}


def _trim(items: list, empty: Callable[[Any], bool]) -> list:
    while items and empty(items[-1]):
        items.pop()
    return items


# --------------------------------------------------------------------------- field masks


def parse_mask(text: str) -> dict:
    """``"a(b,c/d),e.f"`` → ``{"a": {"b": {}, "c": {"d": {}}}, "e": {"f": {}}}``; ``{}`` = whole."""
    pos = 0

    def parse_list() -> dict:
        nonlocal pos
        out: dict = {}
        while pos < len(text):
            m = re.match(r"\s*([A-Za-z0-9_*]+(?:[./][A-Za-z0-9_*]+)*)\s*", text[pos:])
            if not m:
                raise bad_request(f"Invalid field selection {text}", "fields")
            pos += m.end()
            node = out
            for part in re.split(r"[./]", m.group(1)):
                node = node.setdefault(part, {})
            if pos < len(text) and text[pos] == "(":
                pos += 1
                node.update(parse_list())
                if pos >= len(text) or text[pos] != ")":
                    raise bad_request(f"Invalid field selection {text}", "fields")
                pos += 1
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            break
        return out

    tree = parse_list()
    if pos != len(text):
        raise bad_request(f"Invalid field selection {text}", "fields")
    return tree


def prune(obj: Any, tree: dict, key: str = "") -> Any:
    """Keep only the fields in ``tree`` (a parsed mask); empty results vanish like the API's."""
    if not tree or "*" in tree:
        return obj
    if isinstance(obj, list):
        items = [prune(o, tree, key) for o in obj]
        return _trim(items, lambda x: x in ({}, [], None)) if key in ("rowData", "values") else items
    if isinstance(obj, dict):
        out = {}
        for k, sub in tree.items():
            if k in obj:
                v = prune(obj[k], sub, k)
                if v not in ({}, []):
                    out[k] = v
        return out
    return obj
