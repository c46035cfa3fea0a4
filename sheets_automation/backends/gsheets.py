"""The Google Sheets backend: the spreadsheet port (:mod:`.base`) over real gspread.

Call budget per run (60 reads + 60 writes per minute per account, whatever the row count):

* ``read``  — 1 ``spreadsheets.get`` (grid data, narrow ``fields`` mask);
* ``apply`` — 0 for an empty plan; else 1 ``values:batchGet`` (re-read the touched tabs),
  1 ``values:batchUpdate`` (RAW, so text such as ``=HYPERLINK(…)`` stays text), and
  1 ``spreadsheets.batchUpdate`` only when a tab must be created or a coloured column lacks
  our alert rules;
* ``init_layout`` — 1 read, plus 1 ``spreadsheets.batchUpdate`` when something is missing.

We call gspread's HTTP layer directly: ``Client.open_by_key`` would spend a metadata read.
Colours are conditional-format rules on the Alert column keyed on the label prefix
(policy colours), never per-cell fills, so a normal run costs no format call.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import gspread
import requests
from google.auth.exceptions import RefreshError
from gspread.exceptions import APIError
from gspread.utils import (DateTimeOption, Dimension, ValueInputOption, ValueRenderOption, absolute_range_name,
                           convert_hex_to_colors_dict, extract_id_from_url, rowcol_to_a1)

from .. import colours
from ..appearance import new_tab
from ..errors import ConfigError, CredentialsError
from ..schema import TabSchema, normalise_header
from .base import STATE_HEADERS, STATE_TAB, ApplyResult, Grid, NewTab, ReportChart, ReportTab, Snapshot, WritePlan, trim_rows
from .gsheets_auth import load_credentials
from .gsheets_http import DEFAULT_MAX_RETRIES, RetryingHTTPClient, access_error, cell_text
from .placement import append_rows, place

_SHEET_PROPS = "properties(sheetId,title,index,hidden,gridProperties)"
READ_FIELDS = (f"properties(title,timeZone),sheets({_SHEET_PROPS},conditionalFormats,charts/chartId,"
               "data/rowData/values/effectiveValue)")
META_FIELDS = f"sheets({_SHEET_PROPS},conditionalFormats,charts/chartId)"
LAYOUT_FIELDS = (f"sheets({_SHEET_PROPS},conditionalFormats,protectedRanges,basicFilter/range,"
                 f"data/rowData/values(effectiveValue,dataValidation))")
NEW_TAB_ROWS = 1000
PIXELS_PER_CHAR, PIXEL_PAD = 7, 10  # Arial 10 as Google draws it
PROTECTION_NOTE = "Filled by sheets-automation: a hand edit here may be replaced on the next run"

Cells = dict[str, list[tuple[int, int, str, str | None]]]  # {tab: [(row, col, value, colour)]}, 1-based


@dataclass
class TabMeta:
    """What we know of a tab besides its values."""

    sheet_id: int
    title: str
    hidden: bool = False
    frozen_rows: int = 0
    alert_rules: dict[int, set[str]] = field(default_factory=dict)  # 0-based column → label prefixes
    charts: int = 0  # charts on the tab (a report's chart is added only when there is none)


# --------------------------------------------------------------------------- pure helpers


def trimmed_rows(rows: Sequence[Sequence[Any]]) -> tuple[tuple[str, ...], ...]:
    """Cells through :func:`cell_text`, trailing blank cells and rows dropped."""
    return trim_rows([cell_text(v) for v in row] for row in rows)


def _alert_rules(sheet: dict) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for rule in sheet.get("conditionalFormats") or []:
        cond = (rule.get("booleanRule") or {}).get("condition") or {}
        values = cond.get("values") or []
        if cond.get("type") != "TEXT_STARTS_WITH" or len(values) != 1:
            continue
        for rng in rule.get("ranges") or []:
            start = rng.get("startColumnIndex", 0)
            if rng.get("endColumnIndex") == start + 1:
                found.setdefault(start, set()).add(values[0].get("userEnteredValue", ""))
    return found


def parse_spreadsheet(resp: dict) -> tuple[Snapshot, dict[str, TabMeta]]:
    """A ``spreadsheets.get`` reply (grid data included) → snapshot and tab metadata."""
    grids: dict[str, Grid] = {}
    meta: dict[str, TabMeta] = {}
    for sheet in resp.get("sheets") or []:
        props = sheet.get("properties") or {}
        title = props.get("title", "")
        data = (sheet.get("data") or [{}])[0]
        rows = [[c.get("effectiveValue") for c in (r.get("values") or [])] for r in data.get("rowData") or []]
        meta[title] = TabMeta(props.get("sheetId", 0), title, bool(props.get("hidden")),
                              (props.get("gridProperties") or {}).get("frozenRowCount", 0), _alert_rules(sheet),
                              len(sheet.get("charts") or []))
        grids[title] = Grid(title, trimmed_rows(rows), meta[title].sheet_id, meta[title].hidden)
    top = resp.get("properties") or {}
    return Snapshot(grids, top.get("timeZone"), top.get("title", "")), meta


def value_ranges(cells: Cells) -> list[dict]:
    """``values:batchUpdate`` data: adjacent cells of one row become one range."""
    data = []
    for tab, items in cells.items():
        by_row: dict[int, dict[int, str]] = {}
        for row, col, value, _colour in items:
            by_row.setdefault(row, {})[col] = value
        for row in sorted(by_row):
            cols = sorted(by_row[row])
            start = prev = cols[0]
            for col in cols[1:] + [None]:
                if col is not None and col == prev + 1:
                    prev = col
                    continue
                a1 = rowcol_to_a1(row, start) + ("" if prev == start else ":" + rowcol_to_a1(row, prev))
                data.append({"range": absolute_range_name(tab, a1), "majorDimension": Dimension.rows,
                             "values": [[by_row[row][c] for c in range(start, prev + 1)]]})
                if col is not None:
                    start = prev = col
    return data


def alert_rule_requests(sheet_id: int, col0: int, present: set[str]) -> list[dict]:
    """One TEXT_STARTS_WITH rule per policy colour missing on 0-based column ``col0`` (rows 2+)."""
    out = []
    for index, (name, (prefix, _hex, _meaning)) in enumerate(colours.COLOURS.items()):
        if prefix in present:
            continue
        out.append({"addConditionalFormatRule": {"index": index, "rule": {
            "ranges": [{"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": col0, "endColumnIndex": col0 + 1}],
            "booleanRule": {"condition": {"type": "TEXT_STARTS_WITH", "values": [{"userEnteredValue": prefix}]},
                            "format": {"backgroundColor": convert_hex_to_colors_dict(colours.rgb(name))}}}}})
    return out


def report_range(report: ReportTab, old: Grid | None) -> dict:
    """One ``values:batchUpdate`` range writing ``report`` from A1, padded with blanks over the
    old content so nothing stale is left (numbers go as JSON numbers under RAW)."""
    height = max(len(report.rows), len(old.rows) if old else 0, 1)
    width = max([len(r) for r in report.rows] + [len(r) for r in (old.rows if old else ())] + [1])
    values = [[(row[c] if c < len(row) else "") for c in range(width)]
              for row in (list(report.rows) + [()] * (height - len(report.rows)))]
    return {"range": absolute_range_name(report.title, f"A1:{rowcol_to_a1(height, width)}"),
            "majorDimension": Dimension.rows, "values": values}


def add_chart_request(sheet_id: int, chart: ReportChart) -> dict:
    """``addChart``: a native line chart over the report's block (header row names the series)."""
    def source(col: int, first_row: int) -> dict:
        return {"sourceRange": {"sources": [{"sheetId": sheet_id, "startRowIndex": first_row - 1,
                                             "endRowIndex": chart.last_row, "startColumnIndex": col - 1,
                                             "endColumnIndex": col}]}}
    return {"addChart": {"chart": {
        "spec": {"title": chart.title, "basicChart": {
            "chartType": "LINE", "legendPosition": "BOTTOM_LEGEND", "headerCount": 1, "lineSmoothing": False,
            "axis": [{"position": "BOTTOM_AXIS", "title": "Week"}, {"position": "LEFT_AXIS", "title": "Cases"}],
            "domains": [{"domain": source(chart.x_col, chart.header_row)}],
            "series": [{"series": source(c, chart.header_row), "targetAxis": "LEFT_AXIS"} for c in chart.y_cols]}},
        "position": {"overlayPosition": {"anchorCell": {"sheetId": sheet_id, "rowIndex": chart.anchor[0] - 1,
                                                        "columnIndex": chart.anchor[1] - 1}}}}}}


def new_sheet_id(title: str, taken: set[int]) -> int:
    """A stable sheetId for a tab we create, so later requests of the same batch can use it."""
    sid = zlib.crc32(title.encode("utf-8")) & 0x7FFFFFFF or 1
    while sid in taken:
        sid = (sid + 1) & 0x7FFFFFFF or 1
    taken.add(sid)
    return sid


def add_tab_requests(tab: NewTab, sheet_id: int) -> list[dict]:
    """``addSheet`` (header row frozen) plus its header texts; with looks, also the layout
    for people (:func:`people_layout_requests`)."""
    grid = {"rowCount": NEW_TAB_ROWS, "columnCount": max(26, len(tab.headers)), "frozenRowCount": 1}
    props: dict[str, Any] = {"sheetId": sheet_id, "title": tab.title, "gridProperties": grid}
    if tab.hidden:
        props["hidden"] = True
    bold = {"userEnteredFormat": {"textFormat": {"bold": True}}} if tab.looks else {}
    return [{"addSheet": {"properties": props}},
            {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                             "fields": "userEnteredValue" + (",userEnteredFormat.textFormat.bold" if tab.looks else ""),
                             "rows": [{"values": [{"userEnteredValue": {"stringValue": h}, **bold}
                                                  for h in tab.headers]}]}},
            *people_layout_requests(tab, sheet_id)]


def column_width_requests(sheet_id: int, widths: Sequence[int]) -> list[dict]:
    """``updateDimensionProperties``: one per run of adjacent columns of equal width (characters)."""
    out: list[dict] = []
    start = 0
    for i in range(1, len(widths) + 1):
        if i < len(widths) and widths[i] == widths[start]:
            continue
        out.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": Dimension.cols, "startIndex": start, "endIndex": i},
            "properties": {"pixelSize": widths[start] * PIXELS_PER_CHAR + PIXEL_PAD}, "fields": "pixelSize"}})
        start = i
    return out


def basic_filter_request(sheet_id: int) -> dict:
    """A filter over the whole tab (it grows with the rows people and the automation add)."""
    return {"setBasicFilter": {"filter": {"range": {"sheetId": sheet_id}}}}


def people_layout_requests(tab: NewTab, sheet_id: int) -> list[dict]:
    """A created tab laid out for people: a filter, column widths, every cell top-aligned and
    long-text columns wrapped (formats stay on the cells, so later values keep them)."""
    if not tab.looks:
        return []
    out = [basic_filter_request(sheet_id), *column_width_requests(sheet_id, [look.width for look in tab.looks]),
           {"repeatCell": {"range": {"sheetId": sheet_id, "startRowIndex": 1},
                           "cell": {"userEnteredFormat": {"verticalAlignment": "TOP"}},
                           "fields": "userEnteredFormat.verticalAlignment"}}]
    for col, look in enumerate(tab.looks):
        if look.wrap:
            out.append({"repeatCell": {
                "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": col, "endColumnIndex": col + 1},
                "cell": {"userEnteredFormat": {"wrapStrategy": "WRAP"}}, "fields": "userEnteredFormat.wrapStrategy"}})
    return out


# --------------------------------------------------------------------------- the backend


class GoogleSheetsBackend:
    """:class:`~.base.Backend` for one Google spreadsheet. Build it with :func:`open_google_backend`."""

    def __init__(self, client: gspread.Client, spreadsheet_id: str, account: str | None = None):
        self.client = client
        self.http = client.http_client
        self.spreadsheet_id = spreadsheet_id
        self.account = account
        self.label = f"Google Sheet {spreadsheet_id[:8]}…" if len(spreadsheet_id) > 8 else f"Google Sheet {spreadsheet_id}"
        self._meta: dict[str, TabMeta] | None = None  # from the last read, used by apply

    def _call(self, fn: Callable[..., Any], *args: Any, keep_400: bool = False, **kwargs: Any) -> Any:
        """Run one API call, turning Google errors into our one-line errors (a 400 is passed
        through as ``APIError`` when the caller knows how to recover from it)."""
        try:
            return fn(*args, **kwargs)
        except APIError as err:
            if keep_400 and err.response.status_code == 400:
                raise
            raise access_error(err, self.spreadsheet_id, self.account) from None
        except RefreshError:
            raise CredentialsError("Google refused to issue an access token for these credentials: check the "
                                   "key was not deleted or disabled and the computer's clock is right") from None

    def _get(self, fields: str) -> dict:
        return self._call(self.http.fetch_sheet_metadata, self.spreadsheet_id,
                          params={"includeGridData": "true", "fields": fields})

    # -- read ----------------------------------------------------------------------

    def read(self) -> Snapshot:
        """Every tab's values in one ``spreadsheets.get``; also remembers tab ids and alert rules."""
        snapshot, self._meta = parse_spreadsheet(self._get(READ_FIELDS))
        return snapshot

    # -- apply ---------------------------------------------------------------------

    def apply(self, plan: WritePlan) -> ApplyResult:
        """Re-read touched tabs, place by key and header, compare-and-set, write (see module doc)."""
        result = ApplyResult()
        if not plan:
            return result
        if self._meta is None:  # apply without a read first: one extra metadata read
            _snap, self._meta = parse_spreadsheet(self._get(META_FIELDS))
            result.api_calls += 1
        touched = [t for t in dict.fromkeys([w.tab for w in plan.cells] + [a.tab for a in plan.appends]
                                            + [r.title for r in plan.reports]) if t in self._meta]
        fresh, calls = self._reread(touched)
        result.api_calls += calls
        placed = place(plan, fresh)
        creating = {t.title for t in plan.new_tabs}
        appended = {t: v for t, v in append_rows(plan, fresh).items() if t in fresh or t in creating}
        result.skipped = list(placed.skipped) + [f"{a.tab} new row: the tab is gone" for a in plan.appends
                                                  if a.tab not in fresh and a.tab not in creating]
        structure = self._structure_requests(plan, fresh, placed.cells, appended)
        if structure:
            result.api_calls += self._layout_write(plan, fresh, placed.cells, appended, structure)
        cells: Cells = {}
        for source in (placed.cells, appended):
            for tab, items in source.items():
                cells.setdefault(tab, []).extend(items)
        data = value_ranges(cells) + [report_range(r, fresh.get(r.title)) for r in plan.reports
                                      if r.title in fresh or r.title in self._meta]
        if data:
            self._call(self.http.values_batch_update, self.spreadsheet_id,
                       {"valueInputOption": ValueInputOption.raw, "data": data})
            result.api_calls += 1
        result.written = sum(len(v) for v in placed.cells.values())
        result.appended = sum(len({row for row, *_ in v}) for v in appended.values())
        return result

    def _relearn_tabs(self) -> None:
        """Fetch the tab list again (a person deleted, renamed or added tabs since the read)."""
        _snap, self._meta = parse_spreadsheet(self._get(META_FIELDS))

    def _layout_write(self, plan, fresh, placed, appended, structure) -> int:
        """The one layout batchUpdate; returns the calls it cost.

        If Google says a tab "already exists", an earlier attempt whose reply was lost did
        land: learn the tabs again and send only what is still missing (once).
        """
        try:
            self._call(self.http.batch_update, self.spreadsheet_id, {"requests": structure}, keep_400=True)
            return 1
        except APIError as err:
            if "already exists" not in str(err.error.get("message", "")):
                raise access_error(err, self.spreadsheet_id, self.account) from None
        self._relearn_tabs()
        rest = self._structure_requests(plan, fresh, placed, appended)
        if rest:
            self._call(self.http.batch_update, self.spreadsheet_id, {"requests": rest})
        return 2 + bool(rest)

    def _reread(self, tabs: list[str]) -> tuple[dict[str, Grid], int]:
        """Fresh values of ``tabs`` (one batchGet) and the calls it cost. A 400 means a person
        deleted or renamed one of them since the read: learn the tabs again and re-read the rest."""
        if not tabs:
            return {}, 0
        try:
            return self._call(self._values, tabs, keep_400=True), 1
        except APIError:
            pass
        self._relearn_tabs()
        still = [t for t in tabs if t in self._meta]
        return (self._call(self._values, still), 3) if still else ({}, 2)

    def _values(self, tabs: list[str]) -> dict[str, Grid]:
        resp = self.http.values_batch_get(
            self.spreadsheet_id, [absolute_range_name(t) for t in tabs],
            params={"valueRenderOption": ValueRenderOption.unformatted,
                    "dateTimeRenderOption": DateTimeOption.serial_number, "majorDimension": Dimension.rows})
        meta = self._meta or {}
        return {t: Grid(t, trimmed_rows(vr.get("values") or []), meta[t].sheet_id, meta[t].hidden)
                for t, vr in zip(tabs, resp.get("valueRanges") or [])}

    def _structure_requests(self, plan: WritePlan, fresh: dict[str, Grid], placed: Cells, appended: Cells) -> list[dict]:
        """addSheet for new tabs, alert rules for coloured columns lacking them; updates the cache."""
        meta = self._meta if self._meta is not None else {}
        taken = {m.sheet_id for m in meta.values()}
        requests_: list[dict] = []
        for tab in plan.new_tabs:
            if tab.title in meta:
                continue
            sid = new_sheet_id(tab.title, taken)
            requests_ += add_tab_requests(tab, sid)
            meta[tab.title] = TabMeta(sid, tab.title, tab.hidden, 1)
        coloured = {(tab, col) for source in (placed, appended)
                    for tab, items in source.items() for _r, col, _v, colour in items if colour}
        for tab, col in sorted(coloured):
            present = meta[tab].alert_rules.setdefault(col - 1, set())
            new = alert_rule_requests(meta[tab].sheet_id, col - 1, present)
            requests_ += new
            present.update(r["addConditionalFormatRule"]["rule"]["booleanRule"]["condition"]["values"][0]
                           ["userEnteredValue"] for r in new)
        for report in plan.reports:  # the tab if missing, its chart if absent (same batchUpdate)
            if report.title not in meta:
                sid = new_sheet_id(report.title, taken)
                requests_.append({"addSheet": {"properties": {"sheetId": sid, "title": report.title}}})
                requests_ += column_width_requests(sid, report.widths)
                meta[report.title] = TabMeta(sid, report.title)
            if report.chart is not None and not meta[report.title].charts:
                requests_.append(add_chart_request(meta[report.title].sheet_id, report.chart))
                meta[report.title].charts = 1
        return requests_

    # -- init_layout ---------------------------------------------------------------

    def init_layout(self, schemas: Sequence[TabSchema]) -> list[str]:
        """Create missing tabs (in the order given, then the hidden state tab), freeze headers,
        add dropdowns, warning-only protection and alert rules. Idempotent; never writes data."""
        resp = self._get(LAYOUT_FIELDS)
        sheets = resp.get("sheets") or []
        taken = {(s.get("properties") or {}).get("sheetId", 0) for s in sheets}
        requests_: list[dict] = []
        lines: list[str] = []
        for schema in schemas:
            sheet = next((s for s in sheets if normalise_header(s["properties"].get("title", "")) in schema.names), None)
            if sheet is None:
                sid = new_sheet_id(schema.tab, taken)
                tab = new_tab(schema) if schema.kind != "report" else NewTab(schema.tab, ())
                requests_ += add_tab_requests(tab, sid)
                lines.append(f"created tab {schema.tab}" + (f" with {len(schema.headers)} headers" if schema.headers else ""))
                sheet = {"properties": {"sheetId": sid, "title": schema.tab, "gridProperties": {"frozenRowCount": 1}},
                         **({"basicFilter": {"range": {"sheetId": sid}}} if tab.looks else {}),
                         "data": [{"rowData": [{"values": [{"effectiveValue": {"stringValue": h}}
                                                           for h in tab.headers]}]}]}
            requests_ += _tab_layout(schema, sheet, lines)
        if not any((s.get("properties") or {}).get("title") == STATE_TAB for s in sheets):
            requests_ += add_tab_requests(NewTab(STATE_TAB, STATE_HEADERS, hidden=True), new_sheet_id(STATE_TAB, taken))
            lines.append(f"created hidden tab {STATE_TAB}")
        if requests_:
            self._call(self.http.batch_update, self.spreadsheet_id, {"requests": requests_})
            self._meta = None
        return lines


def _tab_layout(schema: TabSchema, sheet: dict, lines: list[str]) -> list[dict]:
    """Requests that bring one tab's layout up to ``schema``; appends one line per thing."""
    props = sheet["properties"]
    sid, title = props.get("sheetId", 0), props.get("title", "")
    rows = ((sheet.get("data") or [{}])[0].get("rowData") or [])
    header = [cell_text(c.get("effectiveValue")) for c in ((rows[0].get("values") or []) if rows else [])]
    first = (rows[1].get("values") or []) if len(rows) > 1 else []
    cols = {normalise_header(h): i for i, h in reversed(list(enumerate(header))) if h.strip()}
    protected = {(p["range"].get("startColumnIndex", 0), p["range"].get("endColumnIndex"))
                 for p in sheet.get("protectedRanges") or [] if p.get("warningOnly") and "range" in p}
    rules = _alert_rules(sheet)
    out: list[dict] = []
    if (props.get("gridProperties") or {}).get("frozenRowCount", 0) < 1:
        out.append({"updateSheetProperties": {"properties": {"sheetId": sid, "gridProperties": {"frozenRowCount": 1}},
                                              "fields": "gridProperties.frozenRowCount"}})
        lines.append(f"froze the header row of {title}")
    if header and "basicFilter" not in sheet:
        out.append(basic_filter_request(sid))
        lines.append(f"added a filter on {title}")
    for column in schema.columns:
        c = next((cols[n] for n in column.names if n in cols), None)
        if c is None:
            continue
        where = f"{title}!{column.header}"
        if column.type == "enum":
            rule = (first[c].get("dataValidation") or {}) if c < len(first) else {}
            cond = rule.get("condition") or {}
            have = [v.get("userEnteredValue") for v in cond.get("values") or []]
            if cond.get("type") != "ONE_OF_LIST" or have != list(column.values):
                out.append({"setDataValidation": {
                    "range": {"sheetId": sid, "startRowIndex": 1, "startColumnIndex": c, "endColumnIndex": c + 1},
                    "rule": {"condition": {"type": "ONE_OF_LIST",
                                           "values": [{"userEnteredValue": v} for v in column.values]},
                             "strict": False, "showCustomUi": True}}})
                lines.append(f"added dropdown on {where}")
        if column.owner == "bot" and not column.fill_if_blank and (c, c + 1) not in protected:
            out.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": sid, "startColumnIndex": c, "endColumnIndex": c + 1},
                "description": PROTECTION_NOTE, "warningOnly": True}}})
            lines.append(f"protected {where} (warning only)")
        if column.coloured:
            new = alert_rule_requests(sid, c, rules.get(c, set()))
            if new:
                out += new
                lines.append(f"added alert colour rules on {where}")
    return out


def open_google_backend(spreadsheet_id: str, *, credentials_file: str | None = None,
                        credentials_env: str | None = None, timeout: float = 30.0,
                        sleep: Callable[[float], None] = time.sleep, session: requests.Session | None = None,
                        max_retries: int = DEFAULT_MAX_RETRIES) -> GoogleSheetsBackend:
    """Build the backend: credentials (see :mod:`.gsheets_auth`), a retrying gspread client.

    With ``session`` (tests), requests go through it as is and credentials are loaded only
    when named (to check them and learn the service account's email for 403 hints).
    No network call is made here.
    """
    spreadsheet_id = spreadsheet_key(spreadsheet_id)
    loaded = None
    if session is None or credentials_file or credentials_env:
        loaded = load_credentials(credentials_file, credentials_env)
    client = gspread.Client(auth=None if session is not None else loaded.credentials, session=session,
                            http_client=RetryingHTTPClient)
    client.http_client.configure(timeout=timeout, max_retries=max_retries, sleep=sleep)
    return GoogleSheetsBackend(client, spreadsheet_id, account=loaded.account if loaded else None)


def spreadsheet_key(id_or_url: str) -> str:
    """The spreadsheet's id, from the id itself or the sheet's whole URL (gspread's parser).

    >>> spreadsheet_key("https://docs.google.com/spreadsheets/d/1AbCdEf/edit#gid=0"), spreadsheet_key(" 1AbCdEf ")
    ('1AbCdEf', '1AbCdEf')
    """
    text = (id_or_url or "").strip()
    if not text:
        raise ConfigError("`spreadsheet_id` is empty: copy the ID from the sheet's URL (…/d/<ID>/edit) into the config")
    if "/" not in text:
        return text
    try:
        return extract_id_from_url(text)
    except gspread.exceptions.NoValidUrlKeyFound:
        raise ConfigError(f"`spreadsheet_id` {text[:60]!r} is a link without a spreadsheet in it: copy the "
                          "sheet's URL (…/d/<ID>/edit) or just the ID into the config") from None
