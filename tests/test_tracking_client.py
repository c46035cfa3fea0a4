"""17TRACK v2.2 client against the fake at the HTTP transport level (T1-T5, V4)."""
import math
from datetime import datetime, timedelta, timezone

import pytest

from sheets_automation.errors import ProviderError
from sheets_automation.tracking.carriers import s10_check_digit
from sheets_automation.tracking.provider import Parcel
from sheets_automation.tracking.seventeen_track import SeventeenTrackClient, load_api_key
from sheets_automation.tracking.store import TrackingStore
from tests.fakes.seventeen_track import API_KEY, FakeClock, FakeSeventeenTrack, event, track_item

NOW = datetime(2026, 5, 14, 2, 0, tzinfo=timezone.utc)


def s10(i: int) -> str:
    digits = f"{10000000 + i:08d}"
    return f"LX{digits}{s10_check_digit(digits)}CN"


def make(store=None, **fake_kwargs):
    clock = FakeClock()
    fake = FakeSeventeenTrack(clock, **fake_kwargs)
    store = store or TrackingStore(":memory:")
    client = SeventeenTrackClient(API_KEY, session=fake.session(), store=store, clock=clock.now, sleep=clock.sleep)
    return client, fake, clock, store


@pytest.mark.parametrize("n", [1, 39, 40, 41, 80, 81, 130])
def test_n_active_parcels_cost_ceil_n_over_40_reads(n):
    client, fake, _, _ = make()
    results = client.track([Parcel(s10(i)) for i in range(n)], NOW)
    assert fake.counts["gettrackinfo"] == math.ceil(n / 40)
    assert fake.counts["register"] == math.ceil(n / 40)
    assert all(len(body) <= 40 for _, body in fake.calls)
    assert len(results) == n and {r.provider_state for r in results.values()} == {"ok"}


def test_duplicates_and_spelling_variants_are_one_parcel():
    client, fake, _, _ = make()
    spaced = " ".join(s10(0).lower())
    results = client.track([Parcel(spaced), Parcel(s10(0).replace("CN", "-cn")), Parcel(s10(0))], NOW)
    assert len(fake.registered) == 1 and len(results) == 1


def test_rate_limit_is_respected_with_a_fake_clock():
    client, fake, clock, _ = make()
    client.track([Parcel(s10(i)) for i in range(400)], NOW)  # 10 register + 10 read requests
    assert fake.throttled == 0  # the fake answers 429 above 3 requests per second
    assert len(fake.calls) == 20
    assert clock.t - 1000.0 >= (20 - 3) / 3 - 1e-9  # at least ~6 s of fake time went by
    assert sum(clock.slept) < 10  # and nobody really slept


def test_a_429_is_retried_after_waiting():
    clock = FakeClock()
    fake = FakeSeventeenTrack(clock)
    client = SeventeenTrackClient(API_KEY, session=fake.session(), store=TrackingStore(":memory:"), clock=clock.now,
                                  sleep=clock.sleep, rate_per_second=100)  # too fast: the fake throttles
    results = client.track([Parcel(s10(i)) for i in range(200)], NOW)
    assert fake.throttled > 0
    assert {r.provider_state for r in results.values()} == {"ok"}


def test_malformed_numbers_are_never_sent():
    client, fake, _, _ = make()
    results = client.track([Parcel("RR123456784CN"), Parcel("12")], NOW)
    assert fake.calls == []
    assert results["RR123456784CN"].provider_state == "rejected"
    assert "check digit" in results["RR123456784CN"].error


@pytest.mark.parametrize("code, words", [
    (-18019903, "cannot detect the carrier"),
    (-18010012, "format is invalid"),
    (-18010019, "postal code"),
    (-18019910, "carrier code"),
    (-18099999, "error -18099999"),
])
def test_rejected_numbers_say_why_and_others_go_on(code, words):
    client, fake, _, _ = make()
    bad, good = s10(1), s10(2)
    fake.reject_on_register[bad] = code
    results = client.track([Parcel(bad), Parcel(good)], NOW)
    assert results[bad].provider_state == "rejected" and words in results[bad].error
    assert results[good].provider_state == "ok"
    assert [n["number"] for n in fake.calls[-1][1]] == [good]  # only the registered one is read


def test_already_registered_counts_as_success():
    client, fake, _, store = make()
    fake.registered[s10(3)] = 3011  # registered earlier, e.g. by hand in the dashboard
    results = client.track([Parcel(s10(3))], NOW)
    assert store.is_registered(s10(3)) and results[s10(3)].provider_state == "ok"


def test_no_information_yet_is_pending_not_invalid():
    client, fake, _, _ = make()
    fake.pending.add(s10(4))
    r = client.track([Parcel(s10(4))], NOW)[s10(4)]
    assert (r.provider_state, r.status) == ("pending", "NotFound")


def test_quota_exhausted_stops_registering_says_so_and_still_reads_the_rest():
    store = TrackingStore(":memory:")
    old = [s10(i) for i in range(5)]
    client, fake, _, _ = make(store=store, quota=5)
    client.track([Parcel(n) for n in old], NOW)
    new = [s10(i) for i in range(100, 150)]  # 50 new numbers, no quota left
    results = client.track([Parcel(n) for n in old + new], NOW + timedelta(hours=2))
    assert fake.counts["register"] == 2  # the first batch of the second run hit the quota; no more tries
    assert all(results[n].provider_state == "ok" for n in old)
    assert all(results[n].provider_state == "fetch_failed" and "quota" in results[n].error for n in new)
    assert any("quota" in notice for notice in client.notices)
    client.track([Parcel(n) for n in new], NOW + timedelta(hours=2, minutes=30))
    assert fake.counts["register"] == 2  # paused for a while, not retried every run


def test_a_failing_batch_does_not_lose_the_other_batches():
    client, fake, _, store = make()
    numbers = [s10(i) for i in range(120)]
    client.track([Parcel(n) for n in numbers], NOW)  # good results remembered
    fake.fail_batches_with[numbers[40]] = 503  # the second batch answers 503 on every retry
    results = client.track([Parcel(n) for n in numbers], NOW + timedelta(hours=2))
    states = [results[n].provider_state for n in numbers]
    assert states == ["ok"] * 40 + ["fetch_failed"] * 40 + ["ok"] * 40
    assert fake.counts["gettrackinfo"] == 3 + 1 + 4 + 1  # first run, then batch 1, 4 tries of batch 2, batch 3
    failed = results[numbers[50]]
    assert "503" in failed.error
    assert failed.status == "InTransit" and failed.last_event  # last good status kept, not blanked
    assert store.last_good(failed.number).provider_state == "ok"


def test_a_restart_with_the_same_store_file_does_not_register_again(tmp_path):
    numbers = [s10(i) for i in range(45)]
    with TrackingStore(tmp_path / "data" / "tracking.sqlite3") as store:
        client, fake, _, _ = make(store=store)
        client.track([Parcel(n) for n in numbers], NOW)
        assert fake.counts["register"] == 2 and fake.quota == 1000 - 45
    with TrackingStore(tmp_path / "data" / "tracking.sqlite3") as store:  # a new process
        clock = FakeClock()
        fake2 = FakeSeventeenTrack(clock)
        fake2.registered = dict(fake.registered)
        client2 = SeventeenTrackClient(API_KEY, session=fake2.session(), store=store, clock=clock.now,
                                       sleep=clock.sleep)
        results = client2.track([Parcel(n) for n in numbers], NOW + timedelta(hours=1))
    assert fake2.counts["register"] == 0 and fake2.quota == 1000
    assert fake2.counts["gettrackinfo"] == 2 and len(results) == 45


def test_retrack_is_done_once_for_an_unfinished_stopped_parcel():
    client, fake, _, store = make()
    n, done = s10(7), s10(8)
    fake.items[done] = track_item(done, 3011, "Delivered", "Delivered_Other",
                                  [event("2026-04-01T10:00:00Z", "Delivered", "Delivered_Other")])
    fake.stopped.update({n, done})
    first = client.track([Parcel(n), Parcel(done)], NOW)
    assert fake.counts["retrack"] == 1 and [b["number"] for b in fake.calls[-1][1]] == [n]
    assert first[n].provider_state == "stopped" and "retrack requested" in first[n].error
    assert first[done].provider_state == "ok"  # a delivered parcel is not retracked
    second = client.track([Parcel(n)], NOW + timedelta(hours=2))
    assert fake.counts["retrack"] == 1  # never twice
    assert second[n].provider_state == "stopped" and "retrack is used" in second[n].error
    assert store.was_retracked(n)


def test_final_parcels_are_not_polled_after_the_grace_period():
    client, fake, _, _ = make()
    n = s10(9)
    fake.items[n] = track_item(n, 3011, "Delivered", "Delivered_Other",
                               [event("2026-05-13T10:00:00Z", "Delivered", "Delivered_Other")])
    client.track([Parcel(n)], NOW)
    client.track([Parcel(n)], NOW + timedelta(days=2, hours=23))  # inside the 3-day grace
    assert fake.counts["gettrackinfo"] == 2
    r = client.track([Parcel(n)], NOW + timedelta(days=3))  # grace over
    assert fake.counts["gettrackinfo"] == 2 and r[n].status == "Delivered"  # last good reused


@pytest.mark.parametrize("status, body", [
    (401, None),
    (200, {"code": -18010002, "data": {"errors": [{"code": -18010002, "message": "Invalid security key."}]}}),
    (200, {"code": -18010001, "data": {"errors": [{"code": -18010001, "message": "IP"}]}}),
])
def test_a_bad_key_stops_the_run_without_showing_the_key(status, body):
    clock = FakeClock()
    fake = FakeSeventeenTrack(clock)
    fake.request_failure = body
    key = API_KEY if body else "wrong-secret-key"
    client = SeventeenTrackClient(key, session=fake.session(), store=TrackingStore(":memory:"), clock=clock.now,
                                  sleep=clock.sleep)
    with pytest.raises(ProviderError) as exc:
        client.track([Parcel(s10(1))], NOW)
    assert key not in str(exc.value) and key not in repr(client)


def test_load_api_key_from_env_or_file(tmp_path):
    assert load_api_key("K17", None, environ={"K17": " abc \n"}) == "abc"
    key_file = tmp_path / "17track.key"
    key_file.write_text("from-file\nignored\n", encoding="utf-8")
    assert load_api_key("K17", key_file, environ={}) == "from-file"
    with pytest.raises(ProviderError, match="K17"):
        load_api_key("K17", None, environ={})
    with pytest.raises(ProviderError, match="cannot read"):
        load_api_key("K17", tmp_path / "missing.key", environ={})
    (tmp_path / "empty.key").write_text("  \n", encoding="utf-8")
    with pytest.raises(ProviderError, match="empty"):
        load_api_key("K17", tmp_path / "empty.key", environ={})


def test_build_provider_from_settings(tmp_path):
    from sheets_automation.tracking import TrackingSettings, build_provider
    from sheets_automation.tracking.simulated import SimulatedProvider

    assert isinstance(build_provider(TrackingSettings()), SimulatedProvider)
    settings = TrackingSettings(provider="17track", api_key_env="K17", data_dir=str(tmp_path / "data"))
    clock = FakeClock()
    fake = FakeSeventeenTrack(clock)
    client = build_provider(settings, session=fake.session(), environ={"K17": API_KEY}, clock=clock.now,
                            sleep=clock.sleep)
    assert client.track([Parcel(s10(1))], NOW)[s10(1)].provider_state == "ok"
    client.store.close()
    assert (tmp_path / "data" / "tracking.sqlite3").is_file()
    with pytest.raises(ProviderError):
        build_provider(settings, environ={})


def test_network_errors_are_retried_then_reported():
    import requests

    class Flaky(FakeSeventeenTrack):
        failures = 2

        def send(self, request, **kwargs):
            if self.failures:
                self.failures -= 1
                raise requests.ConnectionError("connection reset")
            return super().send(request, **kwargs)

    clock = FakeClock()
    fake = Flaky(clock)
    client = SeventeenTrackClient(API_KEY, session=fake.session(), store=TrackingStore(":memory:"),
                                  clock=clock.now, sleep=clock.sleep)
    assert client.track([Parcel(s10(1))], NOW)[s10(1)].provider_state == "ok"
    fake.failures = 100
    r = client.track([Parcel(s10(2))], NOW)[s10(2)]
    assert r.provider_state == "fetch_failed" and "network error (ConnectionError)" in r.error
