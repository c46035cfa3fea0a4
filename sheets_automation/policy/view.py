"""The columns of a typed Cases frame that the rules share, read once and made safe.

A missing column reads as blank; timestamps are converted to merchant time; the delivery
time falls back to the Logistics tab's tracked delivery (policy.md: "Delivered" = signed
for according to the sheet or to tracking).

Status groups (sheet-layout.md Status values; blank counts as ``new``):

========== ===================================================== ===========================
group      statuses                                              effect
========== ===================================================== ===========================
undecided  new, investigating, waiting_client/_carrier/_supplier  windows and deadlines run
decided    approved, rejected                                    S1/S2 met; follow-ups only
finished   resolved, closed                                      green/grey, no deadlines
========== ===================================================== ===========================

A case is *open* until it is finished or rejected (``CLOSED``): the rules' follow-ups and
the weekly report's ageing (R4) both count open cases this way.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

import numpy as np
import pandas as pd

from .times import as_local, date_only, timestamp

UNDECIDED = ("", "new", "investigating", "waiting_client", "waiting_carrier", "waiting_supplier")
FINISHED = ("resolved", "closed")
CLOSED = (*FINISHED, "rejected")  # no longer open


def isin(values: np.ndarray, choices: tuple | list | set) -> np.ndarray:
    """``np.isin`` for object arrays, hash-based (much faster than numpy's sort for text)."""
    return pd.Series(values, dtype=object, copy=False).isin(list(choices)).to_numpy()


def text(frame: pd.DataFrame, field: str) -> np.ndarray:
    """A text column as an object array of str ('' for blank or missing; taken as the parser gave it)."""
    if field not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    col = frame[field]
    if col.dtype == object and not col.isna().any():
        return col.to_numpy(dtype=object)
    return col.fillna("").astype(str).to_numpy(dtype=object)


def number(frame: pd.DataFrame, field: str) -> np.ndarray:
    """A number column as float64 (NaN for blank, bad or missing)."""
    if field not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[field], errors="coerce").astype("float64").to_numpy()


def normalise_tracking(values: np.ndarray | pd.Series) -> pd.Series:
    """Tracking numbers compared without spaces, case-insensitively."""
    return pd.Series(values, dtype=object).astype(str).str.replace(r"\s+", "", regex=True).str.upper()


@dataclass(slots=True)
class CaseView:
    index: pd.Index
    now: pd.Timestamp
    tz: tzinfo
    status: np.ndarray
    issue_type: np.ndarray
    resolution: np.ndarray
    order_id: np.ndarray
    case_id: np.ndarray
    destination: np.ndarray
    tracking: np.ndarray
    opened: pd.Series
    paid: pd.Series
    shipped: pd.Series
    delivered: pd.Series  # sheet, else tracking
    from_tracking: np.ndarray  # delivered came from the Logistics tab
    opened_date_only: np.ndarray
    paid_date_only: np.ndarray
    shipped_date_only: np.ndarray
    delivered_date_only: np.ndarray  # False where the delivery came from tracking

    @property
    def n(self) -> int:
        return len(self.index)

    @property
    def undecided(self) -> np.ndarray:
        return isin(self.status, UNDECIDED)

    @property
    def finished(self) -> np.ndarray:
        return isin(self.status, FINISHED)

    @property
    def closed(self) -> np.ndarray:
        return isin(self.status, CLOSED)

    @property
    def request_time(self) -> pd.Series:
        """When the customer asked: Opened at, else now (windows are judged at this instant)."""
        return self.opened.fillna(self.now)


def case_view(cases: pd.DataFrame, *, now: datetime, tz: tzinfo,
              tracked_delivery: pd.Series | None = None) -> CaseView:
    delivered = as_local(cases, "delivered_at", tz)
    tracking = text(cases, "tracking_number")
    from_tracking = np.zeros(len(cases), dtype=bool)
    if tracked_delivery is not None and len(tracked_delivery):
        tracked = pd.to_datetime(pd.Series(tracked_delivery.to_numpy(), dtype=object), errors="coerce",
                                 utc=True, format="mixed").dt.tz_convert(tz)
        keys = normalise_tracking(tracked_delivery.index.to_numpy())
        lookup = pd.Series(tracked.to_numpy(), index=keys)
        lookup = lookup[lookup.notna() & (keys.to_numpy() != "")]
        lookup = lookup[~lookup.index.duplicated()]
        found = normalise_tracking(tracking).map(lookup)
        found = pd.Series(pd.to_datetime(found.to_numpy(), utc=True), index=cases.index).dt.tz_convert(tz)
        from_tracking = (delivered.isna() & found.notna()).to_numpy()
        delivered = delivered.where(~from_tracking, found.astype(delivered.dtype))
    return CaseView(
        index=cases.index, now=timestamp(now, tz), tz=tz,
        status=text(cases, "status"), issue_type=text(cases, "issue_type"),
        resolution=text(cases, "requested_resolution"), order_id=text(cases, "order_id"),
        case_id=text(cases, "case_id"), destination=np.array([d.upper() for d in text(cases, "destination_country")], dtype=object),
        tracking=tracking,
        opened=as_local(cases, "opened_at", tz), paid=as_local(cases, "paid_at", tz),
        shipped=as_local(cases, "shipped_at", tz), delivered=delivered, from_tracking=from_tracking,
        opened_date_only=date_only(cases, "opened_at"), paid_date_only=date_only(cases, "paid_at"),
        shipped_date_only=date_only(cases, "shipped_at"),
        delivered_date_only=date_only(cases, "delivered_at") & ~from_tracking,
    )
