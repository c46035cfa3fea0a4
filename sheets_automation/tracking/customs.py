"""Customs declaration checks for the Logistics tab (policy V9, seed 004).

Per destination (ISO 3166 alpha-2):

======== =====================================================================
US       declared < USD 50 for parcels under 3 kg (weight unknown: checked too)
AU       declared < USD 1000; wooden or feather goods not by DHL
DE       declared < EUR 20; ≤ 0.5 kg about EUR 5; heavier EUR 10-20; no DHL, no EMS
LatAm    declared < USD 50
NO, FI   declared < USD 30
PL       declared < USD 20
DK       declared < USD 13
RU, NZ   avoid EMS
======== =====================================================================

Limits are strict ("below"): USD 50.00 to the US is a finding, 49.99 is not. Amounts
are converted with the approximate static table ``TrackingSettings.rates_to_usd``;
a blank currency is read as USD. Pure: returns sentences, never raises.
"""
from __future__ import annotations

import math
import re
from typing import Mapping


from .. import codes
from .settings import DEFAULT_RATES_TO_USD

LATIN_AMERICA = frozenset({
    "MX", "GT", "BZ", "SV", "HN", "NI", "CR", "PA", "CU", "DO", "HT", "PR", "CO", "VE", "EC", "PE", "BO",
    "BR", "PY", "UY", "AR", "CL",
})
USD_LIMITS = {"NO": 30.0, "FI": 30.0, "PL": 20.0, "DK": 13.0, **{c: 50.0 for c in LATIN_AMERICA}}
_DHL = re.compile(r"dhl", re.I)
_EMS = re.compile(r"(?<![a-z])ems(?![a-z])|邮政特快|特快专递", re.I)
_WOOD_FEATHER = re.compile(r"wood|feather|bamboo|木|羽毛|羽绒|竹", re.I)


def country_code(text: str) -> str:
    """``"de"``, ``"Germany"`` or ``"德国"`` → ``"DE"``; ``""`` when not recognised."""
    return codes.country_code(text or "")


def convert(amount: float, currency: str, to: str, rates: Mapping[str, float] | None = None) -> float | None:
    """``amount`` in ``currency`` expressed in ``to``; None when a rate is missing."""
    table = DEFAULT_RATES_TO_USD if rates is None else rates
    src, dst = (currency or "USD").strip().upper(), to.upper()
    if src not in table or dst not in table or not table[dst]:
        return None
    return amount * table[src] / table[dst]


def _money(value: float, currency: str) -> str:
    return f"{currency} {value:,.2f}"


def check_declaration(destination: str, declared_value: float | None, currency: str, weight_kg: float | None,
                      contents: str, carrier: str, rates: Mapping[str, float] | None = None) -> list[str]:
    """V9 findings for one parcel, each one sentence; ``[]`` when nothing to say.

    >>> check_declaration("US", 60, "USD", 1.0, "T-shirt", "China Post")
    ['V9: declared USD 60.00 to US should be below USD 50 for parcels under 3 kg']
    """
    dest = country_code(destination)
    cur = (currency or "").strip().upper() or "USD"
    carrier = carrier or ""
    problems: list[str] = []
    if not dest:
        return problems
    value = None
    if declared_value is not None and not (isinstance(declared_value, float) and math.isnan(declared_value)):
        value = float(declared_value)
    weight = None
    if weight_kg is not None and not (isinstance(weight_kg, float) and math.isnan(weight_kg)):
        weight = float(weight_kg)
    if value is not None and value <= 0:
        problems.append(f"V9: declared value {value:g} must be above 0")
        value = None

    def in_(unit: str) -> float | None:
        if value is None:
            return None
        converted = convert(value, cur, unit, rates)
        if converted is None:
            problems.append(f"V9: no exchange rate for {cur}; add it to tracking.rates_to_usd")
        return converted

    shown = _money(value, cur) if value is not None else ""
    if dest == "US":
        usd = in_("USD")
        if usd is not None and usd >= 50 and (weight is None or weight < 3):
            problems.append(f"V9: declared {shown} to US should be below USD 50 for parcels under 3 kg")
    elif dest == "AU":
        usd = in_("USD")
        if usd is not None and usd >= 1000:
            problems.append(f"V9: declared {shown} to AU should be below USD 1000")
        if _DHL.search(carrier) and _WOOD_FEATHER.search(contents or ""):
            problems.append("V9: wooden or feather goods to AU should not go by DHL (customs detain them)")
    elif dest == "DE":
        eur = in_("EUR")
        if eur is not None:
            if eur >= 20:
                problems.append(f"V9: declared {shown} to DE should be below EUR 20")
            elif weight is not None and weight <= 0.5 and eur > 5:
                problems.append(f"V9: parcels to DE of 0.5 kg or less are declared at about EUR 5, not {shown}")
            elif weight is not None and weight > 0.5 and eur < 10:
                problems.append(f"V9: parcels to DE over 0.5 kg are declared at EUR 10-20, not {shown}")
        if _DHL.search(carrier):
            problems.append("V9: do not ship to DE by DHL (German customs are strict)")
        if _EMS.search(carrier):
            problems.append("V9: do not ship to DE by EMS")
    elif dest in USD_LIMITS:
        usd = in_("USD")
        limit = USD_LIMITS[dest]
        if usd is not None and usd >= limit:
            problems.append(f"V9: declared {shown} to {dest} should be below USD {limit:g}")
    if dest in ("RU", "NZ") and _EMS.search(carrier):
        problems.append(f"V9: avoid EMS to {dest} (too slow for these customers)")
    return problems
