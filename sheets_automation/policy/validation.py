"""V1-V3, V5, V7, V8: bad input becomes a yellow finding with a clear note; nothing is dropped.

V2 "parses" and V6 (country) are the parser's; its Issues arrive as ``parse_issues`` and
are folded in by :mod:`.findings`. Codes:

================================ ==========================================================
V1-required-missing              a required field (schema ``required = true``) is blank
V2-out-of-order                  paid ≤ shipped ≤ delivered broken (cell: the later field)
V2-in-the-future                 a timestamp later than now + 5 min
V2-time-missing (soft)           a date typed without a time where a clock starts
V3-evidence-missing              damaged / quality: 3-5 photos; size: tag/label photos;
                                 wrong / missing item: a photo or video
V5-not-positive                  an amount ≤ 0
V5-refund-exceeds-order          refund (or cashback) above the order amount
V5-currency-unknown              not an ISO 4217 code
V7-duplicate-case                same order + same issue open twice (the later row)
V7-duplicate-cashback            same cashback reason twice for one order (the later row)
V8-refund-only-after-receipt     refund-only after a normal receipt: should be return_refund
================================ ==========================================================

A date typed without a time compares as its whole day in V2, so "paid 2025-03-01 15:00"
and "shipped 2025-03-01" are in order. V3 counts links separated by spaces, commas,
semicolons (also full-width) or new lines; more than 5 photos is not an error.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..codes import currency_codes
from ..schema import shipped_schemas
from .findings import Finding, header_of
from .settings import Policy
from .view import isin

_LINK = r"[^\s,;，；、]+"


def required_fields(stem: str) -> tuple[str, ...]:
    return tuple(c.field for c in shipped_schemas()[stem].columns if c.required)


def required(frame: pd.DataFrame, stem: str, parse_flagged: dict[str, np.ndarray]) -> list[Finding]:
    """V1: each required field of the tab's schema is present (not already reported by the parser)."""
    out = []
    n = len(frame)
    for field in required_fields(stem):
        col = frame[field] if field in frame.columns else pd.Series([None] * n, index=frame.index, dtype=object)
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            blank = col.fillna("").astype(str).str.strip().eq("").to_numpy(dtype=bool, copy=True)
        else:
            blank = col.isna().to_numpy(dtype=bool, copy=True)
        blank &= ~parse_flagged.get(field, np.zeros(n, dtype=bool))
        header = header_of(stem, field)
        out.append(Finding(blank, "yellow", f"V1 {header}", "V1-required-missing", field,
                           f"{header} is required and blank", severity="error"))
    return out


def order(earlier: pd.Series, later: pd.Series, later_date_only: np.ndarray,
          *, earlier_name: str, later_name: str, later_field: str, skip: np.ndarray | None = None) -> Finding:
    """V2: ``earlier`` ≤ ``later``; a date-only value counts as its whole day."""
    # a date-only value is 00:00; its day ends about 24 h later (a DST hour cannot matter here)
    later_hi = later + pd.to_timedelta(later_date_only.astype("int64"), unit="D")
    bad = (earlier > later_hi).to_numpy()
    if skip is not None:
        bad = bad & ~skip
    return Finding(bad, "yellow", f"V2 {later_name}", "V2-out-of-order", later_field,
                   f"{later_name} {{later}} is before {earlier_name} {{earlier}}",
                   values={"later": later, "earlier": earlier}, severity="error")


def not_future(stamps: dict[str, pd.Series], now: pd.Timestamp, p: Policy, stem: str) -> list[Finding]:
    """V2: no timestamp beyond now + ``future_tolerance_minutes``."""
    limit = now + pd.Timedelta(minutes=p.future_tolerance_minutes)
    out = []
    for field, s in stamps.items():
        header = header_of(stem, field)
        out.append(Finding((s > limit).to_numpy(), "yellow", f"V2 {header}", "V2-in-the-future", field,
                           f"{header} {{value}} is in the future", values={"value": s}, severity="error"))
    return out


def time_missing(fields: dict[str, np.ndarray], present: dict[str, np.ndarray], stem: str,
                 meaning: dict[str, str]) -> list[Finding]:
    """Soft notes: a date typed without a time where a clock starts (policy conventions)."""
    out = []
    for field, flags in fields.items():
        header = header_of(stem, field)
        out.append(Finding(flags & present[field], None, f"{header} time missing", "V2-time-missing", field,
                           f"time missing: {header} has no time of day; {meaning[field]}"))
    return out


def evidence_counts(links: np.ndarray) -> np.ndarray:
    """Number of links per cell (separated by spaces, commas, semicolons or new lines)."""
    return pd.Series(links, dtype=object).fillna("").astype(str).str.count(_LINK).to_numpy()


def evidence(issue_type: np.ndarray, links: np.ndarray, active: np.ndarray, p: Policy) -> tuple[Finding, np.ndarray, np.ndarray]:
    """V3 finding, the photos needed per row (0 = none) and whether the evidence is enough."""
    need = np.select([isin(issue_type, ("damaged", "quality")),
                      isin(issue_type, ("size", "wrong_item", "missing_item"))],
                     [p.evidence_photos_min, 1], default=0)
    count = np.zeros(len(links), dtype=int)
    asked = np.flatnonzero(need > 0)  # count links only where evidence is needed
    count[asked] = evidence_counts(links[asked])
    ok = count >= need
    what = np.select([isin(issue_type, ("damaged", "quality")), issue_type == "size"],
                     [f"{p.evidence_photos_min}-{p.evidence_photos_max} clear photos",
                      "photos of the size tag, care label and collar label"],
                     default="a photo or video of what arrived").astype(object)
    finding = Finding(active & ~ok, "yellow", "V3 evidence", "V3-evidence-missing", "evidence_links",
                      "{issue} needs {what}; found {count} link(s)",
                      "V3: ask the customer for {what} ({issue})",
                      {"issue": issue_type, "what": what, "count": count}, severity="error")
    return finding, need, ok


def amounts(values: dict[str, np.ndarray], stem: str) -> list[Finding]:
    """V5: every given amount is positive (NaN = blank or already reported, skipped)."""
    out = []
    for field, a in values.items():
        header = header_of(stem, field)
        out.append(Finding(~np.isnan(a) & (a <= 0), "yellow", f"V5 {header}", "V5-not-positive", field,
                           f"{header} {{value:g}} must be positive", values={"value": a}, severity="error"))
    return out


def not_above(amount: np.ndarray, limit: np.ndarray, *, field: str, what: str, limit_name: str,
              comparable: np.ndarray | None = None) -> Finding:
    """V5: ``amount`` ≤ ``limit`` where both are known (and comparable, e.g. same currency)."""
    bad = ~np.isnan(amount) & ~np.isnan(limit) & (amount > limit)
    if comparable is not None:
        bad &= comparable
    return Finding(bad, "yellow", f"V5 {what}", "V5-refund-exceeds-order", field,
                   f"{what} {{amount:g}} is more than the {limit_name} {{limit:g}}",
                   values={"amount": amount, "limit": limit}, severity="error")


def currency(codes: np.ndarray, field: str = "currency") -> Finding:
    """V5: a currency given is an ISO 4217 code."""
    known = currency_codes()
    unknown = [c for c in pd.unique(codes) if str(c).strip() and str(c).strip().upper() not in known]
    bad = isin(codes, unknown)  # checked once per distinct value
    return Finding(bad, "yellow", "V5 currency", "V5-currency-unknown", field,
                   "Currency {value} is not an ISO 4217 code (e.g. USD, EUR, CNY)", values={"value": codes},
                   severity="error")


def duplicates(keys: list[np.ndarray], eligible: np.ndarray, rows: np.ndarray, *, code: str, field: str,
               message: str) -> Finding:
    """V7: rows whose key repeats an earlier eligible row (sheet order); ``{first}`` names that row."""
    n = len(eligible)
    dup = np.zeros(n, dtype=bool)
    first = np.zeros(n, dtype=object)
    if eligible.any():
        frame = pd.DataFrame({f"k{i}": k[eligible] for i, k in enumerate(keys)})
        frame["row"] = rows[eligible]
        cols = [c for c in frame.columns if c != "row"]
        dup[eligible] = frame.duplicated(cols, keep="first").to_numpy()
        first[eligible] = frame.groupby(cols, sort=False)["row"].transform("first").to_numpy()
    return Finding(dup, "yellow", code.replace("-", " ", 1).replace("-", " "), code, field, message,
                   values={"first": first, **{f"k{i}": k for i, k in enumerate(keys)}}, severity="error")


def refund_only_after_receipt(resolution: np.ndarray, issue_type: np.ndarray, delivered: np.ndarray,
                              active: np.ndarray) -> Finding:
    """V8: refund-only after a normal receipt (no defect) should be return_refund (seed 002)."""
    normal = isin(issue_type, ("no_reason_return", "size", "other", ""))
    bad = active & (resolution == "refund") & delivered & normal
    return Finding(bad, "yellow", "V8 should be return_refund", "V8-refund-only-after-receipt",
                   "requested_resolution",
                   "Refund-only after a normal receipt: ask the customer to withdraw it or change it to "
                   "return_refund")
