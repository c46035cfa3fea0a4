"""The HTTP edge of the Google Sheets backend: retries, timeouts, errors, cell text.

Every Sheets call goes through :class:`RetryingHTTPClient.request` (gspread funnels all its
HTTP there), so retries and timeouts cover gspread's own helpers too. Quota facts
(reference/gspread-sheets-api.md §3): 60 reads and 60 writes per minute per account, and
Google recommends waiting ``min(2**n + random, 64)`` seconds after the n-th failure.
"""
from __future__ import annotations

import random
import re
import time
from typing import Any, Callable

import orjson
import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from gspread.urls import SPREADSHEET_VALUES_BATCH_UPDATE_URL, SPREADSHEET_VALUES_BATCH_URL

from ..errors import CredentialsError, SheetsAutomationError, SpreadsheetAccessError
from ..memory import release_free_memory

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 6
MAX_BACKOFF = 64.0
RETRY_STATUSES = frozenset({408, 429})

_ERROR_TEXT = {"NULL_VALUE": "#NULL!", "DIVIDE_BY_ZERO": "#DIV/0!", "VALUE": "#VALUE!", "REF": "#REF!",
               "NAME": "#NAME?", "NUM": "#NUM!", "N_A": "#N/A", "LOADING": "Loading..."}


def cell_text(value: Any) -> str:
    """One cell as the raw text the rest of the program reads.

    Takes a values-API value or an ``ExtendedValue`` dict (``{"numberValue": 43831}``).
    Strings as they are; numbers in their shortest form with no ``.0`` on whole numbers,
    so date serials stay serials (``43831.0`` → ``"43831"``, ``12.5`` → ``"12.5"``);
    booleans ``"TRUE"``/``"FALSE"``; formula errors as the sheet shows them (``"#N/A"``);
    empty as ``""``.
    """
    if isinstance(value, dict):
        if "errorValue" in value:
            return _ERROR_TEXT.get(value["errorValue"].get("type", ""), "#ERROR!")
        value = next((value[k] for k in ("stringValue", "numberValue", "boolValue") if k in value), None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return str(value)


def backoff(retry: int, jitter: float) -> float:
    """Seconds to wait before retry number ``retry`` (0-based): ``min(2**retry + jitter, 64)``."""
    return min(2.0 ** retry + jitter, MAX_BACKOFF)


def _retryable(status: int) -> bool:
    return status in RETRY_STATUSES or status >= 500


def _quota_name(err: APIError) -> str | None:
    for detail in err.error.get("details") or []:
        limit = (detail.get("metadata") or {}).get("quota_limit")
        if limit:
            return str(limit)
    m = re.search(r"limit '([^']+)'", str(err.error.get("message", "")))
    return m.group(1) if m else None


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client with a timeout on every request and bounded retries.

    Retries HTTP 408, 429 and 5xx and ``requests`` connection errors and timeouts, waiting
    :func:`backoff` seconds through the injectable ``sleep``; after ``max_retries`` retries it
    raises :class:`SpreadsheetAccessError` naming the quota. Every retried request is
    re-sent as is: fine for our writes (values writes are idempotent; a repeated
    ``addSheet`` fails loudly rather than duplicating a tab).

    gspread builds it as ``http_client(auth, session)``; tune it with :meth:`configure`.
    """

    def __init__(self, auth: Any, session: requests.Session | None = None) -> None:
        super().__init__(auth, session)
        self.timeout = DEFAULT_TIMEOUT
        self.max_retries = DEFAULT_MAX_RETRIES
        self.sleep: Callable[[float], None] = time.sleep
        self.jitter: Callable[[], float] = random.random
        self.waits: list[float] = []  # every wait taken, in order

    def configure(self, *, timeout: float = DEFAULT_TIMEOUT, max_retries: int = DEFAULT_MAX_RETRIES,
                  sleep: Callable[[float], None] = time.sleep,
                  jitter: Callable[[], float] = random.random) -> None:
        self.timeout, self.max_retries, self.sleep, self.jitter = timeout, max_retries, sleep, jitter

    def values_batch_get(self, id: str, ranges: list[str], params: Any = None) -> Any:
        """gspread's ``values:batchGet``, its reply parsed straight from the bytes (orjson): no
        decoded copy of a reply that is about 100 MB at 100k rows (issue #15: memory), and
        several times faster than the standard library. The pages the download's pieces were
        gathered in are handed back before the parse (:mod:`..memory`): 70 MB off the peak of
        a 100k-row writing run."""
        r = self.request("get", SPREADSHEET_VALUES_BATCH_URL % id, params={**(params or {}), "ranges": ranges})
        body = r.content
        release_free_memory()
        return orjson.loads(body)

    def values_batch_update(self, id: str, body: Any = None) -> Any:
        """gspread's ``values:batchUpdate``, its body written by orjson rather than the standard
        library (a tenth of the CPU: a 100k-row first run sends about 45 MB of bodies, #15).
        The JSON is compact and UTF-8, so never longer than the spaced, ASCII-escaped JSON
        the 2 MB chunks are counted in (``gsheets_requests._size``)."""
        r = self.request("post", SPREADSHEET_VALUES_BATCH_UPDATE_URL % id, data=orjson.dumps(body),
                         headers={"Content-Type": "application/json"})
        return orjson.loads(r.content)

    def request(self, method: str, endpoint: str, params: Any = None, data: Any = None, json: Any = None,
                files: Any = None, headers: Any = None) -> requests.Response:
        retry = 0
        while True:
            try:
                return super().request(method, endpoint, params=params, data=data, json=json,
                                       files=files, headers=headers)
            except APIError as err:
                if not _retryable(err.response.status_code):
                    raise
                if retry >= self.max_retries:
                    raise _exhausted(err, self.max_retries, sum(self.waits[-retry:]) if retry else 0.0) from None
            except (requests.ConnectionError, requests.Timeout) as err:
                if retry >= self.max_retries:
                    raise SpreadsheetAccessError(
                        f"could not reach Google Sheets ({type(err).__name__}) after {self.max_retries} "
                        f"retries: check the network or proxy, then run again") from None
            wait = backoff(retry, self.jitter())
            self.waits.append(wait)
            self.sleep(wait)
            retry += 1


def _exhausted(err: APIError, retries: int, waited: float) -> SpreadsheetAccessError:
    status = err.response.status_code
    if status == 429:
        quota = _quota_name(err) or "requests per minute"
        return SpreadsheetAccessError(
            f"Google Sheets quota {quota!s} exhausted: still refused after {retries} retries over "
            f"{waited:.0f} s; wait a minute and run again, or ask for a higher quota in the Google Cloud console")
    return SpreadsheetAccessError(
        f"Google Sheets kept failing (HTTP {status} {err.error.get('status', '')}) after {retries} retries: "
        f"Google may be having trouble, run again later")


def _without_quoted(text: str) -> str:
    """Google echoes cell values in quotes inside 400 messages; drop them (personal data)."""
    return re.sub(r'"[^"]*"', '"…"', text)[:200]


def access_error(err: APIError, spreadsheet_id: str, account: str | None) -> SheetsAutomationError:
    """Map a Sheets error reply to our one-line exception (never echoing tokens or cell values)."""
    status = err.response.status_code
    reasons = {d.get("reason") for d in err.error.get("details") or [] if isinstance(d, dict)}
    if status == 404:
        return SpreadsheetAccessError(f"spreadsheet {spreadsheet_id} not found: check `spreadsheet_id` in the config")
    if status == 403 and "SERVICE_DISABLED" in reasons:
        return SpreadsheetAccessError("the Google Sheets API is not enabled for the credentials' Cloud project: "
                                      "enable it in the Google Cloud console (APIs & Services), then run again")
    if status == 403:
        who = account or "the Google account of the credentials"
        return SpreadsheetAccessError(f"no access to spreadsheet {spreadsheet_id}: share it with {who} "
                                      f"as Editor, then run again")
    if status == 401:
        return CredentialsError("Google rejected the credentials (HTTP 401): create a new key or sign in "
                                "again, and check `credentials_file` in the config")
    message = _without_quoted(str(err.error.get("message", "")))
    return SpreadsheetAccessError(f"Google Sheets refused a request (HTTP {status} {err.error.get('status', '')}: "
                                  f"{message}); this is a bug or a tab changed by hand, please report it")
