"""Every number of policy.md as a named default, overridable from the config's ``[policy]``.

:class:`Policy` is frozen and passed down; rules never read config or the clock.
:func:`policy_from_mapping` checks overrides and returns every problem at once, each
naming its key (``"spreadsheets[0].policy.w2_days: must be a positive number"``).

Day lengths (``*_days``) are calendar days counted on the merchant's wall clock, so a
window crossing a DST change still ends at the same local time; hour lengths
(``*_hours``) are elapsed hours. ``*_working_days`` count days of the work calendar.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from datetime import time
from functools import cache

import holidays

from ..isotime import clock_time


@dataclass(frozen=True, slots=True)
class Policy:
    """Policy defaults (policy.md); field comments cite the rule."""

    # W: eligibility windows
    w1_hours: float = 24  # change / cancel / address change, from payment
    w2_days: float = 7  # no-reason return, from 00:00 of the day after delivery (168 h)
    w3_days: float = 30  # product guarantee, from delivery
    w4_days: float = 60  # tracking after-service, from payment
    w5_days: float = 7  # price protection, from payment
    w6_days: float = 7  # exchange, from delivery
    w6_exchanges_per_order: int = 1
    # S: service deadlines
    s1_hours: float = 24  # first reply, from case opened
    s2_working_days: int = 2  # final result
    s3_working_days: int = 2  # courier verification of a lost / stuck parcel
    s4_expected_working_days: int = 10  # platform / supplier verification: expected from
    s4_overdue_working_days: int = 30  # ... overdue after
    s4_refund_working_days: int = 15  # refund after verification
    s5_working_days: int = 0  # cashback: 0 = end of business of the same working day
    handling_days: float = 3  # S6: supplier handling time after payment
    s6_expedite_days: float = 2  # S6: after handling time, ask supplier to expedite (orange)
    s6_no_stock_days: float = 4  # S6: after handling time, no-stock path (red)
    s11_hours: float = 48  # reship without a new tracking number
    # Clocks and calendar
    business_day_start: str = "09:00"  # S2 business time: business hours on working days ...
    business_day_end: str = "18:00"  # ... until this time; working-day deadlines end here
    due_soon_hours: float = 24  # orange
    future_tolerance_minutes: float = 5  # V2: "in the future" means beyond now + this
    calendar_country: str = "CN"
    origin_country: str = "CN"
    # V3 evidence
    evidence_photos_min: int = 3
    evidence_photos_max: int = 5
    # R: weekly report
    after_service_rate_target: float = 0.002
    trend_weeks: int = 12

    @property
    def business_day_end_time(self) -> time:
        return clock_time(self.business_day_end)

    @property
    def business_day_start_time(self) -> time:
        return clock_time(self.business_day_start)



_WHOLE = {"w6_exchanges_per_order", "s2_working_days", "s3_working_days", "s4_expected_working_days",
          "s4_overdue_working_days", "s4_refund_working_days", "evidence_photos_min",
          "evidence_photos_max", "trend_weeks"}
_ZERO_OK = {"s5_working_days", "handling_days", "future_tolerance_minutes"}
_COUNTRIES = {"calendar_country", "origin_country"}
# Upper bounds by unit (ten years), so a typo such as 99999999999 is refused at load, not an overflow.
_MAX_BY_SUFFIX = {"_days": 3653, "_hours": 87672, "_minutes": 5_260_320, "_weeks": 522}
_MAX_OTHER = 1000  # photos, exchanges per order
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@cache
def _calendar_countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def _check(name: str, value: object) -> tuple[object, str | None]:
    """The value to use, or an error text (without the key)."""
    if name in ("business_day_start", "business_day_end"):
        if isinstance(value, str) and _HHMM.fullmatch(value.strip()):
            h, m = value.strip().split(":")
            return f"{int(h):02d}:{m}", None
        return None, 'must be a time of day like "18:00"'
    if name in _COUNTRIES:
        code = value.strip().upper() if isinstance(value, str) else ""
        if name == "calendar_country" and code not in _calendar_countries():
            return None, "must be a country code the holidays library knows, e.g. \"CN\""
        if name == "origin_country" and not re.fullmatch(r"[A-Z]{2}", code):
            return None, 'must be an ISO 3166 alpha-2 code, e.g. "CN"'
        return code, None
    whole = " whole" if name in _WHOLE else ""
    expected = f"must be a{whole} number, zero or more" if name in _ZERO_OK else f"must be a positive{whole} number"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None, expected
    if (name in _WHOLE and int(value) != value) or value < 0 or (value == 0 and name not in _ZERO_OK):
        return None, expected
    limit = next((m for suffix, m in _MAX_BY_SUFFIX.items() if name.endswith(suffix)), _MAX_OTHER)
    if value > limit and name != "after_service_rate_target":
        return None, f"must be at most {limit} (ten years)" if limit != _MAX_OTHER else f"must be at most {limit}"
    if name == "after_service_rate_target" and value >= 1:
        return None, "must be a fraction below 1 (0.002 = 0.2 %)"
    return (int(value) if name in _WHOLE else value), None


def policy_from_mapping(d: dict, prefix: str = "policy") -> tuple[Policy, list[str]]:
    """Defaults overridden by ``d``; bad or unknown keys keep their default and are reported.

    >>> policy_from_mapping({"w2_days": -1}, "spreadsheets[0].policy")[1]
    ['spreadsheets[0].policy.w2_days: must be a positive number']
    """
    known = {f.name for f in fields(Policy)}
    where = (lambda k: f"{prefix}.{k}") if prefix else str
    errors: list[str] = []
    if not isinstance(d, dict):
        return Policy(), [f"{prefix or 'policy'}: must be a table of settings"]
    changes: dict[str, object] = {}
    for key, value in d.items():
        if key not in known:
            errors.append(f"{where(key)}: unknown policy setting")
            continue
        checked, problem = _check(key, value)
        if problem:
            errors.append(f"{where(key)}: {problem}")
        else:
            changes[key] = checked
    policy = replace(Policy(), **changes)
    pairs = [("evidence_photos_min", "evidence_photos_max"),
             ("s4_expected_working_days", "s4_overdue_working_days"),
             ("s6_expedite_days", "s6_no_stock_days")]
    for low, high in pairs:
        if getattr(policy, low) > getattr(policy, high):
            errors.append(f"{where(low)}: must not exceed {high} ({getattr(policy, high)})")
            policy = replace(policy, **{low: getattr(Policy(), low), high: getattr(Policy(), high)})
    if policy.business_day_start_time >= policy.business_day_end_time:
        errors.append(f"{where('business_day_start')}: must be earlier than business_day_end "
                      f"({policy.business_day_end})")
        policy = replace(policy, business_day_start=Policy().business_day_start,
                         business_day_end=Policy().business_day_end)
    return policy, errors
