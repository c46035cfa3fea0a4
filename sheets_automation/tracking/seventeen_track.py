"""17TRACK Tracking API v2.2 client (policy T1-T5; reference tracking-apis.md §1).

The only module here that talks HTTP. One :meth:`SeventeenTrackClient.track` call:

1. drops malformed numbers (V4) with a visible note, never an API call;
2. registers numbers the store has never registered, at most 40 per request; quota is
   charged here, so a restart with the same store never registers again, and
   "already registered" (-18019901) counts as success. Quota exhausted (-18019908) or
   the daily limit (-18019907) stops registering, says so in :attr:`notices` and in each
   row, and the registered numbers are still read;
3. reads ``gettrackinfo`` for the numbers due (see :meth:`TrackingStore.due_for_refresh`),
   40 per request. "No information yet" (-18019909) is *pending*, not invalid;
4. asks ``retrack`` once per number when 17TRACK stopped tracking a parcel that is not final.

At most ``rate_per_second`` requests are sent per second, enforced with the injected
``clock`` and ``sleep``. 429, 5xx, -18010003 and network errors are retried with
back-off; a batch that still fails comes back as ``fetch_failed`` with the reason and the
last good result, and the other batches are unaffected. A bad key, a non-whitelisted IP
or a disabled account raises :class:`ProviderError` (the run cannot go on). The API key
is sent in the ``17token`` header only; it is never logged or put in a message.
"""
from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Mapping, Sequence

import requests

from ..errors import ProviderError
from ..isotime import parse
from .carriers import detect, normalise_number, seventeen_track_key
from .normalise import is_stopped, parse_track_item
from .provider import Parcel, TrackResult, fetch_failed
from .store import TrackingStore

BASE_URL = "https://api.17track.net/track/v2.2/"

FATAL = {
    -18010001: "your IP address is not in the 17TRACK whitelist; add it in the 17TRACK dashboard",
    -18010002: "17TRACK rejected the API key; check the key (a rotated key stops working after ~5 minutes)",
    -18010004: "the 17TRACK account is disabled; contact 17TRACK",
    -18010005: "17TRACK refused access with this API key; check the key and the account",
}
ALREADY_REGISTERED = -18019901
NOT_REGISTERED = -18019902
RETRACK_NOT_STOPPED = -18019904
RETRACK_USED = -18019905
DAILY_LIMIT = -18019907
QUOTA_EXHAUSTED = -18019908
NO_INFO_YET = -18019909
INTERNAL_ERROR = -18010003
TOO_MANY_NUMBERS = -18010014
REJECTION_REASONS = {
    -18010010: "17TRACK says data is missing for this number",
    -18010011: "17TRACK says a value is invalid for this number",
    -18010012: "17TRACK says the number's format is invalid; check it",
    -18010013: "17TRACK says the submitted data is invalid; check the number",
    -18010015: "17TRACK says a field value is invalid; check the number and carrier",
    -18010016: "a last-mile carrier can only be set for postal services",
    -18010018: "this carrier needs the destination country and postal code to track",
    -18010019: "this carrier needs the destination postal code to track",
    -18010020: "this carrier needs the recipient's phone number to track",
    -18010022: "this carrier needs extra data to track",
    -18019903: "17TRACK cannot detect the carrier; fill the Carrier column",
    -18019910: "17TRACK does not know this carrier code; fix the Carrier column",
    -18019911: "this carrier cannot be registered at 17TRACK",
}


def load_api_key(env_name: str, key_file: str | Path | None, environ: Mapping[str, str] | None = None) -> str:
    """The 17TRACK key from the env var ``env_name``, else the first line of ``key_file``.

    Raises :class:`ProviderError` saying how to fix it; the message never holds the key.
    """
    env = os.environ if environ is None else environ
    value = (env.get(env_name) or "").strip() if env_name else ""
    if value:
        return value
    if key_file:
        path = Path(key_file).expanduser()
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError:
            raise ProviderError(f"cannot read the 17TRACK key file {path}; check tracking.api_key_file "
                                f"and the file's permissions") from None
        if text:
            return text.splitlines()[0].strip()
        raise ProviderError(f"the 17TRACK key file {path} is empty; put the API key on its first line")
    raise ProviderError(f"no 17TRACK API key: set the environment variable {env_name or '(tracking.api_key_env)'} "
                        f"or tracking.api_key_file, or use tracking.provider = \"simulated\"")


class RateLimiter:
    """At most ``rate`` calls in any ``period`` seconds of ``clock`` time; waits with ``sleep``."""

    def __init__(self, rate: int, clock: Callable[[], float], sleep: Callable[[float], object], period: float = 1.0):
        self.rate, self.clock, self.sleep, self.period = rate, clock, sleep, period
        self._sent: deque[float] = deque(maxlen=rate)

    def wait(self) -> None:
        if len(self._sent) == self.rate:
            delay = self.period - (self.clock() - self._sent[0])
            if delay > 0:
                self.sleep(delay)
        self._sent.append(self.clock())


class _BatchFailed(Exception):
    """One request failed for good; the message is the reason shown in the sheet."""


def _key(value: object) -> int | None:
    """Carrier keys arrive as int or, in some answers, as text ("3011"); 0 means unknown."""
    try:
        key = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return key or None


def _rejected(data: dict, batch: list[str]):
    """(number, error code, entry) for each rejected entry of this batch; odd entries skipped."""
    for entry in data.get("rejected") or []:
        n = normalise_number(entry.get("number")) if isinstance(entry, dict) else ""
        if n in batch:
            yield n, _error_code(entry), entry


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _error_code(entry: object) -> int | None:
    error = entry.get("error") if isinstance(entry, dict) else None
    return _key(error.get("code")) if isinstance(error, dict) else None


class SeventeenTrackClient:
    """:class:`~sheets_automation.tracking.provider.TrackingProvider` over 17TRACK v2.2."""

    def __init__(self, api_key: str, *, session: requests.Session | None = None, store: TrackingStore,
                 sleep: Callable[[float], object] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 timeout: float = 20, batch_size: int = 40, rate_per_second: int = 3, max_retries: int = 3,
                 final_grace: timedelta = timedelta(days=3), min_refresh: timedelta = timedelta(0),
                 base_url: str = BASE_URL):
        if not api_key:
            raise ProviderError("no 17TRACK API key given; see tracking.api_key_env / api_key_file")
        self._api_key = api_key
        self.session = session or requests.Session()
        self.store = store
        self.sleep = sleep
        self.timeout = timeout
        self.batch_size = min(int(batch_size), 40)
        self.max_retries = max_retries
        self.final_grace = final_grace
        self.min_refresh = min_refresh
        self.base_url = base_url
        self.limiter = RateLimiter(rate_per_second, clock, sleep)
        self.notices: list[str] = []  # run-level messages for the job log (never secrets)

    def __repr__(self) -> str:
        return f"SeventeenTrackClient(base_url={self.base_url!r}, api_key=***)"

    # HTTP ---------------------------------------------------------------------------
    def _post(self, endpoint: str, body: list) -> dict:
        """POST one request; the ``data`` object of a ``code == 0`` answer, else raise."""
        reason = "no answer"
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(min(2.0 ** (attempt - 1), 8.0))
            self.limiter.wait()
            try:
                response = self.session.post(self.base_url + endpoint, json=body, timeout=self.timeout,
                                             headers={"17token": self._api_key, "Content-Type": "application/json"})
            except requests.RequestException as exc:
                reason = f"network error ({type(exc).__name__})"
                continue
            if response.status_code == 401:
                raise ProviderError("17TRACK answered 401: wrong API key, IP not whitelisted or account "
                                    "disabled; check the key and the 17TRACK dashboard")
            if response.status_code == 429:
                reason = "rate limited by 17TRACK (HTTP 429)"
                continue
            if response.status_code >= 500:
                reason = f"17TRACK server error (HTTP {response.status_code})"
                continue
            if response.status_code != 200:
                raise _BatchFailed(f"17TRACK answered HTTP {response.status_code}")
            try:
                payload = response.json()
            except ValueError:
                raise _BatchFailed("17TRACK sent an unreadable answer") from None
            if not isinstance(payload, dict):
                raise _BatchFailed("17TRACK sent an unexpected answer")
            code = _key(payload.get("code"))
            data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
            if code is None:
                return data
            errors = data.get("errors") if isinstance(data.get("errors"), list) else []
            first = errors[0] if errors and isinstance(errors[0], dict) else {}
            code = _key(first.get("code")) or code
            if code in FATAL:
                raise ProviderError(FATAL[code])
            if code == INTERNAL_ERROR:
                reason = "17TRACK internal error (-18010003)"
                continue
            if code == TOO_MANY_NUMBERS:
                raise _BatchFailed("17TRACK refused a batch of more than 40 numbers (a bug; please report it)")
            raise _BatchFailed(f"17TRACK error {code}")
        raise _BatchFailed(f"{reason}, after {self.max_retries + 1} attempts")

    # registration -------------------------------------------------------------------
    def _blocked(self, now: datetime) -> str:
        until = self.store.get_meta("register_blocked_until")
        if until and parse(until) > now:
            return self.store.get_meta("register_blocked_reason") or "registration paused"
        return ""

    def _block(self, code: int, now: datetime) -> str:
        if code == DAILY_LIMIT:
            tomorrow = (now.astimezone(timezone.utc) + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                                   microsecond=0)
            reason, until = "17TRACK daily tracking limit reached; new numbers are registered tomorrow", tomorrow
        else:
            reason = "17TRACK quota exhausted; new numbers are not registered until the quota is topped up"
            until = now + timedelta(hours=1)
        self.store.set_meta("register_blocked_until", until.isoformat())
        self.store.set_meta("register_blocked_reason", reason)
        return reason

    def _register(self, numbers: list[str], carriers: dict[str, int | None], now: datetime,
                  results: dict[str, TrackResult]) -> None:
        blocked = self._blocked(now)
        skipped = 0
        for batch in _chunks(numbers, self.batch_size):
            if blocked:
                for n in batch:
                    results[n] = fetch_failed(n, blocked)
                skipped += len(batch)
                continue
            body = [{"number": n, "carrier": carriers[n]} if carriers.get(n) else {"number": n} for n in batch]
            try:
                data = self._post("register", body)
            except _BatchFailed as exc:
                for n in batch:
                    results[n] = fetch_failed(n, f"registration failed: {exc}", self.store.last_good(n))
                continue
            answered = set()
            for entry in data.get("accepted") or []:
                n = normalise_number(entry.get("number")) if isinstance(entry, dict) else ""
                if n in batch:
                    self.store.mark_registered(n, _key(entry.get("carrier")), now)
                    answered.add(n)
            for n, code, entry in _rejected(data, batch):
                answered.add(n)
                if code == ALREADY_REGISTERED:
                    self.store.mark_registered(n, _key(entry.get("carrier")), now)
                elif code in (QUOTA_EXHAUSTED, DAILY_LIMIT):
                    blocked = self._block(code, now)
                    results[n] = fetch_failed(n, blocked)
                    skipped += 1
                else:
                    reason = REJECTION_REASONS.get(code, f"17TRACK refused the number (error {code})")
                    results[n] = TrackResult(number=n, status="NotFound", provider_state="rejected", error=reason)
            for n in set(batch) - answered:
                results[n] = fetch_failed(n, "17TRACK did not answer for this number at registration")
        if skipped:
            self.notices.append(f"{blocked}: {skipped} number(s) not registered this run")

    def _numbers(self, batch: list[str]) -> list[dict]:
        """Request items for numbers, with the carrier 17TRACK registered them under."""
        out = []
        for n in batch:
            key = self.store.carrier_key(n)
            out.append({"number": n, "carrier": key} if key else {"number": n})
        return out

    # reading ------------------------------------------------------------------------
    def _read(self, numbers: list[str], now: datetime, results: dict[str, TrackResult]) -> list[str]:
        """gettrackinfo in batches; returns numbers 17TRACK stopped tracking (not final)."""
        stopped: list[str] = []
        for batch in _chunks(numbers, self.batch_size):
            try:
                data = self._post("gettrackinfo", self._numbers(batch))
            except _BatchFailed as exc:
                for n in batch:
                    r = fetch_failed(n, f"fetch failed: {exc}; last good status kept", self.store.last_good(n))
                    self.store.record_fetch(r, now)
                    results[n] = r
                continue
            answered = set()
            for item in data.get("accepted") or []:
                r = parse_track_item(item)
                if r is None or r.number not in batch:
                    continue
                answered.add(r.number)
                if is_stopped(item) and not r.is_final:
                    stopped.append(r.number)
                    r = replace(r, provider_state="stopped", error="17TRACK stopped tracking this parcel")
                self.store.record_fetch(r, now)
                results[r.number] = r
            for n, code, entry in _rejected(data, batch):
                answered.add(n)
                last = self.store.last_good(n)
                if code == NO_INFO_YET:
                    r = (replace(last, provider_state="pending", error="") if last else
                         TrackResult(number=n, status="NotFound", provider_state="pending",
                                     error="the carrier has published nothing yet"))
                elif code == NOT_REGISTERED:
                    self.store.forget_registration(n)
                    r = fetch_failed(n, "17TRACK does not know the number any more; it is registered again "
                                        "next run", last)
                else:
                    reason = REJECTION_REASONS.get(code, f"17TRACK refused the number (error {code})")
                    r = TrackResult(number=n, status="NotFound", provider_state="rejected", error=reason)
                self.store.record_fetch(r, now)
                results[n] = r
            for n in batch:
                if n not in answered:
                    r = fetch_failed(n, "17TRACK returned nothing for this number; last good status kept",
                                     self.store.last_good(n))
                    self.store.record_fetch(r, now)
                    results[n] = r
        return stopped

    def _retrack(self, numbers: list[str], now: datetime, results: dict[str, TrackResult]) -> None:
        """Restart tracking of stopped, unfinished parcels, once per number (17TRACK allows one)."""
        todo = [n for n in numbers if not self.store.was_retracked(n)]
        for n in set(numbers) - set(todo):
            results[n] = replace(results[n], error="17TRACK stopped tracking this parcel; its one retrack is used")
        for batch in _chunks(todo, self.batch_size):
            try:
                data = self._post("retrack", self._numbers(batch))
            except _BatchFailed as exc:
                for n in batch:
                    results[n] = replace(results[n], error=f"17TRACK stopped tracking; retrack failed: {exc}")
                continue
            for entry in data.get("accepted") or []:
                n = normalise_number(entry.get("number")) if isinstance(entry, dict) else ""
                if n in batch:
                    self.store.mark_retracked(n, now)
                    results[n] = replace(results[n], error="17TRACK stopped tracking; retrack requested")
            for entry in data.get("rejected") or []:
                n = normalise_number(entry.get("number")) if isinstance(entry, dict) else ""
                if n in batch and _error_code(entry) in (RETRACK_USED, RETRACK_NOT_STOPPED):
                    self.store.mark_retracked(n, now)

    # the port -----------------------------------------------------------------------
    def track(self, parcels: Sequence[Parcel], now: datetime) -> dict[str, TrackResult]:
        """One result per distinct normalised number (see the module docstring)."""
        self.notices = []
        results: dict[str, TrackResult] = {}
        wanted: dict[str, int | None] = {}
        for parcel in parcels:
            n = normalise_number(parcel.number)
            if not n or n in results or n in wanted:
                continue
            guess = detect(n)
            if not guess.valid:
                results[n] = TrackResult(number=n, status="NotFound", provider_state="rejected", error=guess.problem)
                continue
            wanted[n] = seventeen_track_key(parcel.carrier) or seventeen_track_key(guess.carrier)
        due = self.store.due_for_refresh(wanted, now, self.final_grace, self.min_refresh)
        due_set = set(due)
        for n in wanted:
            if n not in due_set:
                last = self.store.last_good(n)
                results[n] = last if last is not None else fetch_failed(n, "not refreshed this run")
        registered = self.store.registered(due)
        self._register([n for n in due if n not in registered], wanted, now, results)
        to_read = [n for n in due if n not in results]
        stopped = self._read(to_read, now, results)
        if stopped:
            self._retrack(stopped, now, results)
        return results
