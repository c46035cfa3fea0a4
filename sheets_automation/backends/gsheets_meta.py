"""What the Google backend knows of a spreadsheet besides its values, and its text form.

Tab metadata (ids, grid sizes, alert rules, charts) comes from one ``spreadsheets.get``
with a ``fields`` mask and no grid data (:func:`parse_metadata`). Kept between runs as text
(:func:`layout_text` / :func:`layout_from_text`, #12), it lets a read be one
``values:batchGet`` instead of two calls. A kept layout can only be stale in ways the
backend notices or that do no harm until the next full read (``max_skip_hours``):

* a tab renamed or deleted: the values read answers 400 and the tabs are learnt again;
* rows deleted: a values write "exceeds grid limits" and the tabs are learnt again;
* rows added: a tab may be grown a little more than needed (appendDimension);
* a tab recreated under its old title (new sheetId): the layout write is refused
  ("No grid with id") and the tabs are learnt again;
* colour rules or a chart people deleted come back at the next full read.
* the spreadsheet's time zone changed in its settings: used from the next full read (a
  time zone set in the config wins anyway).

A tab a person adds is seen at the next full read; the caller keeps a layout only from a
run that found every tab it needs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from .gsheets_requests import NEW_TAB_ROWS

SHEET_PROPS = "properties(sheetId,title,index,hidden,gridProperties)"
META_FIELDS = (f"properties(title,timeZone),sheets({SHEET_PROPS},conditionalFormats(ranges,booleanRule/condition),"
               f"charts/chartId)")  # the tab list, no grid data
LAYOUT_FORMAT = 1  # the text form's version: text of another version is ignored (a full read)


@dataclass
class TabMeta:
    """What we know of a tab besides its values."""

    sheet_id: int
    title: str
    hidden: bool = False
    frozen_rows: int = 0
    alert_rules: dict[int, set[str]] = field(default_factory=dict)  # 0-based column → label prefixes
    charts: int = 0  # charts on the tab (a report's chart is added only when there is none)
    size: tuple[int, int] = (NEW_TAB_ROWS, 26)  # the grid's (rows, columns): values writes must fit
    rules_by_header: dict[str, set[str]] | None = None  # alert_rules by the column's header at the read


def alert_rules_in(sheet: dict) -> dict[int, set[str]]:
    """Our alert colour rules on one tab of a ``spreadsheets.get`` reply: 0-based column →
    the label prefixes it colours (one-column TEXT_STARTS_WITH rules only)."""
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


def parse_metadata(resp: dict) -> tuple[dict[str, TabMeta], str | None, str]:
    """A ``spreadsheets.get`` reply (no grid data) → tab metadata by title, time zone, title."""
    meta: dict[str, TabMeta] = {}
    for sheet in resp.get("sheets") or []:
        props = sheet.get("properties") or {}
        title = props.get("title", "")
        grid = props.get("gridProperties") or {}
        meta[title] = TabMeta(props.get("sheetId", 0), title, bool(props.get("hidden")),
                              grid.get("frozenRowCount", 0), alert_rules_in(sheet), len(sheet.get("charts") or []),
                              (grid.get("rowCount", NEW_TAB_ROWS), grid.get("columnCount", 26)))
    top = resp.get("properties") or {}
    return meta, top.get("timeZone"), top.get("title", "")


def layout_text(meta: dict[str, TabMeta], timezone: str | None, title: str) -> str:
    """The layout as compact JSON text (tab order kept).

    >>> text = layout_text({"Cases": TabMeta(7, "Cases", alert_rules={3: {"Overdue"}}, size=(1000, 30))}, "UTC", "A")
    >>> meta, tz, title = layout_from_text(text)
    >>> meta["Cases"].sheet_id, meta["Cases"].alert_rules, meta["Cases"].size, tz, title
    (7, {3: {'Overdue'}}, (1000, 30), 'UTC', 'A')
    """
    tabs = [[m.sheet_id, m.title, m.hidden, m.frozen_rows, {str(c): sorted(p) for c, p in m.alert_rules.items()},
             m.charts, list(m.size)] for m in meta.values()]
    return json.dumps({"v": LAYOUT_FORMAT, "tz": timezone, "title": title, "tabs": tabs},
                      ensure_ascii=False, separators=(",", ":"))


def layout_from_text(text: str) -> tuple[dict[str, TabMeta], str | None, str] | None:
    """What :func:`layout_text` made, or None for text that is not a layout of this format.

    >>> layout_from_text(""), layout_from_text('{"v": 0}'), layout_from_text("not json")
    (None, None, None)
    """
    try:
        data = json.loads(text) if text else None
        if not isinstance(data, dict) or data.get("v") != LAYOUT_FORMAT:
            return None
        meta = {}
        for sid, title, hidden, frozen, rules, charts, size in data["tabs"]:
            meta[title] = TabMeta(int(sid), str(title), bool(hidden), int(frozen),
                                  {int(c): set(p) for c, p in rules.items()}, int(charts),
                                  (int(size[0]), int(size[1])))
        return meta, data.get("tz"), str(data.get("title") or "")
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
