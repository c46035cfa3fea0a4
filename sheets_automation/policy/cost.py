"""C1-C4: who pays a reship or return shipping, suggested from the case's Fault.

==== ======================================== ==========
rule fault                                    bearer
==== ======================================== ==========
C1   customer (no-reason return, bad address)  client
C2   carrier (damage, loss, false sign-off)    carrier (we advance costs and claim)
C3   warehouse (wrong or missing item)         us
C4   supplier (product quality)                supplier
-    unknown or blank                          '' and a note: support decides
==== ======================================== ==========

Also the Reships reason suggested from the case's issue type.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

BEARER = {"customer": "client", "carrier": "carrier", "warehouse": "us", "supplier": "supplier"}
RULE = {"customer": "C1", "carrier": "C2", "warehouse": "C3", "supplier": "C4"}
UNKNOWN_NOTE = "C1-C4: Fault is unknown, so no cost bearer is suggested; choose us, client, carrier or supplier"

REASON = {
    "not_received": "lost", "stale_tracking": "lost", "false_delivery": "lost", "customs_hold": "lost",
    "damaged": "damaged", "missing_item": "missing_item", "wrong_item": "wrong_item", "quality": "quality",
}  # every other non-blank issue type: customer_request


def cost_bearer(fault: np.ndarray) -> np.ndarray:
    """Suggested bearer per row ('' when the fault is unknown or blank)."""
    return pd.Series(fault, dtype=object).map(BEARER).fillna("").to_numpy(dtype=object)


def cost_note(fault: np.ndarray) -> np.ndarray:
    """``UNKNOWN_NOTE`` where no bearer can be suggested, else ''."""
    known = pd.Series(fault, dtype=object).isin(list(BEARER)).to_numpy()
    return np.where(known, "", UNKNOWN_NOTE).astype(object)


def reship_reason(issue_type: np.ndarray) -> np.ndarray:
    """Reships reason per row: lost, damaged, missing_item, wrong_item, quality or customer_request."""
    it = pd.Series(issue_type, dtype=object).fillna("").astype(str)
    return it.map(REASON).where(it.map(REASON).notna(), np.where(it == "", "", "customer_request")).to_numpy(
        dtype=object)
