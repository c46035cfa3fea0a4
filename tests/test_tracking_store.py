"""The tracking state store: registration, last good result, final grace, retrack."""
from datetime import datetime, timedelta, timezone

import pytest

from sheets_automation.tracking.provider import TrackResult, fetch_failed
from sheets_automation.tracking.store import TrackingStore

NOW = datetime(2026, 5, 14, 2, 0, tzinfo=timezone.utc)
GRACE = timedelta(days=3)


@pytest.fixture
def store():
    with TrackingStore(":memory:") as s:
        yield s


def result(number, status="InTransit", state="ok"):
    return TrackResult(number=number, status=status, last_event="Departed", provider_state=state,
                       last_event_at=NOW - timedelta(days=1))


def test_registration_survives_a_restart(tmp_path):
    with TrackingStore.in_data_dir(tmp_path / "data") as s:
        s.mark_registered("A1", 3011, NOW)
        s.record_fetch(result("A1"), NOW)
    with TrackingStore.in_data_dir(tmp_path / "data") as s:
        assert s.registered(["A1", "B2"]) == {"A1"} and s.carrier_key("A1") == 3011
        assert s.last_good("A1") == result("A1")
    assert (tmp_path / "data" / "tracking.sqlite3").is_file()


def test_a_failed_fetch_never_overwrites_the_last_good_result(store):
    store.record_fetch(result("A1"), NOW)
    store.record_fetch(fetch_failed("A1", "HTTP 503"), NOW + timedelta(hours=1))
    assert store.last_good("A1").status == "InTransit"
    assert store.last_fetch_at("A1") == NOW + timedelta(hours=1)


FINAL_GRACE = [
    # status, hours after reaching it, polled?
    ("Delivered", 0, True),
    ("Delivered", 71, True),  # just inside the 3-day grace
    ("Delivered", 72, False),  # grace over
    ("Returned", 73, False),
    ("Expired", 73, False),
    ("InTransit", 24 * 60, True),  # not final: always polled
]


@pytest.mark.parametrize("status, hours, polled", FINAL_GRACE)
def test_due_for_refresh_after_final_grace(store, status, hours, polled):
    store.record_fetch(result("A1", status), NOW)
    due = store.due_for_refresh(["A1", "NEW"], NOW + timedelta(hours=hours), GRACE)
    assert due == (["A1", "NEW"] if polled else ["NEW"])


def test_final_since_is_kept_across_fetches_and_cleared_when_not_final(store):
    store.record_fetch(result("A1", "Delivered"), NOW)
    store.record_fetch(result("A1", "Delivered"), NOW + timedelta(days=2))
    assert store.final_since("A1") == NOW
    store.record_fetch(result("A1", "InTransit"), NOW + timedelta(days=2))  # carrier corrected itself
    assert store.final_since("A1") is None


def test_min_interval_skips_fresh_good_results_only(store):
    store.record_fetch(result("A1"), NOW)
    store.record_fetch(fetch_failed("B2", "timeout"), NOW)
    due = store.due_for_refresh(["A1", "B2"], NOW + timedelta(minutes=30), GRACE, timedelta(minutes=55))
    assert due == ["B2"]
    due = store.due_for_refresh(["A1", "B2"], NOW + timedelta(minutes=56), GRACE, timedelta(minutes=55))
    assert due == ["A1", "B2"]


def test_retrack_is_remembered(store):
    assert not store.was_retracked("A1")
    store.mark_retracked("A1", NOW)
    assert store.was_retracked("A1")


def test_forget_registration_and_meta(store):
    store.mark_registered("A1", None, NOW)
    store.forget_registration("A1")
    assert not store.is_registered("A1")
    store.set_meta("k", "v")
    assert store.get_meta("k") == "v"
    store.set_meta("k", None)
    assert store.get_meta("k") is None


def test_many_numbers_in_one_query(store):
    for i in range(1200):
        store.mark_registered(f"N{i}", None, NOW)
    assert len(store.registered([f"N{i}" for i in range(1300)])) == 1200
