"""Rows one tab asks another to hold (sheet-layout.md): Reships for approved resends, Logistics
for every tracking number on Cases. Both are idempotent: a second run with the created rows
in place creates nothing.

* :func:`reships_to_create`: approved Cases with requested resolution ``resend`` and no
  Reships row with that Case ID yet, once per Case ID. A case without a Case ID waits
  until the automation has filled it (the key is what makes "once" possible).
* :func:`logistics_to_create`: one row per distinct tracking number on Cases that is not
  yet on Logistics (compared without spaces, case-insensitively); the first case that
  names it fills the row.

The index of the result is a fresh RangeIndex (these are new rows); ``source_row`` is the
Cases row they came from.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from .cost import cost_bearer, cost_note, reship_reason
from .view import normalise_tracking, text

RESHIP_FIELDS = ("case_id", "original_order_id", "sku", "reason", "cost_bearer", "requested_at")
LOGISTICS_FIELDS = ("tracking_number", "order_id", "case_id", "destination_country", "shipped_at")


def reships_to_create(cases: pd.DataFrame, reships: pd.DataFrame | None, *, now: datetime) -> pd.DataFrame:
    """New Reships rows: ``RESHIP_FIELDS`` plus ``note`` (C1-C4 when the fault is unknown) and ``source_row``.

    ``reason`` comes from the issue type and ``cost_bearer`` from Fault (see :mod:`.cost`);
    ``requested_at`` is ``now``.
    """
    case_id = text(cases, "case_id")
    existing = set(text(reships, "case_id")) if reships is not None else set()
    existing.discard("")
    want = ((text(cases, "status") == "approved") & (text(cases, "requested_resolution") == "resend")
            & (case_id != "") & ~pd.Series(case_id, dtype=object).isin(existing).to_numpy())
    want &= ~pd.Series(case_id, dtype=object).where(want).duplicated().to_numpy()  # once per Case ID
    pick = np.flatnonzero(want)
    fault = text(cases, "fault")[pick]
    out = pd.DataFrame({
        "case_id": case_id[pick],
        "original_order_id": text(cases, "order_id")[pick],
        "sku": text(cases, "sku")[pick],
        "reason": reship_reason(text(cases, "issue_type")[pick]),
        "cost_bearer": cost_bearer(fault),
        "requested_at": pd.Series([pd.Timestamp(now)] * len(pick), dtype=_stamp_dtype(now)),
        "note": cost_note(fault),
        "source_row": cases.index.to_numpy()[pick],
    })
    return out.reset_index(drop=True)


def logistics_to_create(cases: pd.DataFrame, logistics: pd.DataFrame | None) -> pd.DataFrame:
    """New Logistics rows: ``LOGISTICS_FIELDS`` plus ``source_row``, one per new tracking number."""
    tracking = text(cases, "tracking_number")
    key = normalise_tracking(tracking)
    known = set(normalise_tracking(text(logistics, "tracking_number"))) if logistics is not None else set()
    want = (key != "").to_numpy() & ~key.isin(known).to_numpy() & ~key.duplicated().to_numpy()
    pick = np.flatnonzero(want)
    shipped = cases["shipped_at"] if "shipped_at" in cases.columns else pd.Series(pd.NaT, index=cases.index)
    return pd.DataFrame({
        "tracking_number": tracking[pick],
        "order_id": text(cases, "order_id")[pick],
        "case_id": text(cases, "case_id")[pick],
        "destination_country": text(cases, "destination_country")[pick],
        "shipped_at": shipped.iloc[pick].reset_index(drop=True),
        "source_row": cases.index.to_numpy()[pick],
    })


def _stamp_dtype(now: datetime) -> pd.DatetimeTZDtype | str:
    tz = pd.Timestamp(now).tz
    return pd.DatetimeTZDtype("ns", tz) if tz is not None else "datetime64[ns]"
