"""The fake as a ``requests`` transport adapter: routing, faults, call log, a person's edits."""
from __future__ import annotations

import gzip
import io
import json
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import urllib3
from requests.adapters import BaseAdapter

from .batch_update import BatchUpdateMixin
from .cells import Sheet, Spreadsheet, _trim, col_number, entered, quote_title
from .discovery import ApiError, bad_request, routes, validate_body, validate_query
from .values import ValuesMixin

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
MAX_BODY_BYTES = 10_485_760  # Google refuses larger request bodies (and recommends 2 MB)


# --------------------------------------------------------------------------- the API


class FakeSheetsAPI(ValuesMixin, BatchUpdateMixin, BaseAdapter):
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
        self.body_sizes: list[int] = []  # bytes of each request body (0 for none)
        self.reply_sizes: list[int] = []  # bytes of each reply body on the wire (gzip when asked for)
        self.reply_raw_sizes: list[int] = []  # bytes of each reply body once decoded
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

    def human_insert_columns(self, tab: str, at: int, n: int = 1) -> None:
        """Insert ``n`` blank columns so that the first new one is column ``at`` (1-based)."""
        self._dimension(self._only().by_title(tab), "COLUMNS", at - 1, at - 1 + n, insert=True)

    def human_delete_rows(self, tab: str, start: int, n: int = 1) -> None:
        self._dimension(self._only().by_title(tab), "ROWS", start - 1, start - 1 + n, insert=False)

    def human_delete_tab(self, tab: str) -> None:
        """Delete a whole tab, as a person can from the tab's menu."""
        book = self._only()
        book.sheets.remove(book.by_title(tab))

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
        size = len(request.body if isinstance(request.body, bytes) else (request.body or "").encode("utf-8"))
        self.body_sizes.append(size)
        if size > MAX_BODY_BYTES:
            self.requests.append((request.method, request.url, None))
            self.timeouts.append(timeout)
            return self._response(request, 400, bad_request(
                f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes.").body())
        self.requests.append((request.method, request.url, json.loads(body_text) if body_text else None))
        self.timeouts.append(timeout)
        if body_text and not (request.headers or {}).get("Content-Type", "").startswith("application/json"):
            # strict about request shape: a JSON body goes with its media type, as every
            # recorded request with a body does (reference/gspread-cassettes)
            return self._response(request, 400, bad_request(
                "Invalid JSON payload received: the body is not declared application/json.").body())
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

    def _response(self, request, status: int, payload: Any) -> requests.Response:
        resp = requests.Response()
        resp.status_code = status
        resp.reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                       429: "Too Many Requests"}.get(status, "Error")
        content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.reply_raw_sizes.append(len(content))
        headers = request.headers or {}
        if "gzip" in headers.get("Accept-Encoding", "") and "gzip" in headers.get("User-Agent", ""):
            # Google compresses a reply only when asked both ways (Accept-Encoding and a user
            # agent containing "gzip"); requests decodes it as it would on the wire.
            wire = gzip.compress(content, compresslevel=6)
            resp.raw = urllib3.HTTPResponse(body=io.BytesIO(wire), headers={"Content-Encoding": "gzip"},
                                            status=status, preload_content=False, decode_content=True)
            resp.headers["Content-Encoding"] = "gzip"
            self.reply_sizes.append(len(wire))
        else:
            resp._content = content
            self.reply_sizes.append(len(content))
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
