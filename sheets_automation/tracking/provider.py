"""The tracking-provider port and its value types (policy T1-T7).

A provider turns tracking numbers into :class:`TrackResult` values, one per number,
always: a number that could not be fetched comes back with ``provider_state =
"fetch_failed"`` and the reason, never as an exception and never missing.

``provider_state`` says how far we got, independently of the parcel's ``status``:

* ``ok``: fresh data from the provider;
* ``pending``: registered, the carrier has published nothing yet (not "invalid");
* ``stopped``: the provider stopped tracking the parcel (T3), data may be old;
* ``fetch_failed``: *our* call failed; the fields hold the last good result if any;
* ``rejected``: the number was refused (malformed, carrier unknown...); ``error`` says why.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Protocol, Sequence
from ..isotime import parse, to_text

STATUSES = ("NotFound", "InfoReceived", "InTransit", "OutForDelivery", "AvailableForPickup", "CustomsHold",
            "DeliveryFailure", "Exception", "Returned", "Expired", "Delivered")
FINAL_STATUSES = frozenset({"Delivered", "Returned", "Expired"})
PROVIDER_STATES = ("ok", "pending", "stopped", "fetch_failed", "rejected")
GOOD_STATES = frozenset({"ok", "pending", "stopped"})  # results worth keeping as "last good"


@dataclass(frozen=True, slots=True)
class Parcel:
    """A number to track; ``carrier`` is the sheet's carrier name or None (auto-detect)."""

    number: str
    carrier: str | None = None


@dataclass(frozen=True, slots=True)
class TrackResult:
    """The normalised state of one parcel. Times are aware UTC datetimes or None."""

    number: str
    status: str = "NotFound"  # one of STATUSES, or "" when nothing is known at all
    sub_status: str = ""  # the provider's finer code, e.g. "InTransit_Arrival"
    last_event: str = ""  # description of the newest event
    last_event_at: datetime | None = None
    first_event_at: datetime | None = None
    delivered_at: datetime | None = None
    events_count: int = 0
    provider_state: str = "ok"
    error: str = ""  # one sentence for the sheet; never secrets
    carrier: str = ""  # carrier name reported by the provider, "" when unknown

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class TrackingProvider(Protocol):
    """Anything that tracks parcels. Implementations: simulated, 17TRACK."""

    def track(self, parcels: Sequence[Parcel], now: datetime) -> dict[str, TrackResult]:
        """One result per distinct (normalised) number, keyed by that number."""
        ...


def fetch_failed(number: str, reason: str, last_good: TrackResult | None = None) -> TrackResult:
    """A failed fetch keeps the last good status (never overwrites it) and says why."""
    if last_good is None:
        return TrackResult(number=number, status="", provider_state="fetch_failed", error=reason)
    return replace(last_good, number=number, provider_state="fetch_failed", error=reason)


_TIME_FIELDS = ("last_event_at", "first_event_at", "delivered_at")


def result_to_dict(result: TrackResult) -> dict:
    """JSON-ready form (times as ISO text in UTC)."""
    d = asdict(result)
    for key in _TIME_FIELDS:
        d[key] = to_text(d[key])
    return d


def result_from_dict(d: dict) -> TrackResult | None:
    """Inverse of :func:`result_to_dict`; unknown keys ignored, None for unusable data."""
    if not isinstance(d, dict) or not isinstance(d.get("number"), str):
        return None
    known = set(TrackResult.__dataclass_fields__)
    clean = {k: v for k, v in d.items() if k in known}
    for key in _TIME_FIELDS:
        clean[key] = parse(clean.get(key))
    try:
        clean["events_count"] = int(clean.get("events_count") or 0)
    except (TypeError, ValueError):
        clean["events_count"] = 0
    for key in ("status", "sub_status", "last_event", "provider_state", "error", "carrier"):
        if key in clean and not isinstance(clean[key], str):
            clean[key] = "" if clean[key] is None else str(clean[key])
    return TrackResult(**clean)
