"""The customer-message situations and the context each one needs.

Each situation is one template, ``templates/messages/<situation>.j2``. ``SITUATIONS``
maps it to the context variables it requires; ``VARIABLES`` says what each variable
holds; ``CHOICES`` lists the allowed values of the variables that select a wording.
Every template also reads ``customer_name``; it is optional (absent, None or ``""``: the
greeting then has no name). ``OPTIONAL`` lists the few variables that may be left out.

The rule IDs beside each entry are policy.md's; "Next action" text and templates share them.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_NAME = ("customer_name",)

SITUATIONS: dict[str, tuple[str, ...]] = {
    # cases
    "case_received": _NAME + ("order_id", "case_id", "reply_by"),  # S1
    "evidence_needed": _NAME + ("order_id", "case_id", "issue_type", "photos_needed", "photos_max"),  # V3
    "return_instructions": _NAME + ("order_id", "case_id", "return_shipping_paid_by"),  # W2, C1-C4
    "outside_window": _NAME + ("order_id", "window", "window_end"),  # W1-W6 outside
    "change_cancel_accepted": _NAME + ("order_id", "request"),  # W1 inside
    "recall_attempt": _NAME + ("order_id", "request"),  # W1 outside, not shipped or domestic
    "cannot_intercept_international": _NAME + ("order_id", "request"),  # W1 outside, international
    "verification_in_progress": _NAME + ("order_id", "case_id", "verified_with", "expected_date"),  # S3, S4
    "refund_approved": _NAME + ("order_id", "case_id", "refund_amount", "currency"),  # W3, W4, S4
    "exchange_instructions": _NAME + ("order_id", "case_id", "return_shipping_paid_by"),  # W6
    "price_protection_refund": _NAME + ("order_id", "new_order_id", "refund_amount", "currency"),  # W5
    # cashback and reships
    "cashback_paid": _NAME + ("order_id", "cashback_reason", "amount", "currency"),  # S5
    "reship_created": _NAME + ("order_id", "reship_reason", "ship_by"),  # S3, S11, C1-C4
    "reship_shipped": _NAME + ("order_id", "new_tracking_number", "tracking_url"),  # S11
    # logistics
    "in_transit": _NAME + ("order_id", "tracking_number", "carrier", "tracking_url"),  # S9
    "no_update_investigating": _NAME + ("order_id", "tracking_number", "carrier", "expected_date"),  # S8, S3, T1
    "customs_hold": _NAME + ("order_id", "tracking_number"),  # T5
    "available_for_pickup": _NAME + ("order_id", "tracking_number", "pickup_location", "pickup_until"),  # T4
    "delivery_failed": _NAME + ("order_id", "tracking_number", "carrier"),  # T2
    "returned_to_sender": _NAME + ("order_id", "tracking_number"),  # T2
    "long_undelivered": _NAME + ("order_id", "tracking_number", "days_in_transit"),  # S10, T3
}

VARIABLES: dict[str, str] = {
    "customer_name": "str; the name to greet, or \"\" for a greeting without a name",
    "order_id": "str; the store's order ID (Cases/Cashback 'Order ID', Reships 'Original order ID')",
    "case_id": "str; our reference, Cases 'Case ID'",
    "reply_by": "aware datetime; the S1 first-reply deadline (case opened + 24 h)",
    "issue_type": "str; Cases 'Issue type'; selects the V3 evidence wording",
    "photos_needed": "int; fewest photos for damaged or quality cases (V3: 3)",
    "photos_max": "int; most photos asked for (V3: 5); photos_needed <= photos_max",
    "return_shipping_paid_by": "'customer' (C1) or 'us' (C2-C4: customer advances it, we reimburse)",
    "window": "policy window ID 'W1'..'W6' that has closed; names the reason for the decline",
    "window_end": "aware datetime; when that window closed (the sheet's 'Window' end)",
    "request": "'cancel', 'change' or 'address_change' (Cases 'Issue type' for W1)",
    "verified_with": "'carrier' (S3) or 'supplier' (S4): who is verifying",
    "expected_date": "date or aware datetime; when the verification result is expected",
    "refund_amount": "Decimal/int/str; amount refunded (Cases 'Refund amount')",
    "currency": "str; ISO 4217 code of the amount",
    "new_order_id": "str; the customer's new order at the lower price (W5); may be blank",
    "cashback_reason": "Cashback 'Reason': shipping_fee, price_difference, quality_compensation, "
    "promised_discount or other",
    "amount": "Decimal/int/str; the cashback transferred (Cashback 'Amount'); never the payee account",
    "reship_reason": "Reships 'Reason': lost, damaged, missing_item, wrong_item, quality or "
    "customer_request (only customer_request is not 'at no cost to you')",
    "ship_by": "aware datetime; when the replacement leaves at the latest (S11: requested + 48 h)",
    "new_tracking_number": "str; Reships 'New tracking number'",
    "carrier": "str; carrier name as the customer knows it (e.g. 'China Post', 'DHL')",
    "tracking_url": "str; a public tracking page for the number",
    "tracking_number": "str; Logistics 'Tracking number'",
    "pickup_location": "str; where the parcel waits (post office, locker, pickup point); may be "
    "blank: the message then says 'your local pickup point' in the language",
    "pickup_until": "date or aware datetime; last day to pick it up",
    "days_in_transit": "int; Logistics 'Days in transit' (S10: more than 40)",
}

CHOICES: dict[str, tuple[str, ...]] = {
    "issue_type": (
        "not_shipped", "not_received", "stale_tracking", "customs_hold", "false_delivery",
        "damaged", "wrong_item", "missing_item", "quality", "size", "no_reason_return",
        "cancel", "change_order", "address_change", "price_protection", "other",
    ),
    "return_shipping_paid_by": ("customer", "us"),
    "window": ("W1", "W2", "W3", "W4", "W5", "W6"),
    "request": ("cancel", "change", "address_change"),
    "verified_with": ("carrier", "supplier"),
    "cashback_reason": ("shipping_fee", "price_difference", "quality_compensation", "promised_discount", "other"),
    "reship_reason": ("lost", "damaged", "missing_item", "wrong_item", "quality", "customer_request"),
}

# Variables that may be left out, None or blank: the template then uses a wording that does
# not need them, and the renderer passes "". Every other variable of a situation must be
# present and neither None nor blank.
OPTIONAL: dict[str, frozenset[str]] = {
    situation: frozenset({"customer_name"}) for situation in SITUATIONS
}
OPTIONAL["available_for_pickup"] = frozenset({"customer_name", "pickup_location"})
OPTIONAL["price_protection_refund"] = frozenset({"customer_name", "new_order_id"})


def context_problems(situation: str, context: Mapping[str, Any]) -> list[str]:
    """What is wrong with a context for a situation, one short phrase each; [] when fine.

    Checks presence (missing, None or blank counts as missing) and the ``CHOICES``.
    Values are never echoed: they may be personal data.
    """
    if situation not in SITUATIONS:
        return [f"unknown situation {situation!r}"]
    problems = []
    for name in SITUATIONS[situation]:
        value = context.get(name)
        if name in OPTIONAL[situation]:
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(f"{name} is missing")
        elif name in CHOICES and value not in CHOICES[name]:
            problems.append(f"{name} must be one of {', '.join(CHOICES[name])}")
    return problems
