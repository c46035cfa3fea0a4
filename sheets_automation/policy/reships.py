"""The Reships tab: S11 (48 h to a new tracking number), V1, V2, V5 and the C cost bearer.

* Shipped = New tracking number filled: green, message ``reship_shipped``.
* Not shipped: red 48 h after Requested at (elapsed hours), orange within
  ``due_soon_hours`` before, blue before that; message ``reship_created``.
* Cost bearer blank: yellow, support chooses per C1-C4 (the automation suggests it when
  it creates the row from a case, see :mod:`.crosstab`).
* A Requested at typed without a time counts from 00:00 (our deadline: the stricter reading).
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
from .times import add_hours, as_local, date_only, timestamp
from .validation import not_future, order, required, time_missing
from .view import text

OUTPUT_COLUMNS = ("alert", "alert_colour", "next_action", "issues", "message_situation", "message_context")


def evaluate_reships(reships: pd.DataFrame, *, now: datetime, tz: tzinfo, policy: Policy,
                     calendar: WorkCalendar | None = None, letters: dict[str, str],
                     parse_issues: list[Issue], tab: str = "Reships") -> pd.DataFrame:
    """Bot outputs for every Reships row (``OUTPUT_COLUMNS``), same index as ``reships``.

    ``calendar`` is accepted for a uniform call but unused: S11 counts elapsed hours.
    """
    now_ts = timestamp(now, tz)
    requested, shipped_at = as_local(reships, "requested_at", tz), as_local(reships, "shipped_at", tz)
    tracking = text(reships, "new_tracking_number")
    shipped = tracking != ""
    due = add_hours(requested, policy.s11_hours)
    findings, _ = timed(~shipped, due, now_ts, policy, rule="S11", what="reship not shipped",
                        field="new_tracking_number",
                        overdue="S11: reship was due to ship by {due} and has no new tracking number; "
                                "chase the warehouse",
                        soon="S11: ship the reship and fill New tracking number before {due}",
                        pending_colour="blue", pending="S11: warehouse ships the reship by {due}")
    findings.append(Finding(shipped, "green", "reship shipped", None, "new_tracking_number", ""))
    findings += required(reships, "reships", positions_by_field(parse_issues, reships.index))
    findings += not_future({"requested_at": requested, "shipped_at": shipped_at}, now_ts, policy, "reships")
    findings.append(order(requested, shipped_at, date_only(reships, "shipped_at"), earlier_name="Requested at",
                          later_name="Shipped at", later_field="shipped_at"))
    findings += time_missing({"requested_at": date_only(reships, "requested_at")},
                             {"requested_at": requested.notna().to_numpy()}, "reships",
                             {"requested_at": "S11 counts from 00:00 of that day"})
    qty = reships["quantity"] if "quantity" in reships.columns else pd.Series(pd.NA, index=reships.index)
    qty = pd.to_numeric(qty, errors="coerce").astype("Float64")
    findings.append(Finding((qty <= 0).fillna(False).to_numpy(dtype=bool), "yellow", "V5 Quantity",
                            "V5-not-positive", "quantity", "Quantity {value} must be positive",
                            values={"value": qty.astype(object).to_numpy()}, severity="error"))
    bearer = text(reships, "cost_bearer")
    findings.append(Finding((bearer == "") & ~shipped, "yellow", "cost bearer", "C-cost-bearer-missing",
                            "cost_bearer", "Cost bearer is blank; choose us, client, carrier or supplier "
                                           "(C1 customer, C2 courier, C3 warehouse, C4 quality)", severity="error"))
    findings += parse_issue_findings(parse_issues, reships.index, "reships")
    c = combine(findings, reships.index, tab=tab, letters=letters)
    situation = np.select([shipped, requested.notna().to_numpy()], ["reship_shipped", "reship_created"],
                          default="").astype(object)
    context = [{"case_id": k, "original_order_id": o, "sku": s, "reason": r, "new_tracking_number": t,
                "expected_date": None if pd.isna(d) else d, "ship_by": None if pd.isna(d) else d,
                "reship_reason": r or "customer_request"}
               for k, o, s, r, t, d in zip(text(reships, "case_id"), text(reships, "original_order_id"),
                                           text(reships, "sku"), text(reships, "reason"), tracking,
                                           due.astype(object))]
    return pd.DataFrame({
        "alert": c.alert, "alert_colour": c.alert_colour, "next_action": c.next_action, "issues": c.issues,
        "message_situation": situation, "message_context": context,
    }, index=reships.index)
