"""Faults on both network edges: the Google Sheets API and the 17TRACK provider.

For every fault the contract is the same:

* the run completes, or it raises one :class:`SheetsAutomationError` and no data cell
  changed (a layout-only write such as the hidden state tab may have landed);
* the following fault-free runs converge to exactly the sheet a fault-free history gives;
* once converged, a run with no changes issues zero write calls (checked by
  :func:`converge` on its last run).

Faults are injected at the transport: ``FakeSheetsAPI.fail_next`` at a chosen call, a
"lossy" fake that applies a request and then drops the connection (the response is lost,
the client retries), and the 17TRACK fake's failing calls. Waits are skipped through the
backend's ``sleep`` hook; the 17TRACK client runs with ``max_retries = 1`` (it sleeps one
real second before its retry), so a fault on two tries shows as a "fetch failed" row.
"""
from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from sheets_automation.backends.base import STATE_TAB
from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.config import Config, SpreadsheetConfig
from sheets_automation.demo import sample_rows
from sheets_automation.errors import ProviderError, SheetsAutomationError
from sheets_automation.runner import Services, run_once
from sheets_automation.schema import shipped_schemas
from tests.fakes.seventeen_track import API_KEY, FakeClock, FakeSeventeenTrack
from tests.fakes.sheets_api import FakeSheetsAPI

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SID = "sheet-faults"
SHEET = SpreadsheetConfig(name="faults", spreadsheet_id=SID)
JOBS = ["tracking", "rules", "messages"]
DATA_TABS = ("Cases", "Logistics", "Cashback", "Reships")


def tabs() -> dict[str, list[list]]:
    rows = sample_rows(NOW)
    out: dict[str, list[list]] = {}
    for stem, n in (("cases", 16), ("logistics", 8), ("cashback", 4), ("reships", 3)):
        schema = shipped_schemas()[stem]
        out[schema.tab] = [list(schema.headers)] + [[r.get(f, "") for f in schema.fields] for r in rows[stem][:n]]
    out["Weekly report"] = []
    return out


class LossyAPI(FakeSheetsAPI):
    """Serves call ``n`` for every ``n`` in ``lose``, then drops the connection: the
    request took effect but the client never sees the answer and retries it."""

    def __init__(self, lose: set[int] = frozenset()):
        super().__init__()
        self.lose = set(lose)

    def send(self, request, *args, **kwargs):
        n = len(self.calls)
        response = super().send(request, *args, **kwargs)
        if n in self.lose:
            raise requests.ConnectionError("connection reset after the request was served")
        return response


def new_api(cls=FakeSheetsAPI, **kw) -> FakeSheetsAPI:
    api = cls(**kw)
    api.add_spreadsheet(SID, "Faults", "Asia/Shanghai", tabs(), row_count=60)
    return api


def run(api: FakeSheetsAPI, config: Config, now: datetime = NOW, services: Services | None = None):
    backend = open_google_backend(SID, session=api.session(), sleep=lambda s: None)
    return run_once(backend, config, SHEET, JOBS, now, services=services)


def data(api: FakeSheetsAPI) -> dict[str, list[list]]:
    return {t: api.grid(SID, t) for t in DATA_TABS}


def everything(api: FakeSheetsAPI) -> dict[str, list[list]]:
    return {s.title: api.grid(SID, s.title) for s in api.spreadsheets[SID].sheets}


def converge(api: FakeSheetsAPI, config: Config, services: Services | None = None) -> int:
    """Fault-free runs until one plans nothing, which must cost the read (2 calls) and no write;
    returns how many runs it took."""
    for n in range(1, 7):
        api.calls.clear()
        if not run(api, config, services=services).plan:
            assert (len(api.writes), len(api.reads)) == (0, 2), api.calls
            return n
    raise AssertionError("no convergence in 6 runs")


# --------------------------------------------------------------------------- Google Sheets

SIMULATED = Config(backend="google", spreadsheets=(SHEET,))


@pytest.fixture(scope="module")
def reference() -> dict[str, list[list]]:
    api = new_api()
    converge(api, SIMULATED)
    return everything(api)


STORM = [429] * 6  # max_retries is 6: the seventh try succeeds
SCENARIOS = {  # name: (call index the faults start at, faults); calls: 0-1 read, 2 re-read, 3 layout, 4 values
    "429 storm on the read": (0, STORM),
    "429 storm on the read's values": (1, STORM),
    "429 storm on the re-read": (2, STORM),
    "429 storm on the layout write": (3, STORM),
    "429 storm on the values write": (4, STORM),
    "5xx twice on the read": (0, [500, 503]),
    "timeouts on the values write": (4, [requests.ReadTimeout, requests.ConnectTimeout, 408]),
    "dropped connections on the re-read": (2, [requests.ConnectionError("reset")] * 3),
    "quota exhausted on the read": (0, [429] * 7),
    "server down on the re-read": (2, [503] * 7),
    "server down on the layout write": (3, [500] * 7),
    "network down on the values write": (4, [requests.ConnectionError] * 7),
}


def inject(api: FakeSheetsAPI, at: int, faults: list) -> None:
    def between(fake, n):
        if n == at:
            fake.fail_next(*faults)
    api.between_calls = between


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_google_fault_completes_or_writes_nothing_then_converges(name, reference):
    at, faults = SCENARIOS[name]
    api = new_api()
    before = data(api)
    inject(api, at, faults)
    try:
        result = run(api, SIMULATED)
        completed = result.applied is not None
    except SheetsAutomationError:
        completed = False
        assert data(api) == before, "a failed run changed data cells"
    api.between_calls = None
    assert completed == (len(faults) <= 6), "retries must absorb up to max_retries faults, no more"
    converge(api, SIMULATED)
    assert everything(api) == reference


@pytest.mark.parametrize("seed", range(10))
def test_random_google_fault_sequences_converge_to_the_fault_free_sheet(seed, reference):
    rng = random.Random(seed)
    kinds = [429, 500, 503, 408, requests.ConnectionError, requests.ReadTimeout]
    api = new_api()
    before = data(api)
    inject(api, rng.randrange(5), [rng.choice(kinds) for _ in range(rng.choice([1, 2, 4, 6, 7, 9]))])
    try:
        run(api, SIMULATED)
    except SheetsAutomationError:
        assert data(api) == before
    api.between_calls = None
    converge(api, SIMULATED)
    assert everything(api) == reference


@pytest.mark.parametrize("lost", [1, 2, 3, 4], ids=["read values", "re-read", "layout write", "values write"])
def test_a_lost_response_is_retried_and_the_sheet_still_converges(lost, reference):
    """The request took effect, its answer was lost: values writes are idempotent, and a
    repeated addSheet that Google refuses ("Invalid sheetId …: already in use", checked before
    "already exists") is recognised as done."""
    api = new_api(LossyAPI, lose={lost})
    result = run(api, SIMULATED)
    assert result.applied is not None and result.applied.written > 0, "a lost reply never stops the run"
    api.lose.clear()
    converge(api, SIMULATED)
    assert everything(api) == reference


# --------------------------------------------------------------------------- 17TRACK


class TickingClock(FakeClock):
    """Each look at the clock is one second later, so the fake's 3-per-second limit never
    trips on back-to-back runs (the client's own limiter uses the real clock)."""

    def now(self) -> float:
        self.t += 1.0
        return self.t


class FlakyTrack(FakeSeventeenTrack):
    """The 17TRACK fake plus transport exceptions on chosen calls (1-based, any endpoint)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.raise_on: dict[int, type[BaseException]] = {}
        self.sent = 0

    def send(self, request, **kwargs):
        self.sent += 1
        if self.sent in self.raise_on:
            raise self.raise_on[self.sent]("injected")
        return super().send(request, **kwargs)


def tracking_services(fake) -> Services:
    """The 17TRACK fake mounted on the session the run hands to the tracking provider."""
    session = requests.Session()
    session.mount("https://api.17track.net/", fake)
    return Services(tracking_session=session, sleep=lambda s: None)


TRACKING = {"provider": "17track", "api_key_env": "SA_TEST_17TRACK_KEY", "max_retries": 1, "min_refresh_minutes": 0}


@pytest.fixture
def track(monkeypatch, tmp_path):
    """(fake 17TRACK, config, services)."""
    fake = FlakyTrack(TickingClock())
    monkeypatch.setenv("SA_TEST_17TRACK_KEY", API_KEY)
    config = Config(backend="google", spreadsheets=(SHEET,), data_dir=tmp_path / "data", tracking=TRACKING)
    return fake, config, tracking_services(fake)


@pytest.fixture
def track_reference(monkeypatch, tmp_path_factory):
    fake = FlakyTrack(TickingClock())
    monkeypatch.setenv("SA_TEST_17TRACK_KEY", API_KEY)
    config = Config(backend="google", spreadsheets=(SHEET,), data_dir=tmp_path_factory.mktemp("ref"), tracking=TRACKING)
    api = new_api()
    converge(api, config, tracking_services(fake))
    return everything(api)


FIRST_PARCEL = tabs()["Logistics"][1][0]
TRACK_FAULTS = {  # name: (inject, whether rows must show "fetch failed")
    "one 429 on registration, retried": (lambda f: f.fail_calls.update({("register", 1): 429}), False),
    "429 storm on registration": (lambda f: f.fail_calls.update({("register", 1): 429, ("register", 2): 429}), True),
    "503 twice on tracking info": (lambda f: f.fail_calls.update({("gettrackinfo", 1): 503,
                                                                  ("gettrackinfo", 2): 503}), True),
    "500 on every batch with one parcel": (lambda f: f.fail_batches_with.update({FIRST_PARCEL: 500}), True),
    "timeouts": (lambda f: f.raise_on.update({1: requests.Timeout, 2: requests.Timeout}), True),
    "one dropped connection, retried": (lambda f: f.raise_on.update({2: requests.ConnectionError}), False),
}


@pytest.mark.parametrize("name", list(TRACK_FAULTS))
def test_a_tracking_fault_still_completes_the_run_then_converges(name, track, track_reference):
    fake, config, services = track
    setup, fails = TRACK_FAULTS[name]
    setup(fake)
    api = new_api()
    result = run(api, config, services=services)
    assert result.applied is not None and result.applied.written > 0, "a provider fault must not stop the run"
    logistics = api.grid(SID, "Logistics")
    alert = logistics[0].index("Alert")
    failed = [r[0] for r in logistics[1:] if len(r) > alert and "fetch failed" in str(r[alert])]
    assert bool(failed) == fails, failed
    fake.fail_calls.clear(), fake.fail_batches_with.clear(), fake.raise_on.clear()
    converge(api, config, services)
    assert everything(api) == track_reference


def test_a_rejected_tracking_key_stops_the_run_before_any_sheet_write(track):
    fake, config, services = track
    fake.api_key = "another-key"
    api = new_api()
    before = everything(api)
    with pytest.raises(ProviderError):
        run(api, config, services=services)
    assert api.writes == [] and everything(api) == before


def test_the_reference_histories_reach_a_state_tab():
    api = new_api()
    converge(api, SIMULATED)
    assert api.grid(SID, STATE_TAB)[1:], "the state tab records what the runs wrote"


def test_a_tab_deleted_between_read_and_write_skips_only_its_writes():
    """A person deletes the Reships tab after the job read it: the other tabs are written, the
    Reships writes are skipped with a reason, and the run costs one extra read, no error."""
    api = new_api()
    backend = open_google_backend(SID, session=api.session(), sleep=lambda s: None)
    api.between_calls = lambda a, n: a.human_delete_tab("Reships") if n == 2 else None
    result = run_once(backend, SIMULATED, SHEET, JOBS, NOW)
    assert result.applied is not None and result.applied.written > 0
    assert any(line.startswith("Reships") and "the tab is gone" in line for line in result.applied.skipped)
    assert "Reships" not in [s.title for s in api.spreadsheets[SID].sheets]
    assert api.grid(SID, "Cases")[1][api.grid(SID, "Cases")[0].index("Alert")], "Cases was still written"
