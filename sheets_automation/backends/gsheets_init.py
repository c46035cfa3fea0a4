"""What ``init`` asks of a Google spreadsheet: the layout requests (pure).

From one ``spreadsheets.get`` (:data:`LAYOUT_FIELDS`: properties, rules, protections, the
header and first data row's values and dropdowns) to the ``batchUpdate`` requests that
create missing tabs (in the schemas' order, then the hidden state tab), freeze headers, add
filters, dropdowns, warning-only protection and alert colour rules, with one line per thing.
Idempotent: a tab already right gives no request.
"""
from __future__ import annotations

from typing import Sequence

from ..appearance import new_tab
from ..schema import TabSchema, normalise_header
from .base import STATE_HEADERS, STATE_TAB, NewTab
from .gsheets_http import cell_text
from .gsheets_meta import SHEET_PROPS, alert_rules_in
from .gsheets_requests import add_tab_requests, alert_rule_requests, basic_filter_request, new_sheet_id

LAYOUT_FIELDS = (f"sheets({SHEET_PROPS},conditionalFormats,protectedRanges,basicFilter/range,"
                 f"data/rowData/values(effectiveValue,dataValidation))")
PROTECTION_NOTE = "Filled by sheets-automation: a hand edit here may be replaced on the next run"


def layout_requests(resp: dict, schemas: Sequence[TabSchema]) -> tuple[list[dict], list[str]]:
    """The requests that bring the spreadsheet ``resp`` describes up to ``schemas``, and one
    line per thing they do."""
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
    return requests_, lines


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
    rules = alert_rules_in(sheet)
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
