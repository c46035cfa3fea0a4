"""The Cases tab: typed frame in, bot outputs out (windows W1-W6, deadlines S1-S4/S6, V rules).

Every row gets an output, even one with NaT everywhere. Status decides the base line:

============== ======================================== =====================================
status         alert (unless something more urgent)     rules that run
============== ======================================== =====================================
new / blank    deadline colours                         W, S1, S2-S4, S6, V
investigating  deadline colours                         W, S2-S4, S6, V
waiting_client yellow "Needs input · waiting for client" W, S3, S4, S6, V (S1/S2 paused)
waiting_carrier / waiting_supplier: blue "Waiting · …"  W, S2-S4, S6, V
approved       blue "Waiting · approved: <resolution>" and V1, V2, V5, V7
               the step to take (cashback row missing: yellow)
rejected       grey "Closed · rejected"                 V1, V2, V5
resolved       green "Done · resolved"                  V1, V2, V5 (no deadline alerts)
closed         grey "Closed · closed"                   V1, V2, V5 (no deadline alerts)
============== ======================================== =====================================

Colour precedence red > orange > yellow > blue > green > grey (:mod:`.findings`).
"""
from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache

import numpy as np
import pandas as pd

from ..errors import Issue
from .calendar import WorkCalendar
from .deadlines import evaluate_deadlines
from .findings import Finding, combine, mask_of, parse_issue_findings, positions_by_field
from .settings import Policy
from .validation import amounts, currency, duplicates, evidence, not_above, not_future, order
from .validation import refund_only_after_receipt, required, time_missing
from .cost import reship_reason
from .sla import clocks as sla_clocks
from .timeline import Timeline, approved_at as timeline_approved_at, observe
from .times import add_hours
from .view import CaseView, case_view, isin, number, text
from .windows import Windows, evaluate_windows, exchanges_before

OUTPUT_COLUMNS = ("window", "due_by", "due_by_text", "alert", "alert_colour", "next_action", "issues",
                  "message_situation", "message_context", "timeline")


def evaluate_cases(cases: pd.DataFrame, *, now: datetime, tz: tzinfo, policy: Policy, calendar: WorkCalendar,
                   letters: dict[str, str], parse_issues: list[Issue],
                   tracked_delivery: pd.Series | None = None, cashback: pd.DataFrame | None = None,
                   tab: str = "Cases", timelines: list[Timeline | None] | None = None,
                   reship_requested: pd.Series | None = None) -> pd.DataFrame:
    """Bot outputs for every Cases row (``OUTPUT_COLUMNS``), same index as ``cases``.

    :param tracked_delivery: Logistics delivery times by tracking number; fills a blank
        Delivered at (the Window text then says "(delivery from tracking)").
    :param cashback: the Cashback tab, to see whether an approved cashback case has its row.
    :param timelines: each row's stored :class:`.timeline.Timeline` (None: none yet); this
        run's observation is added and returned in column ``timeline``.
    :param reship_requested: Requested at of the Reships rows by Case ID (S11 promise start).
    """
    v = case_view(cases, now=now, tz=tz, tracked_delivery=tracked_delivery)
    lines = observed(v, timelines)
    w = evaluate_windows(v, policy, exchanges_before(v))
    links = text(cases, "evidence_links")
    v3, photos_needed, evidence_ok = evidence(v.issue_type, links, v.undecided, policy)
    approved = pd.Series([timeline_approved_at(t) for t in lines], index=v.index, dtype=object)
    approved = pd.to_datetime(approved, utc=True).dt.tz_convert(tz).astype(v.opened.dtype)
    d = evaluate_deadlines(v, policy, calendar, outside=w.outside, evidence_ok=evidence_ok,
                           clocks=sla_clocks(lines, v.opened, calendar), approved_at=approved)
    # within one colour the rule findings come first, the generic status line last
    findings = [*d.findings, v3, *w.findings, *_cashback_missing(v, cashback)]
    findings += _validation(cases, v, policy, positions_by_field(parse_issues, v.index))
    findings += parse_issue_findings(parse_issues, v.index, "cases")
    findings += _status_lines(v, policy)
    c = combine(findings, v.index, tab=tab, letters=letters)
    situation = _situation(v, w, d.verifying, evidence_ok, policy.origin_country.upper())
    ship_by = _ship_by(v, reship_requested, policy)
    context = _context(cases, v, w.wid, w.end, d.expected, photos_needed, situation, policy, ship_by)
    lines = [_record_promises(t, c, s) if c else t for t, c, s in zip(lines, context, situation)]
    return pd.DataFrame({
        "window": w.text, "due_by": d.due_by, "due_by_text": d.due_text, "alert": c.alert,
        "alert_colour": c.alert_colour, "next_action": c.next_action, "issues": c.issues,
        "message_situation": situation, "message_context": context, "timeline": lines,
    }, index=cases.index)


def observed(v: CaseView, timelines: list[Timeline | None] | None) -> list[Timeline]:
    """Each row's timeline with this run's observation of its Status (see :mod:`.timeline`)."""
    stored = timelines if timelines is not None else [None] * v.n
    now = v.now.to_pydatetime()
    first = [i for i, t in enumerate(stored) if t is None or not t.events]  # only these need Opened at
    opened: dict[int, object] = {}
    if first:
        values = v.opened.iloc[first]
        opened = {i: (None if pd.isna(o) else o) for i, o in zip(first, values.dt.to_pydatetime())}
    return [observe(t, st, res, now, opened.get(i))
            for i, (t, st, res) in enumerate(zip(stored, v.status, v.resolution))]


PROMISES = ("reply_by", "ship_by", "expected_date")


def _record_promises(t: Timeline, context: dict, situation: str) -> Timeline:
    """Record in the timeline each promise date the row's message makes (first time only)."""
    new = [k for k in _promises_of(situation) if k not in t.promises  # recorded once: formatted once
           and context.get(k) is not None and not pd.isna(context[k])]
    return t.promised({k: _iso(context[k]) for k in new}) if new else t


@lru_cache(maxsize=None)
def _promises_of(situation: str) -> tuple[str, ...]:
    """The ``PROMISES`` a situation's message uses (worked out once per situation, not per row)."""
    from ..messages.situations import SITUATIONS  # data only: which variables a message uses

    used = SITUATIONS.get(situation, ())
    return tuple(k for k in PROMISES if k in used)


def _iso(value) -> str:
    """An instant as ``2025-03-16T00:00:00+08:00`` (as a datetime: 2.9 µs; Timestamp.isoformat 4.5 µs)."""
    stamp = value if type(value) is pd.Timestamp else pd.Timestamp(value)
    return stamp.to_pydatetime(warn=False).isoformat(timespec="seconds")


def _ship_by(v: CaseView, reship_requested: pd.Series | None, p: Policy) -> pd.Series:
    """S11 promise per case: its Reships row's Requested at + 48 h. A case whose row this run
    creates is requested now (the created row says so); NaT for cases without a reship."""
    requested = pd.Series(pd.NaT, index=v.index, dtype=v.opened.dtype)
    if reship_requested is not None and len(reship_requested):
        found = pd.Series(v.case_id, index=v.index, dtype=object).map(reship_requested)
        requested = pd.to_datetime(found, utc=True).dt.tz_convert(v.tz).astype(v.opened.dtype)
    fresh = requested.isna().to_numpy() & (v.status == "approved") & (v.resolution == "resend")
    requested = requested.where(~fresh, v.now)
    return add_hours(requested, p.s11_hours)


def _status_lines(v: CaseView, policy: Policy) -> list[Finding]:
    s = v.status
    return [
        Finding(s == "waiting_client", "yellow", "waiting for client", None, "status", "",
                "Waiting for the client/customer (S1/S2 paused); follow up if no answer"),
        Finding(s == "waiting_carrier", "blue", "courier", None, "status", "", "Waiting for the courier"),
        Finding(s == "waiting_supplier", "blue", "supplier", None, "status", "", "Waiting for the supplier"),
        *_approved_lines(v, policy),
        Finding(s == "resolved", "green", "resolved", None, "status", ""),
        Finding(s == "rejected", "grey", "rejected", None, "status", ""),
        Finding(s == "closed", "grey", "closed", None, "status", ""),
    ]


# Approved: what carrying out each resolution means, and the rule that times it (numbers are
# the configured policy's, filled in by _approved_lines).
APPROVED_STEPS = (
    (("resend",), "reship", "Approved: reship from the Reships tab (S11: new tracking number within {s11_hours:g} h); "
                            "set Status to resolved once it ships"),
    (("refund", "partial_refund", "return_refund"), "refund",
     "Approved: refund the customer (S4: within {s4_refund_working_days} working days); set Status to resolved when paid"),
    (("exchange",), "exchange", "Approved: send the exchange (W6: one per order); set Status to resolved once it ships"),
    (("cancel", "change"), "change/cancel", "Approved: cancel or change the order (W1); set Status to resolved when done"),
    (("cashback",), "cashback", "Approved: pay it from the Cashback tab (S5: same working day); "
                                "set Status to resolved when paid"),
    (("none", ""), "carry out", "Approved: carry out the decision and tell the customer; then set Status to resolved"),
)


def _approved_lines(v: CaseView, policy: Policy) -> list[Finding]:
    """An approved case still has work to do: say which, per requested resolution (blue)."""
    approved = v.status == "approved"
    numbers = {"s11_hours": policy.s11_hours, "s4_refund_working_days": policy.s4_refund_working_days}
    return [Finding(approved & isin(v.resolution, group), "blue", f"approved: {label}", None, "status", "",
                    action.format(**numbers)) for group, label, action in APPROVED_STEPS]


def _cashback_missing(v: CaseView, cashback: pd.DataFrame | None) -> list[Finding]:
    if cashback is None:
        return []
    have = set(text(cashback, "case_id")) - {""}
    want = (v.status == "approved") & (v.resolution == "cashback") & (v.case_id != "")
    missing = want & ~pd.Series(v.case_id, dtype=object).isin(have).to_numpy()
    return [Finding(missing, "yellow", "cashback row missing", "S5-cashback-missing", "requested_resolution",
                    "Approved cashback has no Cashback row with this Case ID",
                    "S5: add the Cashback row (amount, agreed at) so it is paid the same working day")]


def _validation(cases: pd.DataFrame, v: CaseView, p: Policy, flagged: dict[str, np.ndarray]) -> list[Finding]:
    delivered_sheet = v.delivered.where(~v.from_tracking)
    out = required(cases, "cases", flagged)
    shipped_known = v.shipped.notna().to_numpy()
    out.append(order(v.paid, v.shipped, v.shipped_date_only, earlier_name="Paid at", later_name="Shipped at",
                     later_field="shipped_at"))
    out.append(order(v.shipped, delivered_sheet, v.delivered_date_only, earlier_name="Shipped at",
                     later_name="Delivered at", later_field="delivered_at"))
    out.append(order(v.paid, delivered_sheet, v.delivered_date_only, earlier_name="Paid at",
                     later_name="Delivered at", later_field="delivered_at", skip=shipped_known))
    stamps = {"opened_at": v.opened, "paid_at": v.paid, "shipped_at": v.shipped, "delivered_at": delivered_sheet}
    out += not_future(stamps, v.now, p, "cases")
    out += time_missing(
        {"paid_at": v.paid_date_only, "delivered_at": v.delivered_date_only, "opened_at": v.opened_date_only},
        {"paid_at": mask_of(v.paid.notna()), "delivered_at": mask_of(delivered_sheet.notna()),
         "opened_at": mask_of(v.opened.notna())}, "cases",
        {"paid_at": "windows from payment start at the end of that day",
         "delivered_at": "windows from delivery start at the end of that day",
         "opened_at": "deadlines count from 00:00 of that day"})
    order_amount, refund = number(cases, "order_amount"), number(cases, "refund_amount")
    out += amounts({"order_amount": order_amount, "refund_amount": refund}, "cases")
    out.append(not_above(refund, order_amount, field="refund_amount", what="Refund amount",
                         limit_name="order amount"))
    out.append(currency(text(cases, "currency")))
    open_ = ~v.closed & (v.order_id != "") & (v.issue_type != "")
    out.append(duplicates([v.order_id, v.issue_type], open_, v.index.to_numpy(), code="V7-duplicate-case",
                          field="order_id",
                          message="Order {k0} already has an open {k1} case on row {first}; merge or close one"))
    out.append(refund_only_after_receipt(v.resolution, v.issue_type, mask_of(v.delivered.notna()), v.undecided))
    return out


def _situation(v: CaseView, w: Windows, verifying: np.ndarray, evidence_ok: np.ndarray, origin: str) -> np.ndarray:
    """The customer-message situation that fits each row ('' for none); first match wins."""
    und, approved = v.undecided, v.status == "approved"
    res, wid = v.resolution, w.wid
    shipped = (v.shipped.notna() | v.delivered.notna()).to_numpy() | (v.tracking != "")
    # W1: accepted only while not shipped; once shipped (inside the 24 h or not) a recall
    w1_recall = (wid == "W1") & (und & (w.outside | shipped) | approved & shipped)
    known_dest = v.destination != ""
    domestic = known_dest & (v.destination == origin)
    table = [
        (v.closed, ""),
        (w.second_exchange, ""),  # W6: refused; support writes that message
        (und & ~evidence_ok, "evidence_needed"),
        (w1_recall & shipped & known_dest & ~domestic, "cannot_intercept_international"),
        (w1_recall & (~shipped | domestic), "recall_attempt"),
        (w1_recall, ""),  # shipped, destination unknown: fill it in first
        (und & w.outside & (wid != "W1"), "outside_window"),
        (approved & (res == "resend"), "reship_created"),
        (approved & (wid == "W5"), "price_protection_refund"),
        (approved & (res == "exchange"), "exchange_instructions"),
        (approved & (res == "return_refund"), "return_instructions"),
        (approved & isin(res, ("refund", "partial_refund", "cashback")), "refund_approved"),
        ((und & w.inside | approved) & (wid == "W1") & ~shipped, "change_cancel_accepted"),
        (und & w.inside & (wid == "W2"), "return_instructions"),
        (und & w.inside & (wid == "W6"), "exchange_instructions"),
        (und & verifying, "verification_in_progress"),
        (isin(v.status, ("", "new")), "case_received"),
    ]
    return np.select([c for c, _ in table], [s for _, s in table], default="").astype(object)


def _context(cases: pd.DataFrame, v: CaseView, wid: np.ndarray, end: pd.Series, expected: pd.Series,
             photos_needed: np.ndarray, situation: np.ndarray, policy: Policy, ship_by: pd.Series) -> list[dict]:
    """Values a customer message may use (the names of messages.SITUATIONS); {} where there is none."""
    refund = number(cases, "refund_amount")
    idx = np.flatnonzero(situation != "")
    fault = text(cases, "fault")
    customer_pays = (fault == "customer") | (v.issue_type == "no_reason_return")
    cols = {
        "case_id": v.case_id, "order_id": v.order_id, "window": wid, "window_end": _objects(end.iloc[idx]),
        "expected_date": _objects(expected.iloc[idx]), "photos_needed": photos_needed.astype(object),
        "reason": v.issue_type, "resolution": v.resolution,
        "refund_amount": np.where(np.isnan(refund), None, refund).astype(object),
        "currency": text(cases, "currency"), "tracking_number": v.tracking,
        "destination_country": v.destination, "language": text(cases, "customer_language"),
        "delivery_from_tracking": v.from_tracking.astype(object),
        # names the message templates use (messages.situations.SITUATIONS)
        "issue_type": v.issue_type, "photos_max": np.full(len(v.index), policy.evidence_photos_max, dtype=object),
        "return_shipping_paid_by": np.where(customer_pays, "customer", "us").astype(object),
        "request": pd.Series(v.issue_type, dtype=object).map(REQUEST).fillna("cancel").to_numpy(dtype=object),
        "verified_with": np.where(isin(v.issue_type, CARRIER_ISSUES), "carrier", "supplier").astype(object),
        "reply_by": _objects(add_hours(v.request_time, policy.s1_hours).iloc[idx]),
        "reship_reason": reship_reason(v.issue_type),
        "ship_by": _objects(ship_by.iloc[idx]),
        "new_order_id": np.full(len(v.index), "", dtype=object),
    }
    keys = list(cols)
    subset = [c if k in ("window_end", "expected_date", "reply_by", "ship_by") else c[idx] for k, c in cols.items()]
    out: list[dict] = [{} for _ in range(len(situation))]
    for i, row in zip(idx, zip(*subset)):
        out[i] = dict(zip(keys, row))
    return out


REQUEST = {"cancel": "cancel", "change_order": "change", "address_change": "address_change"}
CARRIER_ISSUES = ("not_received", "stale_tracking", "false_delivery", "customs_hold")


def _objects(s: pd.Series) -> np.ndarray:
    """Aware Timestamps as objects, None for NaT."""
    out = s.astype(object).to_numpy(copy=True)
    out[s.isna().to_numpy()] = None
    return out
