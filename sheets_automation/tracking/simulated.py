"""An offline, deterministic tracking provider for the demo and the default config.

Each number gets a *journey* from a hash of ``seed + number``: which scenario it plays
and how far along it is. Event times are placed relative to ``now`` (rounded down to
the hour), so the same inputs always give the same results, and a demo run on any day
shows every Logistics flag: not found, info received, in transit, S9 follow-up, S10 long
undelivered, customs hold (T5), pickup (T4), out for delivery, delivery failure and
exception (T2), returned, expired (T3), stopped by the provider (T3), stale (S8), our
fetch failed, and delivered (T7).

:func:`demo_numbers` returns well-formed numbers that cover every scenario.
Malformed numbers are rejected exactly like the real provider does (V4).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Sequence

from .carriers import detect, normalise_number, s10_check_digit
from .provider import Parcel, TrackResult

# scenario -> (status, sub_status, provider_state, [(days ago, description), newest last])
SCENARIOS: dict[str, tuple[str, str, str, list[tuple[float, str]]]] = {
    "not_found": ("NotFound", "NotFound_Other", "pending", []),
    "info_received": ("InfoReceived", "InfoReceived", "ok", [(0.4, "Shipment information received")]),
    "in_transit": ("InTransit", "InTransit_Departure", "ok",
                   [(3.2, "Shipment information received"), (2.6, "Parcel received at sorting centre"),
                    (1.1, "Departed from outward office of exchange")]),
    "follow_up": ("InTransit", "InTransit_Arrival", "ok",
                  [(33.0, "Shipment information received"), (32.2, "Posting/collection - item accepted"),
                   (27.5, "Departed from outward office of exchange"), (3.0, "Arrival at destination country")]),
    "long_undelivered": ("InTransit", "InTransit_Other", "ok",
                         [(46.0, "Shipment information received"), (45.3, "Item accepted"),
                          (38.0, "Departed from outward office of exchange"), (9.0, "Item in transit abroad")]),
    "customs_hold": ("CustomsHold", "InTransit_CustomsRequiringInformation", "ok",
                     [(12.0, "Shipment information received"), (11.2, "Item accepted"),
                      (6.0, "Arrival at destination country"),
                      (2.0, "Held by customs - recipient must provide documents / pay duties")]),
    "pickup": ("AvailableForPickup", "AvailableForPickup_Other", "ok",
               [(14.0, "Item accepted"), (6.0, "Arrival at destination country"),
                (1.5, "Available for pickup at the post office")]),
    "out_for_delivery": ("OutForDelivery", "OutForDelivery_Other", "ok",
                         [(9.0, "Item accepted"), (3.0, "Arrival at delivery office"), (0.2, "Out for delivery")]),
    "delivery_failure": ("DeliveryFailure", "DeliveryFailure_NoBody", "ok",
                         [(11.0, "Item accepted"), (1.0, "Out for delivery"),
                          (0.6, "Delivery attempted - recipient not available")]),
    "exception": ("Exception", "Exception_Damage", "ok",
                  [(16.0, "Item accepted"), (8.0, "Arrival at destination country"), (1.3, "Item damaged")]),
    "returned": ("Returned", "Exception_Returning", "ok",
                 [(30.0, "Item accepted"), (20.0, "Arrival at destination country"),
                  (4.0, "Item returned to sender - refused by the recipient")]),
    "expired": ("Expired", "Expired_Other", "ok",
                [(62.0, "Item accepted"), (55.0, "Departed from outward office of exchange"),
                 (31.0, "Arrival at destination country")]),
    "stopped": ("InTransit", "InTransit_Other", "stopped",
                [(50.0, "Item accepted"), (44.0, "Departed"), (33.0, "Arrival at destination country")]),
    "stale": ("InTransit", "InTransit_Arrival", "ok",
              [(25.0, "Item accepted"), (22.0, "Departed from outward office of exchange"),
               (19.0, "Arrival at destination country")]),
    "fetch_failed": ("InTransit", "InTransit_Departure", "fetch_failed",
                     [(5.0, "Item accepted"), (2.0, "Departed from outward office of exchange")]),
    "delivered": ("Delivered", "Delivered_Other", "ok",
                  [(12.0, "Item accepted"), (9.0, "Departed"), (1.4, "Out for delivery"),
                   (1.2, "Delivered, In/At Mailbox")]),
}
SCENARIO_NAMES = tuple(SCENARIOS)
_ERRORS = {
    "stopped": "the provider stopped tracking this parcel (simulated)",
    "fetch_failed": "fetch failed: simulated network error; last good status kept",
}


def _digest(seed: str, number: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}|{number}".encode()).digest()[:8], "big")


def scenario_for(number: str, seed: str = "") -> str:
    """The scenario a number plays (deterministic in ``seed`` and the number)."""
    return SCENARIO_NAMES[_digest(seed, normalise_number(number)) % len(SCENARIO_NAMES)]


class SimulatedProvider:
    """:class:`~sheets_automation.tracking.provider.TrackingProvider` that never touches the network."""

    def __init__(self, seed: str = ""):
        self.seed = seed
        self.notices: list[str] = []

    def _result(self, number: str, now: datetime) -> TrackResult:
        guess = detect(number)
        if not guess.valid:
            return TrackResult(number=number, status="NotFound", provider_state="rejected", error=guess.problem)
        name = scenario_for(number, self.seed)
        status, sub, state, events = SCENARIOS[name]
        anchor = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        jitter = (_digest(self.seed + "~", number) % 600) / 60.0  # 0-10 h, so rows differ
        times = [anchor - timedelta(days=d, hours=jitter) for d, _ in events]
        last_at = times[-1] if times else None
        return TrackResult(
            number=number, status=status, sub_status=sub,
            last_event=events[-1][1] if events else "", last_event_at=last_at,
            first_event_at=times[0] if times else None,
            delivered_at=last_at if status == "Delivered" else None, events_count=len(events),
            provider_state=state, error=_ERRORS.get(name, ""), carrier=guess.carrier or "Simulated Express")

    def track(self, parcels: Sequence[Parcel], now: datetime) -> dict[str, TrackResult]:
        out: dict[str, TrackResult] = {}
        for parcel in parcels:
            n = normalise_number(parcel.number)
            if n and n not in out:
                out[n] = self._result(n, now)
        return out


def demo_numbers(count: int = 60, seed: str = "") -> list[str]:
    """``count`` valid China Post S10 numbers whose scenarios cycle through every scenario."""
    out: list[str] = []
    pool: dict[str, list[str]] = {name: [] for name in SCENARIO_NAMES}
    serial = 10000000
    while len(out) < count:
        wanted = SCENARIO_NAMES[len(out) % len(SCENARIO_NAMES)]
        while not pool[wanted]:
            digits = f"{serial:08d}"
            number = f"LX{digits}{s10_check_digit(digits)}CN"
            pool[scenario_for(number, seed)].append(number)
            serial += 7919
        out.append(pool[wanted].pop(0))
    return out
