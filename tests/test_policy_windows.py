"""W1-W6: which window applies, when it ends, and whether the request (Opened at) fit."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sheets_automation.policy import Policy, WorkCalendar, evaluate_cases
from sheets_automation.policy.frames import letters_for, typed_frame

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
LETTERS = letters_for("cases")


def at(text: str, tz: ZoneInfo = SH) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def evaluate(rows: list[dict], now: str, tz: ZoneInfo = SH, **kw) -> pd.DataFrame:
    cases = typed_frame("cases", [{"order_id": f"O{i}", "status": "investigating", **r} for i, r in enumerate(rows)],
                        tz=tz)
    return evaluate_cases(cases, now=at(now, tz), tz=tz, policy=kw.pop("policy", Policy()),
                          calendar=WorkCalendar(), letters=LETTERS, parse_issues=[], **kw)


def codes(row) -> list[str]:
    return [i.code for i in row["issues"]]


NO_REASON = {"paid_at": "2025-02-25 10:00", "issue_type": "no_reason_return",
             "requested_resolution": "return_refund"}


@pytest.mark.parametrize("delivered, opened, accepted", [
    ("2025-03-01 14:00", "2025-03-08 23:59", True),
    ("2025-03-01 14:00", "2025-03-09 00:00", False),
    ("2025-03-01", "2025-03-08 23:59", True),   # date only: W2 already starts at the next midnight
    ("2025-03-01", "2025-03-09 00:00", False),
])
def test_w2_no_reason_return_is_168_hours_from_the_midnight_after_delivery(delivered, opened, accepted):
    row = evaluate([{**NO_REASON, "delivered_at": delivered, "opened_at": opened}], "2025-03-10 12:00").iloc[0]
    if accepted:
        assert row["window"] == "W2 no-reason return until 2025-03-09 00:00 (Asia/Shanghai)"
        assert row["message_situation"] == "return_instructions"
        assert "W2-outside-window" not in codes(row)
    else:
        assert row["window"] == "W2 no-reason return ended 2025-03-09 00:00 (Asia/Shanghai)"
        assert row["message_situation"] == "outside_window"
        assert row["alert"] == "Closed · outside W2 no-reason return" and row["alert_colour"] == "grey"
        assert "W2-outside-window" in codes(row)
    assert ("V2-time-missing" in codes(row)) is (len(delivered) == 10)


@pytest.mark.parametrize("tz, delivered, opened, accepted, until", [
    # spring forward (Mar 30): the window still ends at 00:00 local, now +02:00
    (BERLIN, "2025-03-25 14:00", "2025-04-01 23:59", True, "2025-04-02 00:00 (Europe/Berlin)"),
    (BERLIN, "2025-03-25 14:00", "2025-04-02 00:00", False, "2025-04-02 00:00 (Europe/Berlin)"),
    # fall back (Oct 26)
    (BERLIN, "2025-10-22 09:00", "2025-10-29 23:59", True, "2025-10-30 00:00 (Europe/Berlin)"),
    (BERLIN, "2025-10-22 09:00", "2025-10-30 00:00", False, "2025-10-30 00:00 (Europe/Berlin)"),
])
def test_w2_is_dst_safe(tz, delivered, opened, accepted, until):
    rows = [{**NO_REASON, "paid_at": "2025-03-20 10:00" if delivered < "2025-06" else "2025-10-15 10:00",
             "delivered_at": delivered, "opened_at": opened}]
    out = evaluate(rows, "2025-11-20 12:00", tz=tz, policy=Policy(calendar_country="DE", origin_country="DE"))
    row = out.iloc[0]
    assert row["window"].endswith(until) and (" until " in row["window"]) is accepted
    end = row["message_context"]["window_end"]
    assert end.hour == 0 and end.minute == 0 and end.tz_convert(tz).hour == 0


@pytest.mark.parametrize("paid, opened, expected", [
    ("2025-03-01 10:00", "2025-03-02 09:59", "accepted"),
    ("2025-03-01 10:00", "2025-03-02 10:00", "outside"),  # the end is exclusive
    ("2025-03-01 10:00", "2025-03-02 10:01", "outside"),
    ("2025-03-01", "2025-03-02 23:59", "accepted"),  # date only: 24 h from the END of Mar 1
    ("2025-03-01", "2025-03-03 00:00", "outside"),
])
def test_w1_change_cancel_is_24_hours_from_payment(paid, opened, expected):
    row = evaluate([{"paid_at": paid, "opened_at": opened, "issue_type": "cancel"}], "2025-03-03 12:00").iloc[0]
    if expected == "accepted":
        assert row["window"].startswith("W1 change/cancel until ")
        assert row["message_situation"] == "change_cancel_accepted"
        assert "W1: inside 24 h" in row["next_action"]
    else:
        assert row["window"].startswith("W1 change/cancel ended ")
        assert row["message_situation"] == "recall_attempt"  # not shipped: recall is possible
        assert "W1: inside 24 h" not in row["next_action"]


@pytest.mark.parametrize("shipped, destination, alert, situation", [
    ("", "US", "Waiting · W1 recall before shipment", "recall_attempt"),
    ("2025-03-02 08:00", "CN", "Waiting · W1 courier interception", "recall_attempt"),
    ("2025-03-02 08:00", "US", "Closed · W1 cannot intercept", "cannot_intercept_international"),
    ("2025-03-02 08:00", "", "Needs input · W1 destination", ""),
])
def test_w1_outside_recall_depends_on_shipment_and_destination(shipped, destination, alert, situation):
    row = evaluate([{"paid_at": "2025-03-01 10:00", "opened_at": "2025-03-03 09:00", "issue_type": "address_change",
                     "shipped_at": shipped, "destination_country": destination}], "2025-03-03 12:00").iloc[0]
    assert row["alert"] == alert
    assert row["message_situation"] == situation


@pytest.mark.parametrize("row, opened_in, opened_out, ends", [
    # W3 product guarantee: 30 days from delivery
    ({"issue_type": "quality", "delivered_at": "2025-03-01 14:00", "evidence_links": "a b c"},
     "2025-03-31 13:59", "2025-03-31 14:00", "W3 product guarantee until 2025-03-31 14:00"),
    ({"issue_type": "size", "delivered_at": "2025-03-01", "evidence_links": "tag.jpg"},
     "2025-03-31 23:59", "2025-04-01 00:00", "W3 product guarantee until 2025-04-01 00:00"),
    # W4 tracking after-service: 60 days from payment
    ({"issue_type": "stale_tracking"}, "2025-03-02 09:59", "2025-03-02 10:00",
     "W4 tracking after-service until 2025-03-02 10:00"),
    # W5 price protection: 7 days from payment
    ({"issue_type": "price_protection", "delivered_at": "2025-01-03 10:00"}, "2025-01-08 09:59",
     "2025-01-08 10:00", "W5 price protection until 2025-01-08 10:00"),
    # W6 exchange: 7 days from delivery
    ({"issue_type": "other", "requested_resolution": "exchange", "delivered_at": "2025-03-01 14:00"},
     "2025-03-08 13:59", "2025-03-08 14:00", "W6 exchange until 2025-03-08 14:00"),
])
def test_w3_to_w6_boundaries(row, opened_in, opened_out, ends):
    base = {"paid_at": "2025-01-01 10:00", **row}
    soon_after = lambda t: str(pd.Timestamp(t) + pd.Timedelta(minutes=1))[:16]  # noqa: E731
    inside = evaluate([{**base, "opened_at": opened_in}], soon_after(opened_in)).iloc[0]
    outside = evaluate([{**base, "opened_at": opened_out}], soon_after(opened_out)).iloc[0]
    wid = ends[:2]
    assert inside["window"] == ends + " (Asia/Shanghai)"
    assert f"{wid}-outside-window" not in codes(inside)
    assert f"{wid}-outside-window" in codes(outside) and outside["alert_colour"] == "grey"
    assert outside["message_situation"] == "outside_window"


def test_w6_one_exchange_per_order():
    ask = {"order_id": "X1", "issue_type": "other", "requested_resolution": "exchange", "paid_at": "2025-03-01 10:00",
           "delivered_at": "2025-03-03 10:00", "opened_at": "2025-03-04 10:00"}
    out = evaluate([{**ask, "status": "resolved"}, ask], "2025-03-05 12:00")
    assert "W6-second-exchange" not in codes(out.iloc[0])
    assert out.iloc[1]["alert"] == "Closed · W6 second exchange refused"


def test_delivery_from_tracking_starts_the_delivery_windows():
    row = {**NO_REASON, "tracking_number": "rr 123 cn", "opened_at": "2025-03-05 10:00"}
    tracked = pd.Series({"RR123CN": pd.Timestamp("2025-03-01 06:00", tz="UTC")})
    out = evaluate([row], "2025-03-06 12:00", tracked_delivery=tracked).iloc[0]
    assert out["window"] == ("W2 no-reason return until 2025-03-09 00:00 (Asia/Shanghai) "
                             "(delivery from tracking)")
    assert "V2-time-missing" not in codes(out)
    blank = evaluate([row], "2025-03-06 12:00").iloc[0]
    assert blank["window"] == "W2 no-reason return: starts at delivery"
    assert blank["alert"] == "Needs input · W2 delivery unknown"


@pytest.mark.parametrize("issue, resolution, window", [
    ("cancel", "", "W1"), ("change_order", "", "W1"), ("address_change", "", "W1"), ("other", "cancel", "W1"),
    ("price_protection", "refund", "W5"), ("no_reason_return", "exchange", "W6"),
    ("no_reason_return", "return_refund", "W2"), ("quality", "resend", "W3"), ("damaged", "exchange", "W3"),
    ("wrong_item", "", "W3"), ("missing_item", "", "W3"), ("not_received", "resend", "W4"),
    ("customs_hold", "", "W4"), ("false_delivery", "refund", "W4"), ("not_shipped", "refund", ""),
    ("other", "", ""), ("", "", ""),
])
def test_window_choice_table(issue, resolution, window):
    row = {"issue_type": issue, "requested_resolution": resolution, "paid_at": "2025-03-01 10:00",
           "delivered_at": "2025-03-02 10:00", "opened_at": "2025-03-02 12:00"}
    out = evaluate([row], "2025-03-02 13:00").iloc[0]
    assert out["window"][:2] == window if window else out["window"] == ""


def test_next_action_never_starts_a_finding_with_a_bare_colon():
    """Regression: a code-less window finding printed as ': W1: inside 24 h ...'."""
    out = evaluate([{"case_id": "CS-1", "issue_type": "cancel", "requested_resolution": "cancel",
                     "status": "waiting_client", "paid_at": "2025-03-01 10:00", "opened_at": "2025-03-01 12:00"}],
                   "2025-03-01 13:00")
    parts = out["next_action"].iloc[0].split(" | ")
    assert len(parts) >= 2 and all(p and not p.startswith(":") for p in parts)
    assert any(p.startswith("W1: inside 24 h") for p in parts)


@pytest.mark.parametrize("resolution, alert, rule", [
    ("resend", "Waiting · approved: reship", "S11"),
    ("refund", "Waiting · approved: refund", "S4"),
    ("return_refund", "Waiting · approved: refund", "S4"),
    ("exchange", "Waiting · approved: exchange", "W6"),
    ("cancel", "Waiting · approved: change/cancel", "W1"),
    ("none", "Waiting · approved: carry out", "resolved"),
])
def test_an_approved_case_says_what_is_left_to_do(resolution, alert, rule):
    out = evaluate([{"case_id": "CS-1", "issue_type": "damaged", "status": "approved",
                     "requested_resolution": resolution, "paid_at": "2025-03-01 10:00",
                     "delivered_at": "2025-03-04 10:00", "opened_at": "2025-03-05 10:00",
                     "evidence_links": "a.jpg b.jpg c.jpg"}], "2025-03-05 12:00")
    assert out["alert"].iloc[0] == alert and out["alert_colour"].iloc[0] == "blue"
    assert out["next_action"].iloc[0].startswith("Approved:") and rule in out["next_action"].iloc[0]
