"""A stateful fake of the 17TRACK v2.2 API, mounted as a ``requests`` transport adapter.

Built from the shapes in shared/reference/tracking-samples (envelope, accepted/rejected
items, ``track_info`` with providers and newest-first events). It is strict about the
request: POST, ``17token`` header, JSON array body, at most 40 items; a malformed
request raises AssertionError so the test fails loudly. It answers 429 when more than
3 requests arrive within one second of the shared fake clock, counts every call, and
can inject quota exhaustion, rejected numbers, pending numbers, stopped numbers and
failing batches.

    clock = FakeClock()
    fake = FakeSeventeenTrack(clock)
    client = SeventeenTrackClient("test-key", session=fake.session(), store=store,
                                  clock=clock.now, sleep=clock.sleep)
"""
from __future__ import annotations

import json
from collections import Counter

import requests
from requests.adapters import BaseAdapter

BASE = "https://api.17track.net/track/v2.2/"
API_KEY = "test-key-not-secret"


class FakeClock:
    """Monotonic seconds; ``sleep`` advances time instead of waiting."""

    def __init__(self, start: float = 1000.0):
        self.t = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += max(seconds, 0.0)


def event(time_utc: str, description: str, sub_status: str = "InTransit_Other", location: str = "") -> dict:
    """One event in the v2.2 shape (``time_iso`` mirrors ``time_utc``)."""
    return {"time_iso": time_utc.replace("Z", "+00:00"), "time_utc": time_utc,
            "time_raw": {"date": time_utc[:10], "time": time_utc[11:19], "timezone": "+00:00"},
            "description": description, "description_translation": None, "location": location or None,
            "stage": None, "sub_status": sub_status, "address": {"country": None}}


def track_item(number: str, carrier: int, status: str, sub_status: str, events: list[dict],
               provider: str = "China Post", **extra) -> dict:
    """A ``gettrackinfo`` accepted item; ``events`` newest first, like the samples."""
    return {
        "number": number, "carrier": carrier, "param": None, "tag": None,
        "track_info": {
            "shipping_info": {"shipper_address": {"country": "CN"}, "recipient_address": {"country": "US"}},
            "latest_status": {"status": status, "sub_status": sub_status, "sub_status_descr": None},
            "latest_event": events[0] if events else None,
            "time_metrics": {"days_after_last_update": 0},
            "milestone": [],
            "misc_info": {"local_number": "", "local_provider": "", "local_key": 0},
            "tracking": {"providers_hash": 1, "providers": [
                {"provider": {"key": carrier, "name": provider, "country": "CN"}, "service_type": None,
                 "latest_sync_status": "Success", "latest_sync_time": "2026-05-13T18:02:11Z", "events_hash": 2,
                 "events": events}]},
        },
        **extra,
    }


def in_transit_item(number: str, carrier: int = 3011) -> dict:
    """Like 17track_gettrackinfo_intransit.json (China Post, InTransit_Arrival)."""
    return track_item(number, carrier, "InTransit", "InTransit_Arrival", [
        event("2026-05-12T15:40:00Z", "Arrival at destination country (inward office of exchange)",
              "InTransit_Arrival", "NEW YORK, US"),
        event("2026-05-09T00:05:00Z", "Departed from outward office of exchange", "InTransit_Departure"),
        event("2026-05-06T02:02:00Z", "Electronic shipment information received", "InfoReceived"),
    ])


class FakeSeventeenTrack(BaseAdapter):
    """In-memory 17TRACK. State: registered numbers, quota, stopped and retracked numbers."""

    def __init__(self, clock: FakeClock, *, quota: int = 1000, api_key: str = API_KEY):
        super().__init__()
        self.clock = clock
        self.api_key = api_key
        self.quota = quota
        self.registered: dict[str, int] = {}
        self.items: dict[str, dict] = {}  # number -> accepted gettrackinfo item (default: in transit)
        self.reject_on_register: dict[str, int] = {}  # number -> error code
        self.pending: set[str] = set()  # gettrackinfo answers -18019909
        self.stopped: set[str] = set()
        self.retracked: Counter = Counter()
        self.fail_calls: dict[tuple[str, int], int] = {}  # (endpoint, nth call, 1-based) -> HTTP status
        self.fail_batches_with: dict[str, int] = {}  # number -> HTTP status for any request holding it
        self.request_failure: dict | None = None  # a request-level error body for every call
        self.calls: list[tuple[str, list]] = []
        self.counts: Counter = Counter()
        self.throttled = 0
        self._times: list[float] = []

    def session(self) -> requests.Session:
        s = requests.Session()
        s.mount("https://", self)
        s.mount("http://", self)
        return s

    # transport ----------------------------------------------------------------------
    def _respond(self, request, status: int, payload: object) -> requests.Response:
        r = requests.Response()
        r.status_code = status
        r._content = json.dumps(payload).encode()
        r.headers["Content-Type"] = "application/json"
        r.url = request.url
        r.request = request
        return r

    def send(self, request, **kwargs):
        assert request.method == "POST", f"17TRACK only takes POST, got {request.method}"
        assert request.url.startswith(BASE), f"unexpected URL {request.url}"
        assert request.headers.get("Content-Type", "").startswith("application/json")
        endpoint = request.url[len(BASE):]
        body = json.loads(request.body)
        assert isinstance(body, list), "17TRACK endpoints take a JSON array"
        assert 0 < len(body) <= 40, f"{len(body)} items in one request (1-40 allowed)"
        assert all(isinstance(i, dict) and isinstance(i.get("number"), str) for i in body)
        now = self.clock.now()
        self._times = [t for t in self._times if now - t < 1.0 - 1e-9]
        if len(self._times) >= 3:
            self.throttled += 1
            return self._respond(request, 429, {"code": 429, "message": "Too Many Requests"})
        self._times.append(now)
        if request.headers.get("17token") != self.api_key:
            return self._respond(request, 401, {"code": -18010002, "data": {"errors": [
                {"code": -18010002, "message": "Invalid security key."}]}})
        self.calls.append((endpoint, body))
        self.counts[endpoint] += 1
        fail = self.fail_calls.get((endpoint, self.counts[endpoint])) or next(
            (self.fail_batches_with[i["number"]] for i in body if i["number"] in self.fail_batches_with), None)
        if fail:
            return self._respond(request, fail, {"code": fail, "message": "injected failure"})
        if self.request_failure is not None:
            return self._respond(request, 200, self.request_failure)
        handler = {"register": self._register, "gettrackinfo": self._gettrackinfo, "retrack": self._retrack}[endpoint]
        accepted, rejected = handler(body)
        return self._respond(request, 200, {"code": 0, "data": {"accepted": accepted, "rejected": rejected}})

    def close(self):
        pass

    # endpoints ----------------------------------------------------------------------
    @staticmethod
    def _rejected(number: str, code: int, carrier: object = 0) -> dict:
        return {"number": number, "carrier": carrier, "error": {"code": code, "message": f"error {code}"}}

    def _register(self, body):
        accepted, rejected = [], []
        for entry in body:
            n = entry["number"]
            if n in self.reject_on_register:
                rejected.append(self._rejected(n, self.reject_on_register[n]))
            elif n in self.registered:
                rejected.append(self._rejected(n, -18019901, self.registered[n]))
            elif self.quota <= 0:
                rejected.append(self._rejected(n, -18019908))
            else:
                self.quota -= 1
                carrier = entry.get("carrier") or 3011
                self.registered[n] = carrier
                accepted.append({"origin": 1, "number": n, "carrier": carrier, "tag": None})
        return accepted, rejected

    def _gettrackinfo(self, body):
        accepted, rejected = [], []
        for entry in body:
            n = entry["number"]
            if n not in self.registered:
                rejected.append(self._rejected(n, -18019902, str(entry.get("carrier", 0))))
            elif n in self.pending:
                rejected.append(self._rejected(n, -18019909, self.registered[n]))
            else:
                item = dict(self.items.get(n) or in_transit_item(n, self.registered[n]))
                if n in self.stopped:
                    item["tracking_status"] = "Stopped"
                accepted.append(item)
        return accepted, rejected

    def _retrack(self, body):
        accepted, rejected = [], []
        for entry in body:
            n = entry["number"]
            if n not in self.stopped:
                rejected.append(self._rejected(n, -18019904))
            elif self.retracked[n]:
                rejected.append(self._rejected(n, -18019905))
            else:
                self.retracked[n] += 1  # data returns later; the number stays stopped until a test says so
                accepted.append({"number": n, "carrier": self.registered.get(n, 0)})
        return accepted, rejected
