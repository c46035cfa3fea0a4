"""S1-S4 and S6 on Cases: when must we have acted, and how late are we.

Colours: red once ``now`` is past the deadline (the deadline instant itself is still on
time), orange within ``due_soon_hours`` before it, and blue before that for deadlines
that wait on a third party (S3 courier, S4 platform, S6 supplier).

Which rows each clock runs on (undecided: see :mod:`.view`):

== ======================================================= ============================
S1 status new (or blank): no reply yet                      clock start + 24 h (elapsed),
                                                            + time paused
S2 undecided, issue not S3/S4/S6 type                       clock start + 2 working days,
                                                            + business time paused
S3 undecided not_received, stale_tracking, false_delivery   Opened at + 2 working days
   (T6), request inside W4
S4 undecided wrong_item, missing_item, damaged with V3      "evidence complete" + 10
   evidence, request inside W3                              (expected) / 30 (overdue)
                                                            working days
S6 undecided not_shipped, nothing shipped yet               Paid at + handling 3 days,
                                                            +2 days orange, +4 days red
S4 approved refund, partial_refund, return_refund           approved at + 15 working days
   (refund)                                                 (the timeline's approval)
== ======================================================= ============================

Surprises, stated:

* waiting_client pauses S1/S2 (:mod:`.sla`, from the row's :mod:`.timeline`): while
  paused they are not flagged (the row is yellow "Needs input · waiting for client")
  and Due by says how much is left ("paused · 9 h left"); afterwards the deadline is
  the unpaused one moved later by the time paused. The clock starts at Opened at, or
  again when a decided/finished case is reopened.
* A working-day deadline past the last year whose official calendar is published is
  computed as usual but says so ("deadline estimated: 2027 calendar not yet published").
* "Evidence complete" is not a column: S4 counts from Opened at once V3 passes, i.e.
  the earliest the evidence can have been complete.
* A date typed without a time starts our own deadline at 00:00 of that day (the
  stricter reading, which protects the customer).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calendar import WorkCalendar
from .findings import Finding
from .settings import Policy
from .sla import Clocks, paused_texts, s1_due, s2_due
from .times import add_days
from .view import CaseView, isin

S3_TYPES = ("not_received", "stale_tracking", "false_delivery")
S4_TYPES = ("wrong_item", "missing_item", "damaged")
S6_TYPES = ("not_shipped",)
REFUNDS = ("refund", "partial_refund", "return_refund")


@dataclass(slots=True)
class Deadlines:
    due_by: pd.Series  # the next (or missed) deadline per row
    expected: pd.Series  # what to tell the customer (S3 due, S4 expected, S6 ship-by)
    verifying: np.ndarray  # S3 or S4 clock running (verification_in_progress)
    findings: list[Finding]
    due_text: np.ndarray  # Due by text where it is not a date ("paused · 9 h left"), else None
    refund_by: pd.Series  # S4 refund deadline (approved refunds), NaT elsewhere


def timed(active: np.ndarray, due: pd.Series, now: pd.Timestamp, p: Policy, *, rule: str, what: str,
          field: str, overdue: str, soon: str, pending_colour: str | None = None, pending: str = "",
          values: dict | None = None) -> tuple[list[Finding], np.ndarray]:
    """Red / orange / pending findings for one deadline; also the mask of rows it runs on.

    Templates may use ``{due}`` plus anything in ``values``.
    """
    has = active & due.notna().to_numpy()
    late = has & (due < now).to_numpy()
    soon_mask = has & ~late & (due - now <= pd.Timedelta(hours=p.due_soon_hours)).to_numpy()
    vals = {"due": due, **(values or {})}
    out = [Finding(late, "red", f"{rule} {what}", f"{rule}-overdue", field, f"{rule} {what} was due {{due}}",
                   overdue, vals),
           Finding(soon_mask, "orange", f"{rule} {what}", f"{rule}-due-soon", field,
                   f"{rule} {what} is due {{due}}", soon, vals)]
    if pending_colour:
        out.append(Finding(has & ~late & ~soon_mask, pending_colour, f"{rule} {what}", None, field, "",
                           pending, vals))
    return out, has


def evaluate_deadlines(v: CaseView, p: Policy, cal: WorkCalendar, *, outside: np.ndarray,
                       evidence_ok: np.ndarray, clocks: Clocks, approved_at: pd.Series) -> Deadlines:
    """:param clocks: S1/S2 clock inputs (:func:`.sla.clocks`); ``approved_at``: the timeline's approval."""
    und, now = v.undecided, v.now
    it = v.issue_type
    paused = v.status == "waiting_client"
    s1 = s1_due(clocks, p.s1_hours)
    f1, on1 = timed(isin(v.status, ("", "new")), s1, now, p, rule="S1", what="first reply", field="opened_at",
                    overdue="S1: first reply was due {due}; reply to the customer now",
                    soon="S1: reply to the customer before {due}")
    typed = isin(it, S3_TYPES + S4_TYPES + S6_TYPES)
    s2 = s2_due(clocks, cal, p.s2_working_days)
    f2, on2 = timed(und & ~paused & ~typed, s2, now, p, rule="S2", what="final result",
                    field="opened_at", overdue="S2: final result was due {due}; decide and tell the customer",
                    soon="S2: give the customer the final result before {due}")
    due_text = paused_texts(clocks, s2, und & paused & ~typed, cal)
    s3 = cal.add_working_days_series(v.opened, p.s3_working_days)
    f3, on3 = timed(und & isin(it, S3_TYPES) & ~outside, s3, now, p, rule="S3", what="courier verification",
                    field="opened_at",
                    overdue="S3: courier verification ended {due}; tell the customer and reship "
                            "(set resolution resend and approve; a Reships row follows)",
                    soon="S3: courier verification ends {due}; chase the courier's answer",
                    pending_colour="blue",
                    pending="S3: courier verifies the parcel until {due} (T6: open a carrier "
                            "investigation for a false sign-off)")
    s4_expected = cal.add_working_days_series(v.opened, p.s4_expected_working_days)
    s4 = cal.add_working_days_series(v.opened, p.s4_overdue_working_days)
    f4, on4 = timed(und & isin(it, S4_TYPES) & evidence_ok & ~outside, s4, now, p, rule="S4",
                    what="platform verification", field="opened_at",
                    overdue="S4: verification overdue since {due}; chase the platform/supplier, then refund "
                            f"(within {p.s4_refund_working_days} working days) or reissue",
                    soon="S4: verification becomes overdue {due}; chase the platform/supplier",
                    pending_colour="blue",
                    pending="S4: platform/supplier verifies (expected from {expected}, overdue after {due})",
                    values={"expected": s4_expected})
    not_shipped = und & isin(it, S6_TYPES) & v.shipped.isna().to_numpy() & (v.tracking == "")
    ship_by = add_days(v.paid, p.handling_days)
    expedite = add_days(v.paid, p.handling_days + p.s6_expedite_days)
    no_stock = add_days(v.paid, p.handling_days + p.s6_no_stock_days)
    on6 = not_shipped & v.paid.notna().to_numpy()
    red6 = on6 & (no_stock < now).to_numpy()
    orange6 = on6 & ~red6 & (expedite < now).to_numpy()
    vals6 = {"ship_by": ship_by, "expedite": expedite, "no_stock": no_stock}
    late, very_late = f"{p.s6_expedite_days:g} days", f"{p.s6_no_stock_days:g} days"
    f6 = [Finding(red6, "red", "S6 no stock: refund", "S6-no-stock", "paid_at",
                  "Not shipped {no_stock}, " + very_late + " after the handling time ended {ship_by}",
                  "S6: still not shipped: take the no-stock path, refund and reorder from another supplier",
                  vals6),
          Finding(orange6, "orange", "S6 expedite supplier", "S6-expedite", "paid_at",
                  "Not shipped " + late + " after the handling time ended {ship_by}",
                  "S6: ask the supplier to expedite; no-stock path (refund, reorder) from {no_stock}", vals6),
          Finding(on6 & ~red6 & ~orange6, "blue", "S6 supplier to ship", None, "paid_at", "",
                  "S6: supplier should ship by {ship_by}; expedite from {expedite}", vals6)]
    s6_next = expedite.where(~orange6 & ~red6, no_stock)
    approved_refund = (v.status == "approved") & isin(v.resolution, REFUNDS)
    refund_by = cal.add_working_days_series(approved_at, p.s4_refund_working_days).where(approved_refund)
    f_refund, on_refund = timed(approved_refund, refund_by, now, p, rule="S4", what="refund", field="status",
                                overdue="S4: the refund was due {due} (approved + "
                                        f"{p.s4_refund_working_days} working days); refund now",
                                soon="S4: complete the refund before {due}")
    candidates = [s1.where(on1), s2.where(on2), s3.where(on3), s4.where(on4), s6_next.where(on6),
                  refund_by.where(on_refund)]
    due_by = pd.concat(candidates, axis=1).min(axis=1).astype(v.opened.dtype)
    expected = s3.where(on3, s4_expected.where(on4, ship_by.where(on6, due_by)))
    working = (on2 | on3 | on4 | on_refund) & due_by.notna().to_numpy()
    estimate = estimated(due_by, working, cal) + estimated(s2, und & paused & ~typed, cal)
    return Deadlines(due_by, expected, on3 | on4, f1 + f2 + f3 + f4 + f6 + f_refund + estimate, due_text,
                     refund_by)


def estimated(due: pd.Series, working: np.ndarray, cal: WorkCalendar) -> list[Finding]:
    """A soft note where a working-day deadline falls past the last published calendar year (7)."""
    last = cal.last_published_year
    if last is None or not working.any():
        return []
    years = due.dt.year.fillna(0).astype(int).to_numpy()
    mask = working & (years > last)
    if not mask.any():
        return []
    return [Finding(mask, None, "calendar estimated", "S-calendar-estimated", "due_by",
                    "deadline estimated: {year} calendar not yet published",
                    values={"year": years.astype(object)})]
