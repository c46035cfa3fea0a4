"""The Google Sheets backend: the spreadsheet port (:mod:`.base`) over real gspread.

Call budget per run (60 reads + 60 writes per minute per account), constant in the row count
apart from the 2 MB write chunks:

* ``read``  — 1 ``spreadsheets.get`` for tab metadata only (a ``fields`` mask: titles, ids,
  grid sizes, alert rules, chart ids; no grid data) and 1 ``values:batchGet`` of every tab
  (values, not the grid with its formats: about a fifth of the bytes). With the layout kept
  from an earlier run (:meth:`GoogleSheetsBackend.use_layout`, :mod:`.gsheets_meta`) the
  read is the ``values:batchGet`` alone;
* ``apply`` — 0 for an empty plan; else 1 ``values:batchGet`` (re-read the touched tabs),
  1 ``spreadsheets.batchUpdate`` only when a tab must be created or grown (values writes never
  grow a sheet) or a coloured column lacks our alert rules, then ``ceil(bytes / 2 MB)``
  ``values:batchUpdate`` (RAW, so text such as ``=HYPERLINK(…)`` stays text), the hidden
  state tab last so a cut-off run never leaves fingerprints ahead of the values; then 1
  ``values:batchGet`` verifying the data tabs written: their header rows, key columns and
  appended rows only (:mod:`.verify_glance`; a tab whose rows this write gave IDs, whole),
  plus 1 more reading a tab whole only when that look shows something moved, and one repair
  write only when a person's row or column move displaced a value during the write
  (:mod:`.verify`). With a ``version_probe`` (the change check's Drive version,
  :mod:`..changes`), the probe is asked between the write and the verification read, which
  then covers every tab read, whole: when it shows exactly what was read plus what was
  written, ``ApplyResult.settled_version`` is the probe's answer and the next check need not
  read the sheet again only to see our own write;
* ``init_layout`` — 1 read, plus 1 ``spreadsheets.batchUpdate`` when something is missing.

We call gspread's HTTP layer directly: ``Client.open_by_key`` would spend a metadata read.
Colours are conditional-format rules on the Alert column keyed on the label prefix
(policy colours), never per-cell fills, so a normal run costs no format call.
Request bodies are built by the pure helpers of :mod:`.gsheets_requests`.
"""
from __future__ import annotations

import time
from operator import itemgetter
from typing import Any, Callable, Sequence

import gspread
import requests
from google.auth.exceptions import RefreshError
from gspread.exceptions import APIError
from gspread.utils import (DateTimeOption, Dimension, ValueInputOption, ValueRenderOption, absolute_range_name,
                           extract_id_from_url)

from .. import __version__
from ..errors import ConfigError, CredentialsError
from ..memory import release_free_memory
from ..schema import TabSchema, normalise_header
from .base import STATE_TAB, ApplyResult, Grid, Snapshot, WritePlan, shared_texts, trim_rows
from .gsheets_auth import load_credentials
from .gsheets_http import DEFAULT_MAX_RETRIES, RetryingHTTPClient, access_error, cell_text
from .gsheets_init import LAYOUT_FIELDS, layout_requests
from .gsheets_meta import META_FIELDS, TabMeta, layout_from_text, layout_text, parse_metadata
from .gsheets_requests import (NEW_TAB_ROWS, Cells, add_chart_request, add_tab_requests, alert_rule_requests,
                               chunk_value_ranges, column_width_requests, grow_requests,
                               new_sheet_id, range_tab, report_range, value_ranges)
from .placement import append_rows, place
from .verify import landed_as_meant, repairs, settled
from .verify_glance import Glance, glance, glanced

USER_AGENT = f"sheets-automation/{__version__} (gzip)"
VALUE_PARAMS = {"valueRenderOption": ValueRenderOption.unformatted, "dateTimeRenderOption": DateTimeOption.serial_number,
                "majorDimension": Dimension.rows}


# --------------------------------------------------------------------------- pure helpers


def trimmed_rows(rows: Sequence[Sequence[Any]]) -> tuple[tuple[str, ...], ...]:
    """Cells through :func:`cell_text` (strings, nearly every cell, as they are: one call less
    per cell), equal short texts as one object (``base.shared_texts``), trailing blank cells
    and rows dropped."""
    one = {}.setdefault
    return trim_rows(shared_texts(row, cell_text, one) for row in rows)


def needed_sizes(cells: Cells) -> dict[str, tuple[int, int]]:
    """The (rows, columns) each tab must have for ``cells`` to be written."""
    need: dict[str, tuple[int, int]] = {}
    for tab, items in cells.items():
        if items:
            need[tab] = (max(map(itemgetter(0), items)), max(map(itemgetter(1), items)))
    return need


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
        self._zone: tuple[str | None, str] = (None, "")  # the spreadsheet's time zone and title
        self._kept = False  # _meta came from use_layout: the next read trusts it
        self.layout_learnt = False  # the tabs were learnt from Google by this backend (not only kept)
        self._read: dict[str, Grid] | None = None  # every tab as read (or as proven after a settled write)
        self._clean = True  # this apply needed no fallback (tabs learnt again, a refused write)
        self.version_probe: Callable[[], str] | None = None  # see the module docstring
        self.requests = 0  # Sheets API requests this backend made (reads and writes): a run's quota use

    def _call(self, fn: Callable[..., Any], *args: Any, keep_400: bool = False, **kwargs: Any) -> Any:
        """Run one API call, turning Google errors into our one-line errors (a 400 is passed
        through as ``APIError`` when the caller knows how to recover from it)."""
        self.requests += 1
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

    def _relearn_tabs(self) -> tuple[str | None, str]:
        """Fetch the tab list (ids, grid sizes, alert rules; no cells). Returns time zone, title."""
        resp = self._call(self.http.fetch_sheet_metadata, self.spreadsheet_id, params={"fields": META_FIELDS})
        self._meta, tz, title = parse_metadata(resp)
        self._zone = (tz, title)
        self._kept = False
        self.layout_learnt = True
        return self._zone

    # -- the layout kept between runs ----------------------------------------------

    def use_layout(self, text: str) -> bool:
        """Trust a layout kept from an earlier run (:meth:`layout`) for the next read, which is
        then one ``values:batchGet``. Text that is not a layout is ignored. Returns whether
        it was taken."""
        known = layout_from_text(text)
        if known is None:
            return False
        self._meta, tz, title = known
        self._zone = (tz, title)
        self._kept = True
        return True

    def layout(self) -> str:
        """What this backend knows of the tabs now (after a read and any write), as text."""
        return layout_text(self._meta, *self._zone) if self._meta else ""

    # -- read ----------------------------------------------------------------------

    def read(self) -> Snapshot:
        """Tab metadata (one ``spreadsheets.get``, no grid) then every tab's values (one
        ``values:batchGet``); the values alone with a kept layout. A tab renamed or deleted
        meanwhile (Google answers 400): learn the tabs once more."""
        if self._kept:
            self._kept = False
            try:
                return self._snapshot(self._call(self._values, list(self._meta), keep_400=True))
            except APIError:
                pass  # a kept tab is gone: read in full
        for attempt in range(2):
            self._relearn_tabs()
            try:
                grids = self._call(self._values, list(self._meta), keep_400=attempt == 0)
            except APIError:
                continue
            return self._snapshot(grids)
        raise AssertionError("unreachable")  # pragma: no cover

    def _snapshot(self, grids: dict[str, Grid]) -> Snapshot:
        self._name_rules(grids)
        self._read = grids
        return Snapshot(grids, *self._zone)

    def _name_rules(self, grids: dict[str, Grid]) -> None:
        """Remember which header each alert-rule column had: a column people insert or move
        later carries its rules along, so rules are found again by header, not position."""
        for title, meta in (self._meta or {}).items():
            if title in grids:
                meta.rules_by_header = {normalise_header(grids[title].cell(1, c + 1)): set(p)
                                        for c, p in meta.alert_rules.items() if grids[title].cell(1, c + 1).strip()}

    # -- apply ---------------------------------------------------------------------

    def apply(self, plan: WritePlan) -> ApplyResult:
        """Re-read touched tabs, place by key and header, compare-and-set, write (see module doc)."""
        result = ApplyResult()
        if not plan:
            return result
        read, self._read = self._read, None  # a later apply settles only on what this one proves
        self._clean = True  # no fallback (a tab learnt again, a refused write) happened
        if (self._meta is None or read is None or plan.new_tabs or any(r.title not in read for r in plan.reports)
                or self.version_probe is None):
            read = None  # nothing to compare with, a tab is created, or no probe: no settled claim to make
        if self._meta is None:  # apply without a read first: one extra metadata read
            self._relearn_tabs()
            result.api_calls += 1
        touched = [t for t in dict.fromkeys([w.tab for w in plan.cells] + [a.tab for a in plan.appends]
                                            + [r.title for r in plan.reports]) if t in self._meta]
        fresh, calls = self._reread(touched)
        result.api_calls += calls
        if read is not None:  # hold one copy of each tab, not the read and the re-read (memory)
            if any(trim_rows(g.rows) != trim_rows(read[t].rows) for t, g in fresh.items() if t in read):
                read = None  # changed since the read: no settled claim (verify.settled)
            else:
                read = {**read, **{t: g for t, g in fresh.items() if t in read}}
        placed = place(plan, fresh)
        creating = {t.title for t in plan.new_tabs}
        appended = {t: v for t, v in append_rows(plan, fresh).items() if t in fresh or t in creating}
        result.skipped = list(placed.skipped) + [f"{a.tab} new row: the tab is gone" for a in plan.appends
                                                  if a.tab not in fresh and a.tab not in creating]
        cells: Cells = {}
        for source in (placed.cells, appended):
            for tab, items in source.items():
                cells.setdefault(tab, []).extend(items)
        reports = [(r, report_range(r, fresh.get(r.title))) for r in plan.reports]  # a missing tab is created
        need = needed_sizes(cells)
        for _r, rng in reports:
            need[_r.title] = (len(rng["values"]), max(len(v) for v in rng["values"]))
        structure = self._structure_requests(plan, fresh, placed.cells, appended, need)
        if structure:
            result.api_calls += self._layout_write(plan, fresh, placed.cells, appended, need, structure)
        state = cells.pop(STATE_TAB, None)  # fingerprints go last: never ahead of the values
        data = value_ranges(cells) + [rng for _r, rng in reports] + value_ranges({STATE_TAB: state} if state else {})
        result.api_calls += self._write_values(data, need, result)
        del data  # the request bodies' copy of every value, before the verification read
        if state:
            cells[STATE_TAB] = state
        result.api_calls += self._verify(plan, fresh, placed.cells, appended, result,
                                         (read, cells, {r.title: r.text_rows() for r, _rng in reports}))
        result.written = sum(len(v) for v in placed.cells.values())
        result.appended = sum(len({row for row, *_ in v}) for v in appended.values())
        return result

    def _verify(self, plan: WritePlan, fresh: dict[str, Grid], cells: Cells, appended: Cells,
                result: ApplyResult, settle: tuple) -> int:
        """One read after the write: a value a person's row or column move displaced in the
        moment between re-read and write is put where its key and header are now, and the
        cell it hit gets back what it held (:mod:`.verify`). Returns the calls it cost.

        ``settle`` = (the tabs as read or None, every cell written, reports by title): with a
        ``version_probe``, the probe is asked first and the same read covers every tab read;
        if they show exactly what was read plus what was written, the run is settled."""
        read, written, reports = settle
        key_headers: dict[str, str] = {}
        for w in plan.cells:
            key_headers.setdefault(w.tab, w.ref.key_header)
        tabs = [t for t in dict.fromkeys(list(cells) + list(appended)) if t in fresh and t != STATE_TAB]
        version = self._probe() if read is not None and self._clean else ""
        release_free_memory()  # the write's request bodies, before the largest reply of the run (#15)
        if version:
            after, calls = self._reread(list(read))
        else:  # no settled claim to prove: a small look first, a whole tab only where needed
            after, unsure, calls = self._glance(fresh, tabs, cells, appended, key_headers)
            more, extra = self._reread(unsure)
            after.update(more)
            calls += extra
        fix = repairs(fresh, after, {t: cells[t] for t in tabs if t in cells}, key_headers,
                      {t: appended[t] for t in tabs if t in appended})
        result.repaired += fix.displaced
        result.skipped += fix.unresolved
        if fix.cells:
            calls += self._write_values(value_ranges(fix.cells), needed_sizes(fix.cells), result)
        elif version and self._clean and not fix.unresolved and settled(read, fresh, after, written, reports):
            result.settled_version = version
            self._read = after
        return calls

    def _glance(self, fresh: dict[str, Grid], tabs: list[str], cells: Cells, appended: Cells,
                key_headers: dict[str, str]) -> tuple[dict[str, Grid], list[str], int]:
        """One ``values:batchGet``: each written tab's header row, key column and appended rows
        (:mod:`.verify_glance`), or the whole tab where no such look can prove it. Returns the
        tabs read whole, the tabs the look did not prove landed as meant (to be read whole)
        and the calls it cost. A refused read (a tab renamed meanwhile) proves nothing."""
        looks: dict[str, tuple[str, Glance | None]] = {}
        for t in tabs:
            if fresh[t].rows:  # else nothing was there to displace: repairs skips it too
                key_header = key_headers.get(t) or fresh[t].cell(1, 1)
                looks[t] = (key_header, glance(fresh[t], key_header, cells.get(t, []), appended.get(t, [])))
        if not looks:
            return {}, [], 0
        ranges = [absolute_range_name(t, r) for t, (_k, g) in looks.items() for r in (g.ranges() if g else [None])]
        try:
            resp = self._call(self.http.values_batch_get, self.spreadsheet_id, ranges, params=VALUE_PARAMS,
                              keep_400=True)
        except APIError:
            return {}, tabs, 1
        replies = iter(resp.get("valueRanges") or [])
        whole: dict[str, Grid] = {}
        unsure = set()
        for t, (key_header, g) in looks.items():
            if g is None:
                whole[t] = self._grid(t, next(replies, {}))
                continue
            a = glanced(t, g, [trimmed_rows(next(replies, {}).get("values") or []) for _r in g.ranges()])
            if not landed_as_meant(fresh[t], a, key_header, cells.get(t, []), appended.get(t, [])):
                unsure.add(t)
        return whole, [t for t in tabs if t in unsure], 1

    def _probe(self) -> str:
        """The version probe's answer; blank when there is none or it failed (no claim then)."""
        if self.version_probe is None:
            return ""
        try:
            return self.version_probe() or ""
        except Exception:  # noqa: BLE001 - a failed probe only means a follow-up read
            return ""

    def _write_values(self, data: list[dict], need: dict[str, tuple[int, int]], result: ApplyResult) -> int:
        """``data`` in bodies of at most 2 MB; returns the calls it cost. If Google refuses a chunk
        because a range "exceeds grid limits" (people deleted rows or columns since the read) or
        is "Unable to parse" (a tab deleted or renamed meanwhile), the tabs are learnt again, a
        gone tab's writes are dropped (one line each), tabs grown, and the chunk sent once more."""
        calls = 0
        for chunk in chunk_value_ranges(data):
            body = {"valueInputOption": ValueInputOption.raw, "data": chunk}
            try:
                self._call(self.http.values_batch_update, self.spreadsheet_id, body, keep_400=True)
                calls += 1
                continue
            except APIError as err:
                message = str(err.error.get("message", ""))
                if "exceeds grid limits" not in message and "Unable to parse range" not in message:
                    raise access_error(err, self.spreadsheet_id, self.account) from None
            self._relearn_tabs()
            self._clean = False
            gone = sorted({range_tab(d["range"]) for d in chunk} - set(self._meta))
            result.skipped += [f"{tab}: the tab was deleted or renamed during the write; its writes are dropped"
                               for tab in gone]
            body["data"] = [d for d in chunk if range_tab(d["range"]) not in gone]
            grow = [r for tab, size in need.items() if tab in self._meta
                    for r in grow_requests(self._meta[tab].sheet_id, self._meta[tab].size, size)]
            if grow:
                self._call(self.http.batch_update, self.spreadsheet_id, {"requests": grow})
            if body["data"]:
                self._call(self.http.values_batch_update, self.spreadsheet_id, body)
            calls += 2 + bool(grow) + bool(body["data"])
        return calls

    def _layout_write(self, plan, fresh, placed, appended, need, structure) -> int:
        """The one layout batchUpdate; returns the calls it cost.

        If Google says a tab or sheet id "already exists" / is "already in use", an earlier
        attempt whose reply was lost did land; "No grid with id": a kept layout names a tab
        since deleted and made again. Either way learn the tabs again and send only what is
        still missing (once).
        """
        try:
            self._call(self.http.batch_update, self.spreadsheet_id, {"requests": structure}, keep_400=True)
            return 1
        except APIError as err:
            message = str(err.error.get("message", ""))
            if "already exists" not in message and "already in use" not in message and "No grid with id" not in message:
                raise access_error(err, self.spreadsheet_id, self.account) from None
        self._relearn_tabs()  # a lost reply that did land, or a kept layout gone stale
        self._name_rules(fresh)
        rest = self._structure_requests(plan, fresh, placed, appended, need)
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
        self._clean = False
        still = [t for t in tabs if t in self._meta]
        return (self._call(self._values, still), 3) if still else ({}, 2)

    def _values(self, tabs: list[str]) -> dict[str, Grid]:
        if not tabs:
            return {}
        resp = self.http.values_batch_get(self.spreadsheet_id, [absolute_range_name(t) for t in tabs],
                                          params=VALUE_PARAMS)
        return {t: self._grid(t, vr) for t, vr in zip(tabs, resp.get("valueRanges") or [])}

    def _grid(self, tab: str, value_range: dict) -> Grid:
        meta = self._meta[tab]
        return Grid(tab, trimmed_rows(value_range.get("values") or []), meta.sheet_id, meta.hidden)

    def _structure_requests(self, plan: WritePlan, fresh: dict[str, Grid], placed: Cells, appended: Cells,
                            need: dict[str, tuple[int, int]]) -> list[dict]:
        """addSheet for new tabs, appendDimension for tabs too small for the write, alert rules
        for coloured columns lacking them; updates the cache."""
        meta = self._meta if self._meta is not None else {}
        taken = {m.sheet_id for m in meta.values()}
        requests_: list[dict] = []
        for tab in plan.new_tabs:
            if tab.title in meta:
                continue
            sid = new_sheet_id(tab.title, taken)
            rows = max(NEW_TAB_ROWS, need.get(tab.title, (0, 0))[0] + NEW_TAB_ROWS)
            requests_ += add_tab_requests(tab, sid, rows)
            meta[tab.title] = TabMeta(sid, tab.title, tab.hidden, 1, size=(rows, max(26, len(tab.headers))))
        for report in plan.reports:  # the tab if missing, its chart if absent (same batchUpdate)
            if report.title not in meta:
                sid = new_sheet_id(report.title, taken)
                rows = max(NEW_TAB_ROWS, need.get(report.title, (0, 0))[0])
                cols = max(26, need.get(report.title, (0, 0))[1])
                requests_.append({"addSheet": {"properties": {"sheetId": sid, "title": report.title,
                                                              "gridProperties": {"rowCount": rows,
                                                                                 "columnCount": cols}}}})
                requests_ += column_width_requests(sid, report.widths)
                meta[report.title] = TabMeta(sid, report.title, size=(rows, cols))
        for tab, size in need.items():  # values writes never grow a sheet: make room first
            if tab in meta:
                grow = grow_requests(meta[tab].sheet_id, meta[tab].size, size)
                requests_ += grow
                if grow:
                    rows, cols = meta[tab].size
                    meta[tab].size = (max(rows, size[0] + NEW_TAB_ROWS) if size[0] > rows else rows, max(cols, size[1]))
        coloured = {(tab, col) for source in (placed, appended)
                    for tab, items in source.items() for _r, col, _v, colour in items if colour}
        for tab, col in sorted(coloured):
            header = normalise_header(fresh[tab].cell(1, col)) if tab in fresh else ""
            if header and meta[tab].rules_by_header is not None:
                present = meta[tab].rules_by_header.setdefault(header, set())
            else:
                present = meta[tab].alert_rules.setdefault(col - 1, set())
            new = alert_rule_requests(meta[tab].sheet_id, col - 1, present)
            requests_ += new
            added = {r["addConditionalFormatRule"]["rule"]["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
                     for r in new}
            present.update(added)
            meta[tab].alert_rules.setdefault(col - 1, set()).update(added)  # kept with the layout
        for report in plan.reports:
            if report.chart is not None and report.title in meta and not meta[report.title].charts:
                requests_.append(add_chart_request(meta[report.title].sheet_id, report.chart))
                meta[report.title].charts = 1
        return requests_

    # -- init_layout ---------------------------------------------------------------

    def init_layout(self, schemas: Sequence[TabSchema]) -> list[str]:
        """Create missing tabs (in the order given, then the hidden state tab), freeze headers,
        add dropdowns, warning-only protection and alert rules. Idempotent; never writes data."""
        requests_, lines = layout_requests(self._get(LAYOUT_FIELDS), schemas)
        if requests_:
            self._call(self.http.batch_update, self.spreadsheet_id, {"requests": requests_})
            self._meta = None
        return lines


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
    # Google compresses replies only for a user agent that says "gzip" (plus Accept-Encoding,
    # which requests sends): an idle run's download shrinks several times.
    client.http_client.session.headers["User-Agent"] = USER_AGENT
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
