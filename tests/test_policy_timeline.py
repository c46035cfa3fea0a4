"""Issue 10 at the boundaries, as policy.md states them: the row timeline, SLA clocks that
pause (S1, S2), the S4 refund deadline, W1 once shipped, W6 over the whole order, the
cashback hold and the calendar's published years. Pure functions, table-driven."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pandas as pd
import pytest

from sheets_automation.policy.calendar import WorkCalendar, last_published_year
from sheets_automation.policy.settings import policy_from_mapping
from sheets_automation.policy.sla import clocks, left_text, s1_due, s2_due
from sheets_automation.policy.timeline import (Timeline, Unreadable, approved_at, clock_start, decode, observe,
                                               pauses)

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar("CN")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def life(*steps: tuple[str, str], opened: str | None = None) -> Timeline:
    """A timeline built the way runs build it: one observation per (instant, status)."""
    t = None
    for when, status in steps:
        t = observe(t, status, "refund", at(when), at(opened) if opened else None)
    return t


# --- the timeline itself (item 1) ---------------------------------------------------------

def test_observation_is_recorded_once_and_round_trips_through_json():
    t = life(("2025-03-06 10:00", "new"), ("2025-03-06 11:00", "waiting_client"), ("2025-03-06 12:00", "waiting_client"))
    assert [(e.before, e.after) for e in t.events] == [("", "new"), ("new", "waiting_client")]
    assert observe(t, "waiting_client", "", at("2025-03-07 09:00")) is t, "no change: the same timeline, nothing to write"
    assert decode(t.encode()) == t


def test_a_new_row_starts_at_opened_at_the_sheet_date_wins():
    t = observe(None, "new", "", at("2025-03-06 12:00"), at("2025-03-06 10:00"))
    assert t.events[0].at == at("2025-03-06 10:00")
    later_status = observe(None, "investigating", "", at("2025-03-06 12:00"), at("2025-03-06 10:00"))
    assert later_status.events[0].at == at("2025-03-06 12:00"), "other statuses: the run that first saw them"


@pytest.mark.parametrize("stored", [
    "text", {"e": "x"}, {"e": [["2025-03-06T10:00:00+08:00", "", 3]]}, {"e": [["yesterday", "", "new"]]},
    {"e": [["2025-03-06T10:00:00", "", "new"]]},  # no zone
    {"e": [["2025-03-06T10:00:00+08:00", "", "new"], ["2025-03-05T10:00:00+08:00", "new", "closed"]]},  # backwards
])
def test_an_edited_timeline_is_unreadable_not_a_crash(stored):
    with pytest.raises(Unreadable):
        decode(stored)


def test_approval_is_the_last_transition_into_approved():
    t = life(("2025-03-06 10:00", "new"), ("2025-03-07 10:00", "approved"), ("2025-03-08 10:00", "investigating"),
             ("2025-03-09 10:00", "approved"))
    assert approved_at(t) == at("2025-03-09 10:00") and t.events[-1].resolution == "refund"
    assert approved_at(life(("2025-03-06 10:00", "new"))) is None


@pytest.mark.parametrize("steps, start", [
    ((("2025-03-06 10:00", "new"),), "2025-03-06 10:00"),
    ((("2025-03-06 10:00", "new"), ("2025-03-07 10:00", "resolved"), ("2025-03-09 10:00", "investigating")),
     "2025-03-09 10:00"),  # a status going backwards reopens the clock from that instant
    ((("2025-03-06 10:00", "new"), ("2025-03-07 10:00", "waiting_client"), ("2025-03-09 10:00", "investigating")),
     "2025-03-06 10:00"),  # leaving a pause is no reopening
])
def test_clock_start(steps, start):
    assert clock_start(life(*steps), at("2025-03-06 10:00")) == at(start)


# --- S1 / S2 pause (item 2) ---------------------------------------------------------------

def test_s2_pause_example_from_the_issue():
    """Opened Thu 03-06 10:00 → unpaused due Mon 03-10 18:00; paused Thu 11:00 → Mon 15:00 =
    7 + 9 + 6 = 22 business hours → due Thu 03-13 13:00."""
    t = life(("2025-03-06 10:00", "new"), ("2025-03-06 11:00", "waiting_client"), ("2025-03-10 15:00", "investigating"))
    opened = pd.Series([pd.Timestamp(at("2025-03-06 10:00"))])
    assert CAL.add_working_days(at("2025-03-06 10:00"), 2) == at("2025-03-10 18:00")
    assert CAL.business_seconds(at("2025-03-06 11:00"), at("2025-03-10 15:00")) == 22 * 3600
    c = clocks([t], opened, CAL)
    assert s2_due(c, CAL, 2).iloc[0] == pd.Timestamp(at("2025-03-13 13:00"))
    assert s1_due(c, 24).iloc[0] == pd.Timestamp(at("2025-03-07 10:00") + timedelta(hours=100))


@pytest.mark.parametrize("start, end, hours", [
    ("2025-03-06 08:59", "2025-03-06 09:00", 0),    # before business hours
    ("2025-03-06 17:59", "2025-03-06 18:01", 1 / 60),  # just inside / just outside the end
    ("2025-03-07 18:00", "2025-03-10 09:00", 0),    # a weekend
    ("2025-01-24 11:00", "2025-02-05 10:00", 7 + 9 + 9 + 1),  # Spring Festival 2025: Sun 01-26 worked, 01-28..02-04 off
    ("2025-03-06 11:00", "2025-03-06 10:00", 0),    # reversed
    ("2024-12-31 17:00", "2025-01-02 10:00", 1 + 1),  # across a year end, New Year's Day off
    ("2024-12-31 17:00", "2026-01-05 10:00", 1 + 248 * 9 + 9 + 1),  # all of 2025 (248 working days), Sun 2026-01-04 worked
])
def test_business_time(start, end, hours):
    assert CAL.business_seconds(at(start), at(end)) == pytest.approx(hours * 3600)


@pytest.mark.parametrize("first, last, days", [
    ("2025-01-24", "2025-02-05", 4),  # Fri, the worked Sun 01-26, Mon 01-27, Wed 02-05
    ("2024-12-30", "2025-01-02", 3),  # Jan 1 off
    ("2025-01-01", "2025-01-01", 0),
    ("2025-01-02", "2025-01-01", 0),  # reversed
    ("2025-01-01", "2025-12-31", 248),
])
def test_working_days_between(first, last, days):
    assert CAL.working_days_between(date.fromisoformat(first), date.fromisoformat(last)) == days


@pytest.mark.parametrize("start, hours, due", [
    ("2025-03-10 18:00", 22, "2025-03-13 13:00"),
    ("2025-03-10 18:00", 9, "2025-03-11 18:00"),    # a whole business day ends at its end of business
    ("2025-01-27 18:00", 26, "2025-02-07 17:00"),   # across Spring Festival 2025 (Sat 02-08 is a working day)
    ("2025-01-27 18:00", 35, "2025-02-08 17:00"),
])
def test_add_business_time(start, hours, due):
    assert CAL.add_business_seconds(at(start), hours * 3600) == at(due)


def test_spring_festival_pause():
    t = life(("2025-01-24 10:00", "new"), ("2025-01-24 11:00", "waiting_client"), ("2025-02-05 10:00", "investigating"))
    c = clocks([t], pd.Series([pd.Timestamp(at("2025-01-24 10:00"))]), CAL)
    assert s2_due(c, CAL, 2).iloc[0] == pd.Timestamp(at("2025-02-07 17:00"))  # unpaused: Mon 01-27 18:00


def test_while_paused_the_clock_shows_what_is_left():
    t = life(("2025-03-06 10:00", "new"), ("2025-03-10 09:00", "waiting_client"))
    c = clocks([t], pd.Series([pd.Timestamp(at("2025-03-06 10:00"))]), CAL)
    assert c.pause_began.iloc[0] == pd.Timestamp(at("2025-03-10 09:00"))
    assert pauses(t, at("2025-03-06 10:00")) == [(at("2025-03-10 09:00"), None)]


def test_a_row_first_seen_waiting_is_paused_from_that_run():
    t = life(("2025-03-07 10:00", "waiting_client"))
    ev = _cases("2025-03-07 10:00", [{"status": "waiting_client", "opened_at": "2025-03-06 10:00",
                                      "paid_at": "2025-03-01 10:00"}], [t])
    assert ev["due_by_text"].iloc[0] == "paused · 17 h left"  # Fri 10-18 (8) + Mon 09-18 (9)
    assert ev["alert"].iloc[0] == "Needs input · waiting for client"


@pytest.mark.parametrize("seconds, text", [
    (9 * 3600, "paused · 9 h left"), (45 * 60, "paused · 45 min left"), (9 * 3600 + 30 * 60, "paused · 9 h 30 min left"),
    (-3 * 3600, "paused · overdue by 3 h"),
])
def test_left_text(seconds, text):
    assert left_text(seconds) == text


# --- settings and calendar (items 2 and 7) ------------------------------------------------

@pytest.mark.parametrize("mapping, error", [
    ({"business_day_start": "08:30"}, None),
    ({"business_day_start": "18:00"}, "policy.business_day_start: must be earlier than business_day_end (18:00)"),
    ({"business_day_start": "9h"}, 'policy.business_day_start: must be a time of day like "18:00"'),
    ({"business_day_start": "10:00", "business_day_end": "09:59"},
     "policy.business_day_start: must be earlier than business_day_end (09:59)"),
])
def test_business_hours_are_validated(mapping, error):
    policy, errors = policy_from_mapping(mapping)
    assert errors == ([error] if error else [])
    if not error:
        assert policy.business_day_start == "08:30"


@pytest.mark.parametrize("day, working", [
    (date(2025, 1, 26), True), (date(2025, 2, 8), True), (date(2025, 1, 28), False), (date(2025, 2, 4), False),
    (date(2026, 1, 4), True), (date(2026, 2, 14), True), (date(2026, 2, 28), True), (date(2026, 2, 23), False),
    (date(2026, 5, 9), True), (date(2026, 9, 20), True), (date(2026, 10, 10), True), (date(2026, 10, 7), False),
])
def test_installed_holidays_has_the_official_2025_and_2026_make_up_days(day, working):
    assert CAL.is_working_day(day) is working


def test_holidays_floor_and_published_years():
    assert tuple(int(x) for x in holidays.__version__.split(".")[:2]) >= (0, 85)
    last = last_published_year("CN")
    assert last is not None and last >= 2026
    assert not CAL.estimated(date(last, 12, 31)) and CAL.estimated(date(last + 1, 1, 1))


# --- the rules through evaluate_cases / evaluate_cashback (items 3, 5) ----------------------

def _cases(now: str, rows: list[dict], timelines=None):
    from sheets_automation.policy.cases import evaluate_cases
    from sheets_automation.policy.settings import Policy

    base = {"case_id": "", "order_id": "#1", "status": "investigating", "issue_type": "other",
            "requested_resolution": "none", "destination_country": "US", "tracking_number": "", "opened_at": None,
            "paid_at": None, "shipped_at": None, "delivered_at": None}
    frame = pd.DataFrame([{**base, **r} for r in rows], index=range(2, 2 + len(rows)))
    for f in ("opened_at", "paid_at", "shipped_at", "delivered_at"):
        frame[f] = pd.to_datetime(frame[f]).dt.tz_localize(TZ)
    return evaluate_cases(frame, now=at(now), tz=TZ, policy=Policy(), calendar=CAL, letters={}, parse_issues=[],
                          timelines=timelines)


@pytest.mark.parametrize("now, colour", [
    ("2025-03-30 18:00", "orange"), ("2025-03-31 18:00", "orange"), ("2025-03-31 18:01", "red"),
])
def test_s4_refund_due_approval_plus_15_working_days(now, colour):
    t = life(("2025-03-10 10:00", "approved"))
    ev = _cases(now, [{"status": "approved", "requested_resolution": "refund", "opened_at": "2025-03-01 10:00"}], [t])
    assert ev["due_by"].iloc[0] == pd.Timestamp(at("2025-03-31 18:00"))
    assert ev["alert_colour"].iloc[0] == colour and "S4 refund" in ev["alert"].iloc[0]


@pytest.mark.parametrize("shipped, dest, situation, action", [
    (None, "US", "change_cancel_accepted", "accept the change/cancel"),
    ("2025-03-01 20:00", "CN", "recall_attempt", "ask the courier to intercept"),
    ("2025-03-01 20:00", "US", "cannot_intercept_international", "cannot be intercepted nor refunded"),
])
def test_w1_accepts_only_while_not_shipped_even_inside_24_hours(shipped, dest, situation, action):
    ev = _cases("2025-03-01 21:00", [{"issue_type": "cancel", "requested_resolution": "cancel", "status": "new",
                                      "paid_at": "2025-03-01 10:00", "shipped_at": shipped,
                                      "opened_at": "2025-03-01 21:00", "destination_country": dest}])
    assert ev["message_situation"].iloc[0] == situation
    assert action in ev["next_action"].iloc[0]
    assert "accept the change/cancel" not in ev["next_action"].iloc[0] or shipped is None


@pytest.mark.parametrize("first_issue, first_opened, second_opened, refused_row", [
    ("other", "2025-03-05 10:00", "2025-03-08 10:00", 3),   # sheet order
    ("quality", "2025-03-08 10:00", "2025-03-05 10:00", 2),  # sorted newest first: row 2 is the later request
    ("size", "2025-03-05 10:00", "2025-03-05 10:00", 3),     # same instant: sheet row breaks the tie
])
def test_w6_one_exchange_per_order_whatever_the_issue_and_the_sort(first_issue, first_opened, second_opened,
                                                                    refused_row):
    common = {"requested_resolution": "exchange", "delivered_at": "2025-03-04 10:00", "paid_at": "2025-02-20 10:00"}
    ev = _cases("2025-03-09 10:00", [{**common, "issue_type": first_issue, "opened_at": first_opened, "case_id": "A"},
                                     {**common, "issue_type": "no_reason_return", "opened_at": second_opened,
                                      "case_id": "B"}])
    refused = {row for row, a in ev["next_action"].items() if "refuse the second exchange" in a}
    assert refused == {refused_row}
    assert ev.at[refused_row, "message_situation"] == ""


def _cashback(rows: list[dict], now: str = "2025-03-20 10:00"):
    from sheets_automation.policy.cashback import evaluate_cashback
    from sheets_automation.policy.settings import Policy

    base = {"order_id": "#1", "case_id": "", "reason": "shipping_fee", "amount": 5.0, "currency": "USD",
            "agreed_at": pd.Timestamp(at("2025-03-03 10:00")), "paid_at": pd.NaT, "payment_reference": ""}
    frame = pd.DataFrame([{**base, **r} for r in rows], index=range(2, 2 + len(rows)))
    frame["paid_at"] = pd.to_datetime(frame["paid_at"]).dt.tz_localize(TZ) if frame["paid_at"].isna().all() else frame["paid_at"]
    return evaluate_cashback(frame, now=at(now), tz=TZ, policy=Policy(), calendar=CAL, letters={}, parse_issues=[])


@pytest.mark.parametrize("rows, alerts", [
    ([{}], ["Overdue · S5 cashback transfer"]),
    ([{}, {}], ["Overdue · S5 cashback transfer", "Hold · V7 duplicate: do not pay"]),  # the first is payable
    ([{}, {"reason": "price_difference"}], ["Overdue · S5 cashback transfer"] * 2),
    ([{"amount": -5.0}], ["Hold · V5 amount: do not pay"]),
    ([{"amount": 0.01}], ["Overdue · S5 cashback transfer"]),
])
def test_cashback_with_a_v5_or_v7_problem_is_a_hold_never_overdue(rows, alerts):
    ev = _cashback(rows)
    assert list(ev["alert"]) == alerts
    held = ev["alert"].str.startswith("Hold").to_numpy()
    assert (ev["alert_colour"].to_numpy()[held] == "yellow").all()
    assert not any("pay now" in a for a in ev["next_action"][held])


def test_a_promise_is_recorded_once_in_the_timeline():
    rows = [{"status": "approved", "requested_resolution": "resend", "issue_type": "not_received",
             "case_id": "CS-1", "opened_at": "2025-03-05 10:00", "paid_at": "2025-02-20 10:00",
             "shipped_at": "2025-02-21 10:00", "tracking_number": "RR123456785CN"}]
    first = _cases("2025-03-09 10:00", rows)["timeline"].iloc[0]
    assert first.promises == {"ship_by": "2025-03-11T10:00:00+08:00"}
    again = _cases("2025-03-09 11:00", rows, [decode(first.encode())])["timeline"].iloc[0]
    assert again.promises == first.promises and again.events == first.events
