"""W1-W6: which eligibility window applies to a case, when it ends, and whether the request fit.

Which window (first matching line wins):

====== ================================================ ===============================
window issue type / requested resolution                clock (length from Policy)
====== ================================================ ===============================
W1     cancel, change_order, address_change;            payment + 24 h (elapsed)
       or resolution cancel / change
W5     price_protection                                 payment + 7 days
W6     resolution exchange with no_reason_return,       delivery + 7 days
       other or blank issue (logistics-reason exchange)
W2     no_reason_return                                 00:00 of the day after delivery
                                                        + 7 days (168 h)
W3     quality, size, damaged, wrong_item, missing_item delivery + 30 days
W4     not_received, stale_tracking, customs_hold,      payment + 60 days
       false_delivery
(none) not_shipped (S6 applies), other, blank           -
====== ================================================ ===============================

Surprises, stated:

* A window is judged at the moment of the request, i.e. **Opened at** (now when blank):
  a case opened on day 6 of W2 stays acceptable when support looks at it on day 9.
  The end is exclusive: delivered 2025-03-01 14:00, W2 accepts 2025-03-08 23:59 and
  refuses 2025-03-09 00:00.
* Day lengths run on the merchant's wall clock (DST-safe); W1 is elapsed hours.
* A date typed without a time starts a window at the END of that day (benefit of the
  doubt); W2 already starts at the next midnight, so it does not move.
* "Shipped" for W1 means Shipped at, Delivered at or a tracking number is present. W1
  accepts a change/cancel **only while not shipped**: once shipped, inside the 24 h or
  not, it is a recall (domestic: courier interception; international: cannot intercept,
  no refund by cancellation).
* W6 counts exchanges over every row of the order, whatever its issue type, in the
  order the requests were made (Opened at, then sheet row), so a sheet sorted newest
  first still refuses the later request.
* Only undecided rows (see :mod:`.view`) get window findings; the text is always shown.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .findings import Finding
from .settings import Policy
from .times import add_days, add_hours, end_of_day_if_date_only, fmt, midnight_after
from .view import CaseView, isin

NAMES = {"W1": "change/cancel", "W2": "no-reason return", "W3": "product guarantee",
         "W4": "tracking after-service", "W5": "price protection", "W6": "exchange"}
FROM_DELIVERY = ("W2", "W3", "W6")
DEFECTS = ("quality", "size", "damaged", "wrong_item", "missing_item")
SHIPPING = ("not_received", "stale_tracking", "customs_hold", "false_delivery")


@dataclass(slots=True)
class Windows:
    wid: np.ndarray  # "W1".."W6" or ""
    end: pd.Series  # aware, NaT when no window or its clock has not started
    inside: np.ndarray  # the request fell inside the window
    outside: np.ndarray  # the request came after the window ended
    text: np.ndarray  # the Window cell
    findings: list[Finding]
    second_exchange: np.ndarray  # W6: an exchange request after the order's allowed ones


def choose(v: CaseView) -> np.ndarray:
    """The window ID per row (table in the module docstring)."""
    it, res = v.issue_type, v.resolution
    conditions = [
        isin(it, ("cancel", "change_order", "address_change")) | isin(res, ("cancel", "change")),
        it == "price_protection",
        (res == "exchange") & isin(it, ("no_reason_return", "other", "")),
        it == "no_reason_return",
        isin(it, DEFECTS),
        isin(it, SHIPPING),
    ]
    return np.select(conditions, ["W1", "W5", "W6", "W2", "W3", "W4"], default="").astype(object)


def window_ends(v: CaseView, p: Policy) -> dict[str, pd.Series]:
    """Each window's end for every row (NaT where its clock start is unknown)."""
    paid = end_of_day_if_date_only(v.paid, v.paid_date_only)
    delivered = end_of_day_if_date_only(v.delivered, v.delivered_date_only)
    return {
        "W1": add_hours(paid, p.w1_hours),
        "W2": add_days(midnight_after(v.delivered, 1), p.w2_days),
        "W3": add_days(delivered, p.w3_days),
        "W4": add_days(paid, p.w4_days),
        "W5": add_days(paid, p.w5_days),
        "W6": add_days(delivered, p.w6_days),
    }


def evaluate_windows(v: CaseView, p: Policy, open_exchanges_before: np.ndarray) -> Windows:
    """Window, end, inside/outside and the W findings for undecided rows.

    :param open_exchanges_before: per row, how many earlier exchange cases the order has (W6).
    """
    wid = choose(v)
    ends = window_ends(v, p)
    end = pd.Series(pd.NaT, index=v.index, dtype=v.paid.dtype)
    for w, series in ends.items():
        end = end.where(wid != w, series)
    started = end.notna().to_numpy()
    ref = v.request_time
    inside = started & (ref < end).to_numpy()
    outside = started & (ref >= end).to_numpy()
    text = _texts(v, wid, end, started, outside)
    und = v.undecided
    vals = {"end": end, "ref": ref, "tz": np.full(v.n, str(v.tz), dtype=object)}
    w1_len = f"{p.w1_hours:g} h"  # the configured W1 length, in the texts below
    f: list[Finding] = []
    shipped = (v.shipped.notna() | v.delivered.notna()).to_numpy() | (v.tracking != "")
    w1 = und & (wid == "W1")
    domestic = v.destination == _origin(p)
    unknown_dest = v.destination == ""
    f.append(Finding(w1 & shipped & unknown_dest, "yellow", "W1 destination", "W1-destination-missing",
                     "destination_country", "Destination country is blank, so W1 cannot tell whether the "
                     "shipped parcel can be intercepted; fill it in", severity="error"))
    f.append(Finding(w1 & outside & ~shipped, "blue", "W1 recall before shipment", "W1-recall",
                     "paid_at", "Change/cancel asked {ref}, after the " + w1_len + " ended {end}; not shipped yet",
                     "W1: " + w1_len + " ended {end}; not shipped yet: ask the warehouse/supplier to hold the order, "
                     "then change or cancel it", vals))
    f.append(Finding(w1 & shipped & domestic & ~unknown_dest, "blue", "W1 courier interception",
                     "W1-intercept", "shipped_at",
                     "Change/cancel asked {ref}; the order is already shipped (domestic)",
                     "W1: already shipped domestic: ask the courier to intercept, refund once intercepted",
                     vals))
    f.append(Finding(w1 & shipped & ~domestic & ~unknown_dest, "grey", "W1 cannot intercept",
                     "W1-cannot-intercept", "shipped_at",
                     "Change/cancel asked {ref}; the order is already shipped abroad",
                     "W1: already shipped abroad: it cannot be intercepted nor refunded by cancellation; "
                     "tell the customer and offer the after-delivery options", vals))
    f.append(Finding(und & inside & (wid == "W1") & ~shipped, None, "W1 accept", None, None,
                     "W1: inside " + w1_len + " (until {end}): accept the change/cancel", values=vals))
    for w in ("W2", "W3", "W4", "W5", "W6"):
        clock = "delivered_at" if w in FROM_DELIVERY else "paid_at"
        f.append(Finding(und & outside & (wid == w), "grey", f"outside {w} {NAMES[w]}", f"{w}-outside-window",
                         clock, f"Asked {{ref}}, after the {w} {NAMES[w]} window ended {{end}} ({{tz}})",
                         f"{w}: {NAMES[w]} window ended {{end}}; politely decline and say why", vals))
    for w in FROM_DELIVERY:
        f.append(Finding(und & ~started & (wid == w) & v.delivered.isna().to_numpy(), "yellow",
                         f"{w} delivery unknown", f"{w}-delivery-missing", "delivered_at",
                         f"Delivered at is blank and tracking shows no delivery, so the {w} {NAMES[w]} "
                         "window cannot be checked; fill it in", severity="error"))
    f.append(Finding(und & inside & (wid == "W5") & v.delivered.isna().to_numpy(), "yellow",
                     "W5 receipt not confirmed", "W5-receipt-not-confirmed", "delivered_at",
                     "Price protection refunds the difference only after receipt is confirmed and a new "
                     "order at the lower price exists"))
    second = und & (v.resolution == "exchange") & (open_exchanges_before >= p.w6_exchanges_per_order)
    f.append(Finding(second, "grey", "W6 second exchange refused", "W6-second-exchange", "order_id",
                     "This order already had an exchange; one exchange per order",
                     "W6: one exchange per order; refuse the second exchange"))
    return Windows(wid, end, inside, outside, text, f, second)


def exchanges_before(v: CaseView) -> np.ndarray:
    """Per row, the order's exchange requests made before it (W6), whatever their issue type
    and wherever they stand in the sheet: ranked by request time (Opened at, else now), then
    sheet row. Rejected requests do not count."""
    ask = (v.resolution == "exchange") & (v.status != "rejected") & (v.order_id != "")
    counts = np.zeros(v.n, dtype=int)
    if ask.any():
        pos = np.flatnonzero(ask)
        frame = pd.DataFrame({"order": v.order_id[pos], "at": v.request_time.iloc[pos].to_numpy(),
                              "row": v.index.to_numpy()[pos], "pos": pos})
        frame = frame.sort_values(["at", "row"], kind="stable")
        counts[frame["pos"].to_numpy()] = frame.groupby("order").cumcount().to_numpy()
    return counts


def _origin(p: Policy) -> str:
    return p.origin_country.upper()


def _texts(v: CaseView, wid: np.ndarray, end: pd.Series, started: np.ndarray,
           outside: np.ndarray) -> np.ndarray:
    """``"W2 no-reason return until 2025-03-09 00:00 (Asia/Shanghai)"`` and its variants."""
    names = {w: f"{w} {name}" for w, name in NAMES.items()}
    head = pd.Series(wid, dtype=object).map(names).fillna("").to_numpy(dtype=object)
    verb = np.where(outside, " ended ", " until ").astype(object)
    zone = f" ({v.tz})"
    out = head + verb + fmt(end) + zone
    from_delivery = isin(wid, FROM_DELIVERY)
    out = np.where(from_delivery & started & v.from_tracking, out + " (delivery from tracking)", out)
    starts_at = np.where(from_delivery, ": starts at delivery", ": starts at payment (Paid at missing)")
    out = np.where(~started, head + starts_at.astype(object), out)
    return np.where(wid == "", "", out).astype(object)
