"""The offline simulated provider: deterministic, and a 60-parcel demo shows every flag."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd

from sheets_automation.tracking.evaluate import evaluate_logistics
from sheets_automation.tracking.provider import STATUSES, Parcel
from sheets_automation.tracking.settings import TrackingSettings
from sheets_automation.tracking.simulated import SCENARIO_NAMES, SimulatedProvider, demo_numbers, scenario_for

NOW = datetime(2026, 5, 14, 2, 0, tzinfo=timezone.utc)
TZ = ZoneInfo("Asia/Shanghai")


def test_same_inputs_give_the_same_results():
    numbers = demo_numbers(60)
    parcels = [Parcel(n) for n in numbers]
    assert SimulatedProvider().track(parcels, NOW) == SimulatedProvider().track(parcels, NOW)
    assert demo_numbers(60) == numbers
    later = NOW + timedelta(minutes=59)  # same hour: identical
    assert SimulatedProvider().track(parcels, later) == SimulatedProvider().track(parcels, NOW)


def test_the_seed_changes_the_journeys():
    numbers = demo_numbers(60)
    a = [scenario_for(n) for n in numbers]
    b = [scenario_for(n, seed="other") for n in numbers]
    assert a != b


def test_sixty_parcels_cover_every_status_and_state():
    results = SimulatedProvider().track([Parcel(n) for n in demo_numbers(60)], NOW)
    assert len(results) == 60
    assert {r.status for r in results.values()} >= set(STATUSES)
    assert {r.provider_state for r in results.values()} == {"ok", "pending", "stopped", "fetch_failed"}
    assert {scenario_for(n) for n in results} == set(SCENARIO_NAMES)
    for r in results.values():
        assert r.last_event_at is None or r.last_event_at <= NOW
        assert (r.delivered_at is not None) == (r.status == "Delivered")


def test_malformed_numbers_are_rejected_like_the_real_provider():
    r = SimulatedProvider().track([Parcel("RR123456784CN")], NOW)["RR123456784CN"]
    assert r.provider_state == "rejected" and "check digit" in r.error


def test_a_demo_sheet_shows_every_flag():
    numbers = demo_numbers(60)
    results = SimulatedProvider().track([Parcel(n) for n in numbers], NOW)
    # a demo sheet ships each parcel shortly before its first event (3 days ago when none yet)
    shipped = [(results[n].first_event_at or NOW - timedelta(days=3)) - timedelta(hours=6) for n in numbers]
    df = pd.DataFrame({"tracking_number": numbers, "shipped_at": shipped}, index=range(2, 62))
    df["shipped_at"] = pd.to_datetime(df["shipped_at"], utc=True).dt.tz_convert(TZ)
    out = evaluate_logistics(df, results, NOW, TZ, TrackingSettings())
    rules = {a.split(" · ", 1)[1].split(" ")[0] for a in out.alert}
    assert {"S7", "S8", "S9", "S10", "T2", "T3", "T4", "T5", "T7", "fetch", "in"} <= rules
    assert set(out.alert_colour) == {"red", "orange", "blue", "green"}
