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
* values writes past the last grid row or column are refused (``400 Range (…) exceeds grid
  limits``) as the real API does; only ``values:append`` and dimension requests grow a sheet;
* a request body over 10,485,760 bytes is refused ("Request payload size exceeds the limit").
* conditional-format and protected ranges move with inserted and deleted rows and columns;
* replies are gzip-compressed when the request asks with both ``Accept-Encoding: gzip`` and a
  user agent containing "gzip" (Google's rule); ``reply_sizes`` counts bytes on the wire.

Simplifications (stated, not hidden):

* USER_ENTERED parses numbers, TRUE/FALSE, ISO dates (``2020-01-01`` → serial 43831) and a
  leading ``'``; a leading ``=`` stores ``formulaValue`` and evaluates only plain arithmetic
  (``=4/2`` → 2), any other formula has no effective value.
* FORMATTED_VALUE renders numbers in their shortest form, ignoring number formats.
* ``values:append`` finds the table as "below the last non-empty row of the tab".

Modules: ``discovery`` (request validation), ``cells`` (A1 ranges, the cell model, field
masks), ``values`` (reads and values endpoints), ``batch_update``
(``spreadsheets.batchUpdate``), ``adapter`` (:class:`FakeSheetsAPI`, the transport).
"""
from .adapter import QUOTA_BODY, Fault, FakeSheetsAPI
from .cells import (Box, Sheet, Spreadsheet, col_letters, col_number, entered, extended, formatted, parse_mask,
                    prune, quote_title, rendered)
from .discovery import ApiError, bad_request, discovery, routes, validate_body, validate_query

__all__ = ["QUOTA_BODY", "ApiError", "Box", "Fault", "FakeSheetsAPI", "Sheet", "Spreadsheet", "bad_request",
           "col_letters", "col_number", "discovery", "entered", "extended", "formatted", "parse_mask", "prune",
           "quote_title", "rendered", "routes", "validate_body", "validate_query"]
