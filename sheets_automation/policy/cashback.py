"""The Cashback tab: S5 (pay by end of business of the agreed working day), V1, V2, V5, V7.

* S5: pay by ``business_day_end`` of the working day the cashback was agreed on; agreed
  on a holiday or weekend → the next working day's end of business. Surprise, stated:
  agreed *after* the end of business, the same day is already over, so it rolls to the
  next working day. Unpaid after Pay by: red; within ``due_soon_hours``: orange.
* Paid = Paid at or Payment reference filled: green, message ``cashback_paid``.
* V5: amount positive and ≤ the case's order amount (case found by Case ID, else by
  Order ID; compared only when the currencies match or one is blank).
* V7: the same reason twice for one order (reason ``other`` may repeat).
* Hold: an unpaid row with a V5 problem (amount not positive, or above the order amount)
  or a V7 duplicate must not be paid: its Alert is a hold ("Hold · V7 duplicate: do not
  pay", yellow), never "Overdue · pay", and the S5 clock does not flag it.

The payee account is personal data: it never appears in a message, action or context.
"""
from __future__ import annotations

from datetime import datetime, tzinfo

import numpy as np
import pandas as pd

from ..errors import Issue
from .calendar import WorkCalendar
from .deadlines import timed
from .findings import Finding, combine, parse_issue_findings, positions_by_field
from .settings import Policy
from .times import as_local, midnight_after, timestamp, wall
from .validation import amounts, currency, duplicates, not_above, not_future, required
from .view import isin, number, text

OUTPUT_COLUMNS = ("pay_by", "alert", "alert_colour", "next_action", "issues", "message_situation",
                  "message_context")


def pay_by(agreed: pd.Series, p: Policy, calendar: WorkCalendar) -> pd.Series:
    """S5 deadline per row (see module docstring); NaT where Agreed at is blank."""
    end = p.business_day_end_time
    w = wall(agreed)
    minutes = (w - w.astype("datetime64[D]")).astype("timedelta64[m]").astype("int64")
    late = ~np.isnat(w) & (minutes > end.hour * 60 + end.minute)
    start = agreed.where(~late, midnight_after(agreed, 1)) if late.any() else agreed
    return calendar.add_working_days_series(start, p.s5_working_days)


def evaluate_cashback(cashback: pd.DataFrame, *, now: datetime, tz: tzinfo, policy: Policy,
                      calendar: WorkCalendar, letters: dict[str, str], parse_issues: list[Issue],
                      cases: pd.DataFrame | None = None, tab: str = "Cashback") -> pd.DataFrame:
    """Bot outputs for every Cashback row (``OUTPUT_COLUMNS``), same index as ``cashback``."""
    now_ts = timestamp(now, tz)
    agreed, paid_at = as_local(cashback, "agreed_at", tz), as_local(cashback, "paid_at", tz)
    paid = paid_at.notna().to_numpy() | (text(cashback, "payment_reference") != "")
    due = pay_by(agreed, policy, calendar)
    amount, cur = number(cashback, "amount"), text(cashback, "currency")
    order_id, reason = text(cashback, "order_id"), text(cashback, "reason")
    vals = {"amount": pd.Series(amount).map("{:.2f}".format).where(~np.isnan(amount), "").to_numpy(dtype=object),
            "currency": cur}
    hold_findings = amounts({"amount": amount}, "cashback")
    limit, limit_currency = _order_amounts(cases, text(cashback, "case_id"), order_id)
    comparable = (limit_currency == "") | (cur == "") | (limit_currency == cur)
    hold_findings.append(not_above(amount, limit, field="amount", what="Cashback amount",
                                   limit_name="case's order amount", comparable=comparable))
    repeatable = isin(reason, ("", "other"))
    hold_findings.append(duplicates([order_id, reason], (order_id != "") & ~repeatable, cashback.index.to_numpy(),
                                    code="V7-duplicate-cashback", field="reason",
                                    message="Order {k0} already has a {k1} cashback on row {first}; "
                                            "do not pay the same reason twice"))
    hold, hold_label = _hold(hold_findings, paid)
    findings, _ = timed(~paid & ~hold, due, now_ts, policy, rule="S5", what="cashback transfer",
                        field="agreed_at",
                        overdue="S5: transfer {amount} {currency} was due by {due}; pay now and fill Paid at",
                        soon="S5: transfer {amount} {currency} before {due} and fill Paid at", values=vals)
    findings.append(Finding(paid, "green", "paid", None, "paid_at", ""))
    findings += required(cashback, "cashback", positions_by_field(parse_issues, cashback.index))
    findings += not_future({"agreed_at": agreed, "paid_at": paid_at}, now_ts, policy, "cashback")
    findings += hold_findings
    findings.append(currency(cur))
    findings += parse_issue_findings(parse_issues, cashback.index, "cashback")
    c = combine(findings, cashback.index, tab=tab, letters=letters)
    c.alert = np.where(hold, hold_label, c.alert).astype(object)
    c.alert_colour = np.where(hold, "yellow", c.alert_colour).astype(object)
    situation = np.where(paid, "cashback_paid", "").astype(object)
    context = [{"order_id": o, "case_id": k, "reason": r, "cashback_reason": r or "other",
                "amount": None if np.isnan(a) else float(a),
                "currency": cu, "paid_at": None if pd.isna(pa) else pa} if s else {}
               for s, o, k, r, a, cu, pa in zip(situation, order_id, text(cashback, "case_id"), reason, amount,
                                                 cur, paid_at.astype(object))]
    return pd.DataFrame({
        "pay_by": due.where(~paid), "alert": c.alert, "alert_colour": c.alert_colour,
        "next_action": c.next_action, "issues": c.issues, "message_situation": situation,
        "message_context": context,
    }, index=cashback.index)


def _hold(findings: list[Finding], paid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unpaid rows that must not be paid (V5, V7) and their label, V7 first."""
    from ..colours import HOLD

    n = len(paid)
    hold = np.zeros(n, dtype=bool)
    label = np.full(n, "", dtype=object)
    for f in sorted(findings, key=lambda f: not (f.code or "").startswith("V7")):
        rule = (f.code or "V5").split("-", 1)[0]
        short = "V7 duplicate" if rule == "V7" else f"{rule} amount"
        take = f.mask & ~paid & ~hold
        label[take] = f"{HOLD} · {short}: do not pay"
        hold |= take
    return hold, label


def _order_amounts(cases: pd.DataFrame | None, case_id: np.ndarray, order_id: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The order amount and currency of each row's case (by Case ID, else Order ID)."""
    n = len(case_id)
    if cases is None or not len(cases):
        return np.full(n, np.nan), np.full(n, "", dtype=object)
    table = pd.DataFrame({"case": text(cases, "case_id"), "order": text(cases, "order_id"),
                          "amount": number(cases, "order_amount"), "currency": text(cases, "currency")})
    by_case = table[table["case"] != ""].drop_duplicates("case").set_index("case")
    by_order = table[(table["order"] != "") & table["amount"].notna()].drop_duplicates("order").set_index("order")
    amount = pd.Series(case_id).map(by_case["amount"])
    amount = amount.fillna(pd.Series(order_id).map(by_order["amount"]))
    cur = pd.Series(case_id).map(by_case["currency"]).fillna(pd.Series(order_id).map(by_order["currency"]))
    return amount.to_numpy(dtype=float), cur.fillna("").to_numpy(dtype=object)
