"""evaluate_logistics: the Logistics bot columns (T1-T5, T7, S7-S10, V4, V9), fixed clock."""
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sheets_automation.colours import colour_of
from sheets_automation.tracking.evaluate import OUTPUT_COLUMNS, evaluate_logistics
from sheets_automation.tracking.provider import TrackResult, fetch_failed
from sheets_automation.tracking.settings import TrackingSettings

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 14, 10, 0, tzinfo=TZ)
MIN = timedelta(minutes=1)
DAY = timedelta(days=1)
SETTINGS = TrackingSettings()
NUMBER = "RR123456785CN"  # China Post: postal
EXPRESS = "1Z5R89390357567127"  # UPS: express
LINE = "YT2613521207384156"  # YunExpress: line


def frame(rows: list[dict]) -> pd.DataFrame:
    """A typed Logistics frame, index = sheet rows from 2."""
    cols = {
        "tracking_number": [r.get("tracking_number", NUMBER) for r in rows],
        "carrier": [r.get("carrier", "") for r in rows],
        "service": [r.get("service", "") for r in rows],
        "destination_country": [r.get("destination_country", "") for r in rows],
        "shipped_at": pd.Series([r.get("shipped_at") for r in rows], dtype=object),
        "declared_value": [float(r.get("declared_value", float("nan"))) for r in rows],
        "declared_currency": [r.get("declared_currency", "") for r in rows],
        "weight_kg": [float(r.get("weight_kg", float("nan"))) for r in rows],
        "contents": [r.get("contents", "") for r in rows],
        "tracking_status": [r.get("tracking_status", "") for r in rows],
        "last_event": [r.get("last_event", "") for r in rows],
        "last_event_at": pd.Series([r.get("last_event_at") for r in rows], dtype=object),
    }
    df = pd.DataFrame({k: list(v) for k, v in cols.items()}, index=range(2, 2 + len(rows)))
    for f in ("shipped_at", "last_event_at"):
        df[f] = pd.to_datetime(df[f], utc=True).dt.tz_convert(TZ).astype("datetime64[ns, Asia/Shanghai]")
        df[f + "__date_only"] = False
    return df


def result(number=NUMBER, status="InTransit", last=NOW - DAY, first=None, **kw) -> TrackResult:
    return TrackResult(number=number, status=status, last_event="Departed", last_event_at=last,
                       first_event_at=first or (last - 2 * DAY if last else None), events_count=3, **kw)


def one(row: dict, res: TrackResult | None, settings=SETTINGS, **kw) -> pd.Series:
    results = {res.number: res} if res else {}
    out = evaluate_logistics(frame([row]), results, NOW, TZ, settings, **kw)
    assert list(out.columns) == list(OUTPUT_COLUMNS) and list(out.index) == [2]
    return out.iloc[0]


def code(alert: str) -> str:
    """'Overdue · S8 no update for 16 days' -> 'S8'."""
    return alert.split(" · ", 1)[1].split(" ", 1)[0] if " · " in alert else alert


BOUNDARIES = [
    # case, sheet row, provider result, expected rule, expected colour
    # S7: no first event more than 1 day after shipment (red)
    ("S7 inside", {"shipped_at": NOW - DAY}, result(status="NotFound", last=None), "T1", "blue"),
    ("S7 outside", {"shipped_at": NOW - DAY - MIN}, result(status="NotFound", last=None), "S7", "red"),
    ("S7 info received only", {"shipped_at": NOW - 2 * DAY}, result(status="InfoReceived", last=NOW - DAY), "S7",
     "red"),
    # S8: no new event for more than 15 days (red)
    ("S8 inside", {"shipped_at": NOW - 20 * DAY, "tracking_number": EXPRESS},
     result(EXPRESS, last=NOW - 15 * DAY), "S9", "orange"),
    ("S8 outside", {"shipped_at": NOW - 20 * DAY, "tracking_number": EXPRESS},
     result(EXPRESS, last=NOW - 15 * DAY - MIN), "S8", "red"),
    # S9: follow up, express 7 / line 15 / postal 30 days (orange)
    ("S9 express inside", {"shipped_at": NOW - 7 * DAY, "tracking_number": EXPRESS}, result(EXPRESS), "in", "blue"),
    ("S9 express outside", {"shipped_at": NOW - 7 * DAY - MIN, "tracking_number": EXPRESS}, result(EXPRESS), "S9",
     "orange"),
    ("S9 line inside", {"shipped_at": NOW - 15 * DAY, "tracking_number": LINE}, result(LINE), "in", "blue"),
    ("S9 line outside", {"shipped_at": NOW - 15 * DAY - MIN, "tracking_number": LINE}, result(LINE), "S9", "orange"),
    ("S9 postal inside", {"shipped_at": NOW - 30 * DAY}, result(), "in", "blue"),
    ("S9 postal outside", {"shipped_at": NOW - 30 * DAY - MIN}, result(), "S9", "orange"),
    ("S9 sheet service wins", {"shipped_at": NOW - 8 * DAY, "service": "express"}, result(), "S9", "orange"),
    ("S9 unknown service: line", {"shipped_at": NOW - 15 * DAY - MIN, "tracking_number": "ABCDE12345"},
     result("ABCDE12345"), "S9", "orange"),
    # S10: more than 40 days undelivered (red)
    ("S10 inside", {"shipped_at": NOW - 40 * DAY}, result(), "S9", "orange"),
    ("S10 outside", {"shipped_at": NOW - 40 * DAY - MIN}, result(), "S10", "red"),
    ("S10 not when delivered", {"shipped_at": NOW - 50 * DAY},
     result(status="Delivered", delivered_at=NOW - 3 * DAY), "T7", "green"),
    # no Shipped at: the clock starts at the first tracking event
    ("S9 from first event", {"tracking_number": EXPRESS}, result(EXPRESS, first=NOW - 7 * DAY - MIN), "S9", "orange"),
]


@pytest.mark.parametrize("case, row, res, rule, colour", BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_s7_s8_s9_s10_boundaries(case, row, res, rule, colour):
    out = one(row, res)
    assert (code(out.alert), out.alert_colour) == (rule, colour), out.alert
    assert colour_of(out.alert) == colour
    assert out.next_action.startswith(f"{rule}:" if rule not in ("in", "S7") else ("Waiting", "T1/S7")[rule == "S7"])


def test_s7_threshold_per_service():
    settings = TrackingSettings(first_event_days_by_service={"postal": 3.0})
    row = {"shipped_at": NOW - 3 * DAY}
    assert code(one(row, result(status="NotFound", last=None), settings).alert) == "T1"
    row = {"shipped_at": NOW - 3 * DAY - MIN}
    assert code(one(row, result(status="NotFound", last=None), settings).alert) == "S7"


@pytest.mark.parametrize("status, rule, colour", [
    ("Returned", "T2", "orange"), ("DeliveryFailure", "T2", "orange"), ("Exception", "T2", "orange"),
    ("CustomsHold", "T5", "orange"), ("AvailableForPickup", "T4", "orange"), ("Expired", "T3", "red"),
    ("Delivered", "T7", "green"), ("OutForDelivery", "out", "blue"), ("InTransit", "in", "blue"),
])
def test_tracking_states(status, rule, colour):
    out = one({"shipped_at": NOW - 3 * DAY}, result(status=status, last=NOW - DAY))
    assert (code(out.alert), out.alert_colour, out.tracking_status) == (rule, colour, status)


def test_delivered_gives_the_delivery_time_for_the_policy():
    out = one({"shipped_at": NOW - 10 * DAY}, result(status="Delivered", delivered_at=NOW - 2 * DAY))
    assert out.delivered_at == pd.Timestamp(NOW - 2 * DAY)
    assert out.days_in_transit == 8  # shipment to delivery, not to now
    assert "W2/W3/W6" in out.next_action


def test_days_columns_and_last_event():
    out = one({"shipped_at": NOW - 10 * DAY - MIN}, result(last=NOW - 3 * DAY - MIN))
    assert (out.days_since_update, out.days_in_transit) == (3, 10)
    assert out.last_event == "Departed" and out.last_event_at == pd.Timestamp(NOW - 3 * DAY - MIN)
    assert str(out.last_event_at.tz) == "Asia/Shanghai"
    assert (out.carrier_detected, out.service_inferred) == ("China Post", "postal")


def test_three_look_alike_situations_have_three_labels():
    row = {"shipped_at": NOW - 20 * DAY, "tracking_number": EXPRESS}
    silent = one(row, result(EXPRESS, last=NOW - 16 * DAY))
    fresh = {**row, "shipped_at": NOW - 3 * DAY}  # no S9 yet: nothing more urgent than the fetch
    failed = one(fresh, fetch_failed(EXPRESS, "fetch failed: HTTP 503", result(EXPRESS, last=NOW - 2 * DAY)))
    stopped = one(fresh, result(EXPRESS, last=NOW - 2 * DAY, provider_state="stopped", error="17TRACK stopped"))
    assert silent.alert == "Overdue · S8 no update for 16 days"
    assert failed.alert == "Waiting · fetch failed, last good status kept" and failed.alert_colour == "blue"
    assert stopped.alert == "Overdue · T3 provider stopped tracking"


def test_a_failed_fetch_keeps_the_last_good_status_and_only_mentions_s8():
    last_good = result(status="CustomsHold", last=NOW - 20 * DAY)
    out = one({"shipped_at": NOW - 25 * DAY}, fetch_failed(NUMBER, "fetch failed: timeout", last_good))
    assert out.tracking_status == "CustomsHold" and out.alert_colour == "orange"  # T5 from the last good status
    assert "S8: last known event 20 days ago (unconfirmed" in out.next_action
    assert "Overdue" not in out.alert


def test_a_failed_fetch_without_any_last_good_keeps_the_sheet_values():
    row = {"shipped_at": NOW - 3 * DAY, "tracking_status": "InTransit", "last_event": "Departed Shanghai",
           "last_event_at": NOW - 2 * DAY}
    out = one(row, fetch_failed(NUMBER, "fetch failed: HTTP 500"))
    assert (out.tracking_status, out.last_event) == ("InTransit", "Departed Shanghai")
    assert out.alert == "Waiting · fetch failed, last good status kept"


def test_no_result_keeps_the_sheet_values():
    row = {"shipped_at": NOW - 3 * DAY, "tracking_status": "AvailableForPickup", "last_event_at": NOW - DAY}
    out = one(row, None)
    assert out.tracking_status == "AvailableForPickup" and code(out.alert) == "T4"


def test_v4_is_yellow_with_an_issue_at_the_number_cell():
    row = {"tracking_number": "RR123456784CN", "shipped_at": NOW - DAY / 2}
    res = TrackResult("RR123456784CN", "NotFound", provider_state="rejected", error="fails the check digit")
    out = one(row, res, letters={"tracking_number": "C", "declared_value": "K"})
    assert out.alert == "Needs input · V4 tracking number"
    assert [(i.code, i.cell) for i in out.issues] == [("V4-bad-tracking-number", "Logistics!C2")]
    assert out.next_action.count("check digit") == 1  # not repeated as a T1 rejection


def test_provider_rejection_is_yellow():
    res = TrackResult(NUMBER, "NotFound", provider_state="rejected", error="17TRACK cannot detect the carrier")
    out = one({"shipped_at": NOW - 3 * DAY}, res)
    assert code(out.alert) == "T1" and out.alert_colour == "yellow"
    assert [i.code for i in out.issues] == ["T1-number-rejected"]


def test_v9_is_yellow_unless_something_more_urgent_applies():
    row = {"shipped_at": NOW - 2 * DAY, "destination_country": "US", "declared_value": 80, "declared_currency": "USD",
           "weight_kg": 1}
    calm = one(row, result())
    assert calm.alert == "Needs input · V9 customs declaration"
    assert [(i.code, i.cell) for i in calm.issues] == [("V9-customs-declaration", "Logistics!H2")]
    urgent = one({**row, "shipped_at": NOW - 41 * DAY}, result())
    assert code(urgent.alert) == "S10" and "V9: declared USD 80.00" in urgent.next_action
    done = one(row, result(status="Delivered", delivered_at=NOW - DAY))
    assert done.alert_colour == "green" and done.issues == []


def test_blank_number_needs_input():
    out = one({"tracking_number": ""}, None)
    assert out.alert == "Needs input · V1 tracking number missing"


def test_many_rows_at_once_are_independent():
    rows = [{"shipped_at": NOW - 41 * DAY}, {"tracking_number": EXPRESS, "shipped_at": NOW - 8 * DAY},
            {"tracking_number": LINE, "shipped_at": NOW - DAY}]
    results = {NUMBER: result(), EXPRESS: result(EXPRESS, status="Delivered", delivered_at=NOW - DAY),
               LINE: replace(result(LINE), status="CustomsHold")}
    out = evaluate_logistics(frame(rows), results, NOW, TZ, SETTINGS)
    assert [code(a) for a in out.alert] == ["S10", "T7", "T5"]
    assert out.days_since_update.dtype == "Int64" and out.days_in_transit.tolist() == [41, 7, 1]
