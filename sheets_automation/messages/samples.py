"""Realistic sample contexts, one per situation, for tests, golden files and the demo.

All times are fixed (March 2025, merchant time Asia/Shanghai) so rendered samples never
change with the clock. The names, numbers and places are invented.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .situations import SITUATIONS

_SH = ZoneInfo("Asia/Shanghai")

_COMMON: dict[str, Any] = {
    "customer_name": "Maria",
    "order_id": "#10482",
    "case_id": "AS-2025-0137",
}

_SAMPLES: dict[str, dict[str, Any]] = {
    "case_received": {"reply_by": datetime(2025, 3, 4, 10, 30, tzinfo=_SH)},
    "evidence_needed": {"issue_type": "damaged", "photos_needed": 3, "photos_max": 5},
    "return_instructions": {"return_shipping_paid_by": "customer"},
    # W2 for a delivery on 2025-03-01 14:00 ends at 2025-03-09 00:00 (policy.md W2).
    "outside_window": {"window": "W2", "window_end": datetime(2025, 3, 9, 0, 0, tzinfo=_SH)},
    "change_cancel_accepted": {"request": "cancel"},
    "recall_attempt": {"request": "cancel"},
    "cannot_intercept_international": {"request": "address_change"},
    "verification_in_progress": {"verified_with": "carrier", "expected_date": date(2025, 3, 6)},
    "refund_approved": {"refund_amount": Decimal("12.50"), "currency": "EUR"},
    "exchange_instructions": {"return_shipping_paid_by": "us"},
    "price_protection_refund": {
        "new_order_id": "#10577", "refund_amount": Decimal("4.00"), "currency": "USD",
    },
    "cashback_paid": {"cashback_reason": "shipping_fee", "amount": Decimal("6.90"), "currency": "EUR"},
    "reship_created": {"reship_reason": "lost", "ship_by": datetime(2025, 3, 7, 18, 0, tzinfo=_SH)},
    "reship_shipped": {
        "new_tracking_number": "LP00612345678901",
        "tracking_url": "https://t.17track.net/en#nums=LP00612345678901",
    },
    "in_transit": {
        "tracking_number": "RR123456785CN", "carrier": "China Post",
        "tracking_url": "https://t.17track.net/en#nums=RR123456785CN",
    },
    "no_update_investigating": {
        "tracking_number": "YT2503061234567", "carrier": "YunExpress", "expected_date": date(2025, 3, 11),
    },
    "customs_hold": {"tracking_number": "RR123456785CN"},
    "available_for_pickup": {
        "tracking_number": "RR123456785CN",
        "pickup_location": "Post office, 12 Rue de la Paix, 75002 Paris",
        "pickup_until": date(2025, 3, 21),
    },
    "delivery_failed": {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"},
    "returned_to_sender": {"tracking_number": "RR123456785CN"},
    "long_undelivered": {"tracking_number": "RR123456785CN", "days_in_transit": 43},
}


def sample_context(situation: str) -> dict[str, Any]:
    """A fresh, complete context for a situation (``KeyError`` for an unknown one)."""
    if situation not in SITUATIONS:
        raise KeyError(situation)
    context = {**_COMMON, **_SAMPLES[situation]}
    return {name: context[name] for name in SITUATIONS[situation]}
