"""A stateful, in-memory Google Sheets API v4, served as a ``requests`` transport adapter.

Real gspread (and our backend) talk to it through a normal ``requests.Session``::

    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-1", "After-service", "Asia/Shanghai",
                        tabs={"Cases": [["Case ID", "Paid at"], ["CS-00001", 45717.5]]})
    client = gspread.Client(auth=None, session=api.session())

What it is strict about (so our request shapes are checked, not assumed):

* every JSON body and every query parameter is validated against Google's own discovery
  document (``googleapiclient/discovery_cache/documents/sheets.v4.json``): unknown fields,
  wrong types and bad enum values give 400 INVALID_ARGUMENT in Google's error shape;
* ``spreadsheets:batchUpdate`` is atomic: one bad sub-request and nothing is applied;
* values writes past the last grid row or column grow the grid, as the real API does.

Simplifications (stated, not hidden):

* USER_ENTERED parses numbers, TRUE/FALSE, ISO dates (``2020-01-01`` → serial 43831) and a
  leading ``'``; a leading ``=`` stores ``formulaValue`` and evaluates only plain arithmetic
  (``=4/2`` → 2), any other formula has no effective value.
* FORMATTED_VALUE renders numbers in their shortest form, ignoring number formats.
* ``values:append`` finds the table as "below the last non-empty row of the tab".
* conditional-format and protected ranges do not move when rows are inserted or deleted.
"""
from __future__ import annotations

import ast
import copy
import datetime as dt
import json
import operator
import re
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.adapters import BaseAdapter

# --------------------------------------------------------------------------- discovery


@cache
def discovery() -> dict:
    import googleapiclient

    path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "sheets.v4.json"
    return json.loads(path.read_text(encoding="utf-8"))


class ApiError(Exception):
    """An error reply: HTTP status plus Google's ``{"error": {...}}`` body."""

    def __init__(self, code: int, status: str, message: str, field_path: str | None = None):
        super().__init__(message)
        self.code, self.status, self.message, self.field_path = code, status, message, field_path

    def body(self) -> dict:
        err: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.field_path is not None:
            err["details"] = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                               "fieldViolations": [{"field": self.field_path, "description": self.message}]}]
        return {"error": err}


def bad_request(message: str, field_path: str | None = None) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message, field_path)


_PROTO_TYPE = {"array": "google.protobuf.ListValue", "object": "google.protobuf.Struct",
               "string": "TYPE_STRING", "boolean": "TYPE_BOOL", "integer": "TYPE_INT32", "number": "TYPE_DOUBLE"}


def validate_body(value: Any, schema: dict, path: str) -> None:
    """Walk ``value`` against a discovery schema ($ref, type, properties, items, enum,
    additionalProperties). JSON null is accepted anywhere (protobuf reads it as unset)."""
    if value is None:
        return
    if "$ref" in schema:
        schema = discovery()["schemas"][schema["$ref"]]
    kind = schema.get("type", "object" if "properties" in schema else "any")

    def wrong() -> ApiError:
        return bad_request(f"Invalid value at '{path}' (type.googleapis.com/{_PROTO_TYPE.get(kind, kind)}), "
                           f"{json.dumps(value, ensure_ascii=False)}", path)

    if kind == "any":
        return
    if kind == "object":
        if not isinstance(value, dict):
            raise wrong()
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = f"{path}.{key}" if path else key
            if key in props:
                validate_body(item, props[key], sub)
            elif extra is not None:
                validate_body(item, extra, sub)
            else:
                raise bad_request(f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': "
                                  f"Cannot find field.", path)
    elif kind == "array":
        if not isinstance(value, list):
            raise wrong()
        for i, item in enumerate(value):
            validate_body(item, schema.get("items", {"type": "any"}), f"{path}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            # int64 fields are strings in discovery but protobuf JSON also takes numbers
            if not (schema.get("format") in ("int64", "uint64") and isinstance(value, int)
                    and not isinstance(value, bool)):
                raise wrong()
        if "enum" in schema and value not in schema["enum"]:
            raise wrong()
    elif kind == "integer":
        ok = (isinstance(value, int) and not isinstance(value, bool)) or \
             (isinstance(value, float) and value.is_integer()) or \
             (isinstance(value, str) and re.fullmatch(r"-?\d+", value))
        if not ok:
            raise wrong()
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong()
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise wrong()


def validate_query(query: dict[str, list[str]], method: dict) -> None:
    specs = {k: v for k, v in method.get("parameters", {}).items() if v.get("location") == "query"}
    specs.update(discovery()["parameters"])
    for name, values in query.items():
        spec = specs.get(name)
        if spec is None:
            raise bad_request(f"Invalid JSON payload received. Unknown name \"{name}\": Cannot bind query "
                              f"parameter. Field '{name}' could not be found in request message.")
        if len(values) > 1 and not spec.get("repeated"):
            raise bad_request(f"Invalid value at '{name}': repeated {len(values)} times")
        for v in values:
            ok = {"boolean": v.lower() in ("true", "false"),
                  "integer": re.fullmatch(r"-?\d+", v) is not None}.get(spec.get("type"), True)
            if not ok or ("enum" in spec and v not in spec["enum"]):
                raise bad_request(f"Invalid value at '{name}' ({spec.get('type')}), \"{v}\"", name)


@cache
def routes() -> list[tuple[str, re.Pattern, dict]]:
    out = []

    def walk(resources: dict) -> None:
        for res in resources.values():
            for m in res.get("methods", {}).values():
                pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/:]+)", re.escape("/" + m["flatPath"]))
                out.append((m["httpMethod"], re.compile(pattern + "$"), m))
            walk(res.get("resources", {}))

    walk(discovery()["resources"])
    return out


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


# --------------------------------------------------------------------------- faults

QUOTA_BODY = {"error": {
    "code": 429,
    "message": "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' "
               "of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
    "status": "RESOURCE_EXHAUSTED",
    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
                 "domain": "googleapis.com",
                 "metadata": {"quota_metric": "sheets.googleapis.com/read_requests",
                              "quota_limit": "ReadRequestsPerMinutePerUser",
                              "consumer": "projects/000000000000", "service": "sheets.googleapis.com"}}]}}
_FAULT_BODIES = {
    429: QUOTA_BODY,
    500: {"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}},
    503: {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}},
    408: {"error": {"code": 408, "message": "Request timed out.", "status": "DEADLINE_EXCEEDED"}},
}
Fault = int | tuple[int, dict] | BaseException | type[BaseException]


# --------------------------------------------------------------------------- the API


class FakeSheetsAPI(BaseAdapter):
    """In-memory Sheets API v4 (see the module docstring). Mount it with :meth:`session`.

    ``calls`` records ``(method, path, kind)`` for every request received, faults included,
    with ``kind`` "read" (GET) or "write". ``between_calls(api, n)`` runs before call ``n``
    (0-based) is served: the place to play a person editing the sheet.
    """

    def __init__(self) -> None:
        super().__init__()
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.requests: list[tuple[str, str, Any]] = []  # (method, full URL, JSON body or None) per call
        self.timeouts: list[Any] = []  # the client timeout each call was sent with
        self.faults: list[Fault] = []
        self.between_calls: Callable[[FakeSheetsAPI, int], None] | None = None

    # -- test helpers ---------------------------------------------------------------

    def session(self) -> requests.Session:
        s = requests.Session()
        s.mount("https://", self)
        return s

    def add_spreadsheet(self, spreadsheet_id: str, title: str = "Untitled", tz: str = "Etc/GMT",
                        tabs: dict[str, list[list]] | None = None, *, shared: bool = True,
                        row_count: int = 1000) -> Spreadsheet:
        """Create a spreadsheet; ``tabs`` maps titles to rows of typed values (str stays str)."""
        book = Spreadsheet(spreadsheet_id, title, tz, shared=shared)
        for i, (name, rows) in enumerate((tabs or {"Sheet1": []}).items()):
            width = max((len(r) for r in rows), default=0)
            sheet = Sheet(0 if i == 0 else self._new_id(book, name), name,
                          row_count=max(row_count, len(rows)), col_count=max(26, width))
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    if v not in ("", None):
                        sheet.cell(r, c).update(entered(v, "RAW"))
            book.sheets.append(sheet)
        self.spreadsheets[spreadsheet_id] = book
        return book

    def sheet(self, spreadsheet_id: str, tab: str) -> Sheet:
        found = self.spreadsheets[spreadsheet_id].by_title(tab)
        if found is None:
            raise KeyError(tab)
        return found

    def grid(self, spreadsheet_id: str, tab: str) -> list[list]:
        """The tab's effective values, typed, trailing blanks trimmed (like UNFORMATTED_VALUE)."""
        sheet = self.sheet(spreadsheet_id, tab)
        rows = [_trim([sheet.peek(r, c).get("v") for c in range(sheet.col_count)], lambda v: v in (None, ""))
                for r in range(sheet.row_count)]
        return [[("" if v is None else v) for v in row] for row in _trim(rows, lambda r: not r)]

    def fail_next(self, *faults: Fault) -> None:
        """Queue faults for the next calls: a status (429, 500, 503, 408), ``(status, body)``,
        or a ``requests`` exception (class or instance) to raise from the transport."""
        self.faults.extend(faults)

    @property
    def reads(self) -> list[tuple[str, str, str]]:
        return [c for c in self.calls if c[2] == "read"]

    @property
    def writes(self) -> list[tuple[str, str, str]]:
        return [c for c in self.calls if c[2] == "write"]

    # -- a person in the UI ---------------------------------------------------------

    def _only(self) -> Spreadsheet:
        if len(self.spreadsheets) != 1:
            raise ValueError("human_* helpers need exactly one spreadsheet")
        return next(iter(self.spreadsheets.values()))

    def human_set(self, tab: str, a1: str, value: Any) -> None:
        book = self._only()
        box = book.box(f"{quote_title(tab)}!{a1}")
        box.sheet.fit(box.r0 + 1, box.c0 + 1)
        cell = box.sheet.cell(box.r0, box.c0)
        for k in ("v", "f", "date"):
            cell.pop(k, None)
        cell.update(entered(value, "USER_ENTERED") if isinstance(value, str) else entered(value, "RAW"))

    def human_insert_rows(self, tab: str, at: int, n: int = 1) -> None:
        """Insert ``n`` blank rows so that the first new one is sheet row ``at`` (1-based)."""
        self._dimension(self._only().by_title(tab), "ROWS", at - 1, at - 1 + n, insert=True)

    def human_delete_rows(self, tab: str, start: int, n: int = 1) -> None:
        self._dimension(self._only().by_title(tab), "ROWS", start - 1, start - 1 + n, insert=False)

    def human_sort(self, tab: str, col: int | str, *, descending: bool = False, header_rows: int = 1) -> None:
        """Sort the rows below the header by one column (1-based number or letters), blanks last."""
        sheet = self._only().by_title(tab)
        c = (col if isinstance(col, int) else col_number(col)) - 1
        self._sort(sheet, header_rows, sheet.row_count, [(c, descending)])

    # -- transport ------------------------------------------------------------------

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # noqa: D401
        url = urlsplit(request.url)
        kind = "read" if request.method == "GET" else "write"
        n = len(self.calls)
        self.calls.append((request.method, url.path, kind))
        body_text = request.body.decode("utf-8") if isinstance(request.body, bytes) else request.body
        self.requests.append((request.method, request.url, json.loads(body_text) if body_text else None))
        self.timeouts.append(timeout)
        if self.between_calls is not None:
            self.between_calls(self, n)
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, BaseException) or (isinstance(fault, type) and issubclass(fault, BaseException)):
                raise fault
            status, payload = fault if isinstance(fault, tuple) else (fault, _FAULT_BODIES[fault])
            return self._response(request, status, payload)
        try:
            payload = self._serve(request.method, url, body_text)
            status = 200
        except ApiError as err:
            status, payload = err.code, err.body()
        return self._response(request, status, payload)

    def close(self) -> None:
        pass

    @staticmethod
    def _response(request, status: int, payload: Any) -> requests.Response:
        resp = requests.Response()
        resp.status_code = status
        resp.reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                       429: "Too Many Requests"}.get(status, "Error")
        resp._content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        resp.headers["Content-Type"] = "application/json; charset=UTF-8"
        resp.encoding = "utf-8"
        resp.url = request.url
        resp.request = request
        return resp

    def _serve(self, method: str, url, body_text: str | None) -> Any:
        if url.netloc != "sheets.googleapis.com":
            raise ApiError(404, "NOT_FOUND", f"The fake serves sheets.googleapis.com only, not {url.netloc}")
        for http, pattern, spec in routes():
            m = pattern.match(url.path)
            if http == method and m:
                break
        else:
            raise ApiError(404, "NOT_FOUND", f"No such method: {method} {url.path}")
        query = parse_qs(url.query, keep_blank_values=True)
        validate_query(query, spec)
        try:
            body = json.loads(body_text) if body_text else {}
        except json.JSONDecodeError:
            raise bad_request("Invalid JSON payload received.") from None
        if "request" in spec:
            validate_body(body, spec["request"], "data" if spec["id"].endswith(("values.update", "values.append"))
                          else "")
        book = self.spreadsheets.get(unquote(m.group("spreadsheetId")))
        if book is None:
            raise ApiError(404, "NOT_FOUND", "Requested entity was not found.")
        if not book.shared:
            raise ApiError(403, "PERMISSION_DENIED", "The caller does not have permission")
        q = {k: v[-1] for k, v in query.items()}
        rng = unquote(m.group("range")) if "range" in m.groupdict() else ""
        name = spec["id"].removeprefix("sheets.spreadsheets.")
        handlers = {
            "get": lambda: self._get(book, query),
            "batchUpdate": lambda: self._batch_update(book, body),
            "values.get": lambda: self._values_get(book, rng, q),
            "values.batchGet": lambda: self._values_batch_get(book, query.get("ranges", []), q),
            "values.update": lambda: self._values_update(book, rng, body, q),
            "values.batchUpdate": lambda: self._values_batch_update(book, body),
            "values.append": lambda: self._values_append(book, rng, body, q),
            "values.clear": lambda: self._values_clear(book, [rng], single=True),
            "values.batchClear": lambda: self._values_clear(book, body.get("ranges") or []),
        }
        if name not in handlers:
            raise ApiError(501, "UNIMPLEMENTED", f"The fake does not serve {spec['id']}")
        return handlers[name]()

    # -- spreadsheets.get -------------------------------------------------------------

    def _get(self, book: Spreadsheet, query: dict[str, list[str]]) -> dict:
        fields = query.get("fields", [""])[-1]
        mask = parse_mask(fields) if fields else {}
        wants_grid = ("data" in json.dumps(mask)) if fields else \
            query.get("includeGridData", ["false"])[-1].lower() == "true"
        boxes = [book.box(r) for r in query.get("ranges", [])]
        sheets = []
        for index, sheet in enumerate(book.sheets):
            mine = [b for b in boxes if b.sheet is sheet]
            if boxes and not mine:
                continue
            out: dict[str, Any] = {"properties": sheet.properties(index)}
            if sheet.conditional_formats:
                out["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
            if sheet.protected_ranges:
                out["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
            if wants_grid:
                out["data"] = [self._grid_data(b) for b in (mine or [Box(sheet, 0, 0, None, None)])]
            sheets.append(out)
        reply = {"spreadsheetId": book.spreadsheet_id,
                 "properties": {"title": book.title, "locale": "en_US", "autoRecalc": "ON_CHANGE",
                                "timeZone": book.time_zone},
                 "sheets": sheets,
                 "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.spreadsheet_id}/edit"}
        return prune(reply, mask) if mask else reply

    @staticmethod
    def _cell_data(cell: dict) -> dict:
        out: dict[str, Any] = {}
        if "f" in cell:
            out["userEnteredValue"] = {"formulaValue": cell["f"]}
        elif cell.get("v") is not None:
            out["userEnteredValue"] = extended(cell["v"])
        if cell.get("v") is not None:
            out["effectiveValue"] = extended(cell["v"])
            out["formattedValue"] = rendered(cell, "FORMATTED_VALUE", "")
        if "fmt" in cell:
            fmt = copy.deepcopy(cell["fmt"])
            if "backgroundColor" in fmt:
                fmt["backgroundColorStyle"] = {"rgbColor": fmt["backgroundColor"]}
            if "foregroundColor" in fmt.get("textFormat", {}):
                fmt["textFormat"]["foregroundColorStyle"] = {"rgbColor": fmt["textFormat"]["foregroundColor"]}
            out["userEnteredFormat"] = fmt
        for key, name in (("note", "note"), ("dv", "dataValidation")):
            if key in cell:
                out[name] = copy.deepcopy(cell[key])
        return out

    def _grid_data(self, box: Box) -> dict:
        r0, c0, r1, c1 = box.bounded()
        rows = [{"values": _trim([self._cell_data(box.sheet.peek(r, c)) for c in range(c0, c1)],
                                 lambda x: not x)} for r in range(r0, r1)]
        rows = _trim([row if row["values"] else {} for row in rows], lambda x: not x)
        out: dict[str, Any] = {}
        if r0:
            out["startRow"] = r0
        if c0:
            out["startColumn"] = c0
        if rows:
            out["rowData"] = rows
        return out

    # -- values -----------------------------------------------------------------------

    def _value_range(self, box: Box, q: dict[str, str]) -> dict:
        r0, c0, r1, c1 = box.bounded()
        vo, do = q.get("valueRenderOption", "FORMATTED_VALUE"), q.get("dateTimeRenderOption", "SERIAL_NUMBER")
        rows = [_trim([rendered(box.sheet.peek(r, c), vo, do) for c in range(c0, c1)],
                      lambda v: v in (None, "")) for r in range(r0, r1)]
        rows = [[("" if v is None else v) for v in row] for row in _trim(rows, lambda row: not row)]
        if q.get("majorDimension") == "COLUMNS":
            width = max((len(r) for r in rows), default=0)
            rows = _trim([_trim([r[i] if i < len(r) else "" for r in rows], lambda v: v == "")
                          for i in range(width)], lambda col: not col)
        out: dict[str, Any] = {"range": box.a1(), "majorDimension": q.get("majorDimension", "ROWS")}
        if rows:
            out["values"] = rows
        return out

    def _values_get(self, book: Spreadsheet, rng: str, q: dict[str, str]) -> dict:
        return self._value_range(book.box(rng), q)

    def _values_batch_get(self, book: Spreadsheet, ranges: list[str], q: dict[str, str]) -> dict:
        return {"spreadsheetId": book.spreadsheet_id,
                "valueRanges": [self._value_range(book.box(r), q) for r in ranges]}

    @staticmethod
    def _plan_write(box: Box, values: list, major: str | None, r0: int | None = None) -> tuple[Box, list]:
        if not isinstance(values, list) or not all(isinstance(v, list) for v in values):
            raise bad_request("Invalid values: expected a list of lists", "data.values")
        if major == "COLUMNS":
            width = max((len(v) for v in values), default=0)
            values = [[v[i] if i < len(v) else None for v in values] for i in range(width)]
        start = box.r0 if r0 is None else r0
        height, width = len(values), max((len(v) for v in values), default=0)
        if not box.point and ((box.r1 is not None and start + height > box.r1)
                              or (box.c1 is not None and box.c0 + width > box.c1)):
            raise bad_request(f"Requested writing within range [{box.a1()}], but tried writing "
                              f"{height} rows and {width} columns.")
        return Box(box.sheet, start, box.c0, start + height, box.c0 + width), values

    @staticmethod
    def _write(target: Box, values: list, option: str) -> dict:
        target.sheet.fit(target.r1 or 0, target.c1 or 0)  # the real API grows the grid for values writes
        cells = 0
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, (dict, list)):
                    raise bad_request(f"Invalid values[{i}][{j}]: {json.dumps(v)}", "data.values")
                cell = target.sheet.cell(target.r0 + i, target.c0 + j)
                for k in ("v", "f", "date"):
                    cell.pop(k, None)
                cell.update(entered(v, option))
                cells += 1
        out = {"updatedRange": target.a1(), "updatedRows": len(values),
               "updatedColumns": (target.c1 or 0) - target.c0, "updatedCells": cells}
        return out if cells else {"updatedRange": target.a1()}

    @staticmethod
    def _input_option(option: str | None) -> str:
        if option not in ("RAW", "USER_ENTERED"):
            raise bad_request("'valueInputOption' is required but not specified", "value_input_option")
        return option

    def _values_update(self, book: Spreadsheet, rng: str, body: dict, q: dict[str, str]) -> dict:
        option = self._input_option(q.get("valueInputOption"))
        target, values = self._plan_write(book.box(rng), body.get("values") or [], body.get("majorDimension"))
        return {"spreadsheetId": book.spreadsheet_id, **self._write(target, values, option)}

    def _values_batch_update(self, book: Spreadsheet, body: dict) -> dict:
        option = self._input_option(body.get("valueInputOption"))
        planned = [self._plan_write(book.box(d.get("range") or ""), d.get("values") or [], d.get("majorDimension"))
                   for d in body.get("data") or []]
        responses = [{"spreadsheetId": book.spreadsheet_id, **self._write(t, v, option)} for t, v in planned]
        return {"spreadsheetId": book.spreadsheet_id,
                "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
                "totalUpdatedColumns": max((r.get("updatedColumns", 0) for r in responses), default=0),
                "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
                "totalUpdatedSheets": len({t.sheet.sheet_id for t, _ in planned}),
                "responses": responses}

    def _values_append(self, book: Spreadsheet, rng: str, body: dict, q: dict[str, str]) -> dict:
        """The "table" is the run of non-empty rows starting at the range's first row."""
        option = self._input_option(q.get("valueInputOption"))
        box = book.box(rng)
        sheet, end = box.sheet, box.r0
        while end < sheet.row_count and any(c.get("v") not in (None, "") for c in sheet.rows[end].values()):
            end += 1
        table = Box(sheet, box.r0, box.c0, max(end, box.r0 + 1), box.c1)
        values = body.get("values") or []
        if q.get("insertDataOption") == "INSERT_ROWS" and values:
            self._dimension(sheet, "ROWS", end, end + len(values), insert=True)
        target, values = self._plan_write(Box(sheet, 0, box.c0, None, None), values,
                                          body.get("majorDimension"), r0=end)
        return {"spreadsheetId": book.spreadsheet_id, "tableRange": table.a1(),
                "updates": {"spreadsheetId": book.spreadsheet_id, **self._write(target, values, option)}}

    def _values_clear(self, book: Spreadsheet, ranges: list[str], single: bool = False) -> dict:
        boxes = [book.box(r) for r in ranges]
        for box in boxes:
            r0, c0, r1, c1 = box.bounded()
            for r in range(r0, min(r1, box.sheet.row_count)):
                for c in [c for c in box.sheet.rows[r] if c0 <= c < c1]:
                    for k in ("v", "f", "date"):
                        box.sheet.rows[r][c].pop(k, None)
        if single:
            return {"spreadsheetId": book.spreadsheet_id, "clearedRange": boxes[0].a1()}
        return {"spreadsheetId": book.spreadsheet_id, "clearedRanges": [b.a1() for b in boxes]}

    # -- spreadsheets.batchUpdate -------------------------------------------------------

    @staticmethod
    def _new_id(book: Spreadsheet, title: str) -> int:
        sid = zlib.crc32(title.encode("utf-8")) & 0x7FFFFFFF or 1
        while any(s.sheet_id == sid for s in book.sheets):
            sid = (sid + 1) & 0x7FFFFFFF or 1
        return sid

    def _batch_update(self, book: Spreadsheet, body: dict) -> dict:
        """All sub-requests or none: they run on a copy that replaces the book at the end."""
        work = copy.deepcopy(book)
        replies = []
        for i, req in enumerate(body.get("requests") or []):
            kinds = [k for k, v in req.items() if v is not None]
            if len(kinds) != 1:
                raise bad_request(f"Invalid requests[{i}]: exactly one kind of request must be set", f"requests[{i}]")
            kind = kinds[0]
            handler = getattr(self, f"_req_{kind}", None)
            if handler is None:
                raise ApiError(501, "UNIMPLEMENTED", f"The fake does not serve requests[{i}].{kind}")
            try:
                replies.append(handler(work, req[kind]) or {})
            except ApiError as err:
                raise bad_request(f"Invalid requests[{i}].{kind}: {err.message}", f"requests[{i}]") from None
        self.spreadsheets[book.spreadsheet_id] = work
        return {"spreadsheetId": book.spreadsheet_id, "replies": replies}

    def _req_addSheet(self, book: Spreadsheet, req: dict) -> dict:
        props = req.get("properties") or {}
        title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
        if book.by_title(title):
            raise bad_request(f'A sheet with the name "{title}" already exists. Please enter another name.')
        sid = props.get("sheetId")
        if sid is not None and any(s.sheet_id == sid for s in book.sheets):
            raise bad_request(f"A sheet with the id {sid} already exists.")
        grid = props.get("gridProperties") or {}
        sheet = Sheet(self._new_id(book, title) if sid is None else int(sid), title,
                      row_count=grid.get("rowCount") or 1000, col_count=grid.get("columnCount") or 26,
                      hidden=bool(props.get("hidden")), frozen_rows=grid.get("frozenRowCount") or 0,
                      frozen_cols=grid.get("frozenColumnCount") or 0)
        index = props.get("index")
        book.sheets.insert(len(book.sheets) if index is None else index, sheet)
        if all(s.hidden for s in book.sheets):
            raise bad_request("You can't hide all the sheets in a document.")
        return {"addSheet": {"properties": sheet.properties(book.sheets.index(sheet))}}

    def _req_deleteSheet(self, book: Spreadsheet, req: dict) -> None:
        sheet = book.by_id(req.get("sheetId"))
        if len(book.sheets) == 1:
            raise bad_request("You can't remove all the sheets in a document.")
        book.sheets.remove(sheet)

    def _req_updateSheetProperties(self, book: Spreadsheet, req: dict) -> None:
        props = req.get("properties") or {}
        mask = parse_mask(req.get("fields") or "")
        if not mask:
            raise bad_request("At least one field must be updated, but 'fields' is empty.")
        sheet = book.by_id(props.get("sheetId"))
        grid = props.get("gridProperties") or {}
        everything = "*" in mask
        if everything or "title" in mask:
            sheet.title = props.get("title") or sheet.title
        if everything or "hidden" in mask:
            sheet.hidden = bool(props.get("hidden"))
        if everything or "index" in mask:
            book.sheets.remove(sheet)
            book.sheets.insert(props.get("index") or 0, sheet)
        gmask = {} if everything else mask.get("gridProperties", None)
        if gmask is not None:
            for key, attr in (("rowCount", "row_count"), ("columnCount", "col_count"),
                              ("frozenRowCount", "frozen_rows"), ("frozenColumnCount", "frozen_cols")):
                if not gmask or key in gmask:
                    setattr(sheet, attr, grid.get(key) or 0)
            del sheet.rows[sheet.row_count:]
            sheet.fit(sheet.row_count, sheet.col_count)
        if all(s.hidden for s in book.sheets):
            raise bad_request("You can't hide all the sheets in a document.")

    @staticmethod
    def _bounds(book: Spreadsheet, rng: dict) -> tuple[Sheet, int, int, int, int]:
        sheet = book.by_id(rng.get("sheetId"))
        r1 = rng.get("endRowIndex")
        c1 = rng.get("endColumnIndex")
        return (sheet, rng.get("startRowIndex") or 0, rng.get("startColumnIndex") or 0,
                sheet.row_count if r1 is None else r1, sheet.col_count if c1 is None else c1)

    @staticmethod
    def _set_cell(cell: dict, src: dict, mask: dict) -> None:
        keys = ("userEnteredValue", "note", "userEnteredFormat", "dataValidation") if "*" in mask else tuple(mask)
        for key in keys:
            value = src.get(key)
            if key == "userEnteredValue":
                for k in ("v", "f", "date"):
                    cell.pop(k, None)
                if value:
                    if "formulaValue" in value:
                        cell.update(entered(value["formulaValue"], "USER_ENTERED"))
                    else:
                        cell["v"] = next(iter(value.values()))
            elif key in ("note", "dataValidation"):
                store = "note" if key == "note" else "dv"
                if value:
                    cell[store] = copy.deepcopy(value)
                else:
                    cell.pop(store, None)
            elif key == "userEnteredFormat":
                sub = mask.get(key) or {}
                if not sub or "*" in mask:
                    cell.pop("fmt", None)
                    if value:
                        cell["fmt"] = copy.deepcopy(value)
                else:
                    fmt = cell.setdefault("fmt", {})
                    for k in sub:
                        if value and k in value:
                            fmt[k] = copy.deepcopy(value[k])
                        else:
                            fmt.pop(k, None)
            else:
                raise bad_request(f"Invalid field mask for CellData: {key}")

    def _req_updateCells(self, book: Spreadsheet, req: dict) -> None:
        mask = parse_mask(req.get("fields") or "")
        if not mask:
            raise bad_request("'fields' must be set")
        rows = req.get("rows") or []
        if req.get("range"):
            sheet, r0, c0, r1, c1 = self._bounds(book, req["range"])
        else:
            start = req.get("start") or {}
            sheet = book.by_id(start.get("sheetId"))
            r0, c0 = start.get("rowIndex") or 0, start.get("columnIndex") or 0
            r1 = r0 + len(rows)
            c1 = c0 + max((len(r.get("values") or []) for r in rows), default=0)
        sheet.fit(r1, c1)
        for r in range(r0, r1):
            values = (rows[r - r0].get("values") or []) if r - r0 < len(rows) else []
            for c in range(c0, c1):
                if c - c0 < len(values) or req.get("range"):
                    src = values[c - c0] if c - c0 < len(values) else {}
                    self._set_cell(sheet.cell(r, c), src or {}, mask)

    def _req_repeatCell(self, book: Spreadsheet, req: dict) -> None:
        sheet, r0, c0, r1, c1 = self._bounds(book, req.get("range") or {})
        mask = parse_mask(req.get("fields") or "")
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._set_cell(sheet.cell(r, c), req.get("cell") or {}, mask)

    def _req_setDataValidation(self, book: Spreadsheet, req: dict) -> None:
        sheet, r0, c0, r1, c1 = self._bounds(book, req.get("range") or {})
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._set_cell(sheet.cell(r, c), {"dataValidation": req.get("rule")}, {"dataValidation": {}})

    def _req_addProtectedRange(self, book: Spreadsheet, req: dict) -> dict:
        pr = {k: v for k, v in copy.deepcopy(req.get("protectedRange") or {}).items() if v is not None}
        sheet = book.by_id((pr.get("range") or {}).get("sheetId"))
        taken = {p["protectedRangeId"] for s in book.sheets for p in s.protected_ranges}
        pr["protectedRangeId"] = max(taken, default=1000) + 1
        pr["requestingUserCanEdit"] = True
        pr["editors"] = {} if pr.get("warningOnly") else pr.get("editors") or {}
        if pr.get("range", {}).get("sheetId") == 0:
            del pr["range"]["sheetId"]
        sheet.protected_ranges.append(pr)
        return {"addProtectedRange": {"protectedRange": copy.deepcopy(pr)}}

    def _req_addConditionalFormatRule(self, book: Spreadsheet, req: dict) -> None:
        rule = copy.deepcopy(req.get("rule") or {})
        ranges = rule.get("ranges") or []
        if not ranges:
            raise bad_request("A conditional format rule needs at least one range.")
        sheet = book.by_id(ranges[0].get("sheetId"))
        for rng in ranges:
            if rng.get("sheetId") == 0:
                del rng["sheetId"]
        sheet.conditional_formats.insert(req.get("index") or 0, rule)

    def _req_insertDimension(self, book: Spreadsheet, req: dict) -> None:
        rng = req.get("range") or {}
        self._dimension(book.by_id(rng.get("sheetId")), rng.get("dimension"), rng.get("startIndex") or 0,
                        rng.get("endIndex") or 0, insert=True)

    def _req_deleteDimension(self, book: Spreadsheet, req: dict) -> None:
        rng = req.get("range") or {}
        sheet = book.by_id(rng.get("sheetId"))
        end = rng.get("endIndex")
        if end is None:
            end = sheet.row_count if rng.get("dimension") == "ROWS" else sheet.col_count
        self._dimension(sheet, rng.get("dimension"), rng.get("startIndex") or 0, end, insert=False)

    def _req_appendDimension(self, book: Spreadsheet, req: dict) -> None:
        sheet = book.by_id(req.get("sheetId"))
        end = sheet.row_count if req.get("dimension") == "ROWS" else sheet.col_count
        self._dimension(sheet, req.get("dimension"), end, end + (req.get("length") or 0), insert=True)

    def _req_sortRange(self, book: Spreadsheet, req: dict) -> None:
        sheet, r0, c0, r1, c1 = self._bounds(book, req.get("range") or {})
        if c0 != 0 or c1 != sheet.col_count:
            raise bad_request("The fake sorts whole rows only.")
        specs = [(s.get("dimensionIndex") or 0, s.get("sortOrder") == "DESCENDING")
                 for s in req.get("sortSpecs") or []]
        self._sort(sheet, r0, r1, specs)

    @staticmethod
    def _dimension(sheet: Sheet | None, dimension: str | None, start: int, end: int, *, insert: bool) -> None:
        if sheet is None or end <= start:
            raise bad_request("Invalid dimension range.")
        n = end - start
        if dimension == "ROWS":
            if insert:
                sheet.rows[start:start] = [{} for _ in range(n)]
                sheet.row_count += n
            else:
                if end > sheet.row_count or n >= sheet.row_count:
                    raise bad_request("You can't delete all the rows on the sheet." if n >= sheet.row_count
                                      else f"Invalid deleteDimension: endIndex {end} > {sheet.row_count}")
                del sheet.rows[start:end]
                sheet.row_count -= n
        elif dimension == "COLUMNS":
            for i, row in enumerate(sheet.rows):
                moved = {}
                for c, cell in row.items():
                    if c < start:
                        moved[c] = cell
                    elif insert:
                        moved[c + n] = cell
                    elif c >= end:
                        moved[c - n] = cell
                sheet.rows[i] = moved
            sheet.col_count += n if insert else -n
        else:
            raise bad_request(f"Invalid dimension {dimension!r}.")

    @staticmethod
    def _sort(sheet: Sheet, r0: int, r1: int, specs: list[tuple[int, bool]]) -> None:
        def typed(v: Any) -> tuple:
            if isinstance(v, bool):
                return (2, v)
            if isinstance(v, (int, float)):
                return (0, v)
            return (1, str(v).casefold())

        segment = sheet.rows[r0:r1]
        for col, descending in reversed(specs):
            filled = [r for r in segment if r.get(col, {}).get("v") not in (None, "")]
            blank = [r for r in segment if r.get(col, {}).get("v") in (None, "")]
            filled.sort(key=lambda r: typed(r[col]["v"]), reverse=descending)
            segment = filled + blank
        sheet.rows[r0:r1] = segment
