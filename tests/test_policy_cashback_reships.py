"""S5 cashback (pay the same working day) with V5/V7, and S11 reships (48 h to a tracking number)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sheets_automation.policy import Policy, WorkCalendar, evaluate_cashback, evaluate_reships
from sheets_automation.policy.frames import letters_for, typed_frame

SH = ZoneInfo("Asia/Shanghai")
CB_LETTERS, RS_LETTERS = letters_for("cashback"), letters_for("reships")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def cashback(rows: list[dict], now: str, cases: list[dict] | None = None) -> pd.DataFrame:
    base = {"order_id": "O1", "amount": 5, "currency": "CNY", "payee_account": "6222-0000-SECRET"}
    return evaluate_cashback(typed_frame("cashback", [{**base, **r} for r in rows], tz=SH), now=at(now), tz=SH,
                             policy=Policy(), calendar=WorkCalendar(), letters=CB_LETTERS, parse_issues=[],
                             cases=typed_frame("cases", cases, tz=SH) if cases else None)


@pytest.mark.parametrize("agreed, pay_by", [
    ("2025-03-10 10:00", "2025-03-10 18:00"),  # a working day: the same day's end of business
    ("2025-03-10", "2025-03-10 18:00"),
    ("2025-03-10 19:30", "2025-03-11 18:00"),  # after end of business: the next working day
    ("2025-01-29 10:00", "2025-02-05 18:00"),  # Spring Festival holiday: the next working day
    ("2025-01-25 10:00", "2025-01-26 18:00"),  # Saturday; Sunday Jan 26 was a make-up working day
])
def test_s5_pay_by_end_of_business_of_the_agreed_working_day(agreed, pay_by):
    out = cashback([{"agreed_at": agreed}], "2025-01-01 00:00").iloc[0]
    assert out["pay_by"] == at(pay_by)


@pytest.mark.parametrize("now, paid, alert, situation", [
    ("2025-03-10 17:59", "", "Due soon · S5 cashback transfer", ""),
    ("2025-03-10 18:01", "", "Overdue · S5 cashback transfer", ""),
    ("2025-03-10 18:01", "2025-03-10 17:00", "Done · paid", "cashback_paid"),
])
def test_s5_colours(now, paid, alert, situation):
    out = cashback([{"agreed_at": "2025-03-10 10:00", "paid_at": paid}], now).iloc[0]
    assert (out["alert"], out["message_situation"]) == (alert, situation)
    assert pd.isna(out["pay_by"]) is bool(paid)


def test_v5_and_v7_on_cashback_and_no_personal_data_anywhere():
    cases = [{"case_id": "CS1", "order_id": "O1", "order_amount": 20, "currency": "CNY"}]
    rows = [{"case_id": "CS1", "reason": "shipping_fee", "amount": 25, "agreed_at": "2025-03-10 10:00"},
            {"case_id": "CS1", "reason": "shipping_fee", "amount": 5, "agreed_at": "2025-03-10 10:00"},
            {"order_id": "O1", "reason": "other", "amount": 0, "agreed_at": "2025-03-10 10:00"},
            {"order_id": "O1", "reason": "other", "amount": 25, "currency": "USD", "agreed_at": "2025-03-10 10:00"}]
    out = cashback(rows, "2025-03-10 12:00", cases)
    codes = {r: [(i.code, i.cell) for i in out.loc[r, "issues"] if i.code.startswith("V")] for r in out.index}
    assert codes == {2: [("V5-refund-exceeds-order", "Cashback!E2")],
                     3: [("V7-duplicate-cashback", "Cashback!D3")],
                     4: [("V5-not-positive", "Cashback!E4")],
                     5: []}  # USD against a CNY order: not compared
    assert "SECRET" not in out.to_string() and all("SECRET" not in str(i) for r in out["issues"] for i in r)


def reships(rows: list[dict], now: str) -> pd.DataFrame:
    base = {"original_order_id": "O1", "case_id": "CS1", "cost_bearer": "us", "reason": "lost"}
    return evaluate_reships(typed_frame("reships", [{**base, **r} for r in rows], tz=SH), now=at(now), tz=SH,
                            policy=Policy(), calendar=WorkCalendar(), letters=RS_LETTERS, parse_issues=[])


@pytest.mark.parametrize("now, tracking, alert, situation", [
    ("2025-03-10 12:00", "", "Waiting · S11 reship not shipped", "reship_created"),
    ("2025-03-12 09:59", "", "Due soon · S11 reship not shipped", "reship_created"),
    ("2025-03-12 10:01", "", "Overdue · S11 reship not shipped", "reship_created"),
    ("2025-03-12 10:01", "RR123456785CN", "Done · reship shipped", "reship_shipped"),
])
def test_s11_reship_needs_a_new_tracking_number_within_48_hours(now, tracking, alert, situation):
    out = reships([{"requested_at": "2025-03-10 10:00", "new_tracking_number": tracking}], now).iloc[0]
    assert (out["alert"], out["message_situation"]) == (alert, situation)


def test_reship_input_checks():
    out = reships([{"requested_at": "2025-03-10 10:00", "cost_bearer": "", "quantity": 0, "original_order_id": ""}],
                  "2025-03-10 12:00")
    assert [(i.code, i.cell) for i in out.loc[2, "issues"]] == [
        ("V1-required-missing", "Reships!C2"), ("V5-not-positive", "Reships!E2"),
        ("C-cost-bearer-missing", "Reships!G2")]
    assert out.loc[2, "alert_colour"] == "yellow"
