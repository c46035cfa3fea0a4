"""S1-S4, S6 on Cases, the waiting_client pause, finished rows and colour precedence."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sheets_automation.policy import Policy, WorkCalendar, evaluate_cases
from sheets_automation.policy.frames import letters_for, typed_frame

SH = ZoneInfo("Asia/Shanghai")
LETTERS = letters_for("cases")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def evaluate(rows: list[dict], now: str, policy: Policy = Policy()) -> pd.DataFrame:
    cases = typed_frame("cases", [{"order_id": f"O{i}", "paid_at": "2025-01-10 10:00", **r} for i, r in enumerate(rows)],
                        tz=SH)
    return evaluate_cases(cases, now=at(now), tz=SH, policy=policy, calendar=WorkCalendar(), letters=LETTERS,
                          parse_issues=[])


def one(row: dict, now: str, policy: Policy = Policy()):
    return evaluate([row], now, policy).iloc[0]


NEW = {"opened_at": "2025-03-10 10:00", "status": "new", "issue_type": "other"}


@pytest.mark.parametrize("now, alert", [
    ("2025-03-10 11:00", "Due soon · S1 first reply"),  # S1 is 24 h, due_soon 24 h: orange at once
    ("2025-03-11 09:59", "Due soon · S1 first reply"),
    ("2025-03-11 10:00", "Due soon · S1 first reply"),  # the deadline instant itself is on time
    ("2025-03-11 10:01", "Overdue · S1 first reply"),
])
def test_s1_first_reply_within_24_hours(now, alert):
    row = one(NEW, now)
    assert row["alert"] == alert
    assert row["due_by"] == at("2025-03-11 10:00")
    assert row["next_action"].startswith("S1: ")


@pytest.mark.parametrize("now, alert", [
    ("2025-03-10 11:00", ""),  # due in 23 h: outside a 4 h due-soon
    ("2025-03-11 06:00", "Due soon · S1 first reply"),
    ("2025-03-11 10:01", "Overdue · S1 first reply"),
])
def test_s1_orange_only_inside_due_soon(now, alert):
    assert one(NEW, now, Policy(due_soon_hours=4))["alert"] == alert


def test_s1_stops_once_replied():
    assert one({**NEW, "status": "investigating"}, "2025-03-11 10:01")["alert"] == ""


@pytest.mark.parametrize("opened, due", [
    ("2025-01-27 10:00", "2025-02-06 18:00"),  # Spring Festival Jan 28 - Feb 4 is skipped
    ("2025-02-06 10:00", "2025-02-08 18:00"),  # Sat Feb 8 is a make-up working day
    ("2025-03-07 17:00", "2025-03-11 18:00"),  # Fri → Tue
])
def test_s2_final_result_in_two_working_days(opened, due):
    row = {"opened_at": opened, "status": "investigating", "issue_type": "other"}
    assert one(row, opened)["due_by"] == at(due)
    before = pd.Timestamp(at(due)) - pd.Timedelta(minutes=1)
    after = pd.Timestamp(at(due)) + pd.Timedelta(minutes=1)
    assert one(row, str(before)[:16])["alert"] == "Due soon · S2 final result"
    assert one(row, str(after)[:16])["alert"] == "Overdue · S2 final result"


@pytest.mark.parametrize("now, alert", [
    ("2025-01-24 12:00", "Waiting · S3 courier verification"),
    ("2025-01-26 18:00", "Due soon · S3 courier verification"),
    ("2025-01-27 18:00", "Due soon · S3 courier verification"),
    ("2025-01-27 18:01", "Overdue · S3 courier verification"),
])
def test_s3_courier_verification_then_reship(now, alert):
    # reported Fri 2025-01-24 → due Mon 01-27 18:00 (Sun 26 worked, holiday from 28)
    row = one({"opened_at": "2025-01-24 10:00", "status": "investigating", "issue_type": "not_received"}, now)
    assert row["due_by"] == at("2025-01-27 18:00")
    assert row["alert"] == alert
    if alert.startswith("Overdue"):
        assert "reship" in row["next_action"]
    else:
        assert row["message_situation"] == "verification_in_progress"


def test_s4_platform_verification_counts_from_complete_evidence():
    row = {"opened_at": "2025-03-03 10:00", "status": "waiting_supplier", "issue_type": "damaged",
           "delivered_at": "2025-03-02 10:00", "evidence_links": "p1.jpg, p2.jpg\np3.jpg"}
    waiting = one(row, "2025-03-20 10:00")
    assert waiting["alert"] == "Waiting · S4 platform verification"
    assert waiting["due_by"] == at("2025-04-15 18:00")  # 30 working days (Qingming Apr 4 off)
    assert waiting["message_context"]["expected_date"] == at("2025-03-17 18:00")  # 10 working days
    assert "expected from 2025-03-17 18:00" in waiting["next_action"]
    assert one(row, "2025-04-15 18:01")["alert"] == "Overdue · S4 platform verification"
    missing = one({**row, "evidence_links": "p1.jpg"}, "2025-03-20 10:00")
    assert missing["alert"] == "Needs input · V3 evidence" and pd.isna(missing["due_by"])


@pytest.mark.parametrize("now, alert, due", [
    ("2025-03-05 10:00", "Waiting · S6 supplier to ship", "2025-03-06 10:00"),
    ("2025-03-06 10:01", "Due soon · S6 expedite supplier", "2025-03-08 10:00"),
    ("2025-03-08 10:01", "Overdue · S6 no stock: refund", "2025-03-08 10:00"),
])
def test_s6_supplier_not_shipped(now, alert, due):
    # paid Mar 1 10:00 + 3 days handling = Mar 4 10:00; +2 days expedite; +4 days no-stock path
    row = one({"paid_at": "2025-03-01 10:00", "opened_at": "2025-03-05 09:00", "status": "investigating",
               "issue_type": "not_shipped"}, now)
    assert (row["alert"], row["due_by"]) == (alert, at(due))


def test_waiting_client_pauses_s1_and_s2():
    old = {"opened_at": "2025-03-03 10:00", "issue_type": "other"}
    paused = one({**old, "status": "waiting_client"}, "2025-03-20 10:00")
    assert paused["alert"] == "Needs input · waiting for client" and paused["alert_colour"] == "yellow"
    assert pd.isna(paused["due_by"]) and paused["issues"] == []
    running = one({**old, "status": "investigating"}, "2025-03-20 10:00")
    assert running["alert"] == "Overdue · S2 final result"


@pytest.mark.parametrize("status, alert, colour", [
    ("resolved", "Done · resolved", "green"),
    ("closed", "Closed · closed", "grey"),
    ("rejected", "Closed · rejected", "grey"),
])
def test_finished_rows_get_no_deadline_alerts(status, alert, colour):
    row = one({"opened_at": "2025-01-03 10:00", "status": status, "issue_type": "not_received"}, "2025-03-20 10:00")
    assert (row["alert"], row["alert_colour"]) == (alert, colour)
    assert pd.isna(row["due_by"]) and row["issues"] == [] and row["message_situation"] == ""


@pytest.mark.parametrize("row, alert, first_actions", [
    # red beats yellow beats a soft note; next action lists the most urgent first
    ({**NEW, "opened_at": "2025-03-01", "issue_type": "damaged", "delivered_at": "2025-02-28 10:00"},
     "Overdue · S1 first reply", ["S1", "V3", "V2"]),
    # yellow beats blue
    ({**NEW, "status": "waiting_carrier", "order_id": ""}, "Needs input · V1 Order ID", ["V1", "Waiting"]),
    # yellow data problem beats green resolved
    ({**NEW, "status": "resolved", "order_amount": -5}, "Needs input · V5 Order amount", ["V5"]),
    # blue beats grey (outside W2 but waiting on the courier)
    ({"opened_at": "2025-03-10 10:00", "status": "waiting_carrier", "issue_type": "no_reason_return",
      "delivered_at": "2025-02-01 10:00"}, "Waiting · courier", ["Waiting", "W2"]),
    ({**NEW, "status": "closed"}, "Closed · closed", []),
])
def test_colour_precedence(row, alert, first_actions):
    out = one(row, "2025-03-10 12:00")
    assert out["alert"] == alert
    actions = [a.split(":")[0].split(" ")[0] for a in out["next_action"].split(" | ")] if out["next_action"] else []
    assert actions[:len(first_actions)] == first_actions
