"""Rows created on other tabs: Reships for approved resends (C1-C4 cost bearer), Logistics per tracking number.

Both are exactly-once: feeding the created rows back in creates nothing more.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from sheets_automation.policy import logistics_to_create, reships_to_create
from sheets_automation.policy.cost import UNKNOWN_NOTE
from sheets_automation.policy.frames import typed_frame

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=SH)


def case(case_id: str, **kw) -> dict:
    return {"case_id": case_id, "order_id": f"O-{case_id}", "sku": "SKU1", "status": "approved",
            "requested_resolution": "resend", "issue_type": "damaged", "fault": "carrier", **kw}


@pytest.mark.parametrize("fault, bearer, note", [
    ("customer", "client", ""),    # C1
    ("carrier", "carrier", ""),    # C2
    ("warehouse", "us", ""),       # C3
    ("supplier", "supplier", ""),  # C4
    ("unknown", "", UNKNOWN_NOTE),
    ("", "", UNKNOWN_NOTE),
])
def test_cost_bearer_suggested_from_fault(fault, bearer, note):
    out = reships_to_create(typed_frame("cases", [case("CS1", fault=fault)], tz=SH), None, now=NOW)
    assert (out.loc[0, "cost_bearer"], out.loc[0, "note"]) == (bearer, note)


@pytest.mark.parametrize("issue, reason", [
    ("not_received", "lost"), ("stale_tracking", "lost"), ("false_delivery", "lost"), ("damaged", "damaged"),
    ("missing_item", "missing_item"), ("wrong_item", "wrong_item"), ("quality", "quality"),
    ("size", "customer_request"), ("no_reason_return", "customer_request"),
])
def test_reship_reason_from_issue_type(issue, reason):
    out = reships_to_create(typed_frame("cases", [case("CS1", issue_type=issue)], tz=SH), None, now=NOW)
    assert out.loc[0, "reason"] == reason


def test_reships_created_exactly_once():
    cases = typed_frame("cases", [
        case("CS1"), case("CS2", status="investigating"), case("CS3", requested_resolution="refund"),
        case("CS4"), case(""), case("CS1"), case("CS5")], tz=SH)
    existing = typed_frame("reships", [{"case_id": "CS5", "original_order_id": "O-CS5"}], tz=SH)
    first = reships_to_create(cases, existing, now=NOW)
    assert list(first["case_id"]) == ["CS1", "CS4"]
    assert list(first["source_row"]) == [2, 5]
    assert first.loc[0, ["original_order_id", "sku"]].tolist() == ["O-CS1", "SKU1"]
    assert (first["requested_at"] == pd.Timestamp(NOW)).all()
    after = pd.concat([existing, typed_frame("reships", first.to_dict("records"), tz=SH)], ignore_index=True)
    assert reships_to_create(cases, after, now=NOW).empty


def test_logistics_rows_once_per_new_tracking_number():
    cases = typed_frame("cases", [
        {"case_id": "CS1", "order_id": "O1", "tracking_number": "RR123456785CN", "destination_country": "US",
         "shipped_at": "2025-03-01 10:00"},
        {"case_id": "CS2", "order_id": "O1", "tracking_number": "rr123456785cn"},  # same parcel
        {"case_id": "CS3", "order_id": "O3", "tracking_number": ""},
        {"case_id": "CS4", "order_id": "O4", "tracking_number": "LX 999 CN"},
        {"case_id": "CS5", "order_id": "O5", "tracking_number": "YT1"}], tz=SH)
    logistics = typed_frame("logistics", [{"tracking_number": "LX999CN"}], tz=SH)
    first = logistics_to_create(cases, logistics)
    assert first[["tracking_number", "order_id", "case_id", "destination_country"]].values.tolist() == [
        ["RR123456785CN", "O1", "CS1", "US"], ["YT1", "O5", "CS5", ""]]
    assert first.loc[0, "shipped_at"] == datetime(2025, 3, 1, 10, tzinfo=SH) and pd.isna(first.loc[1, "shipped_at"])
    after = pd.concat([logistics, typed_frame("logistics", first.to_dict("records"), tz=SH)], ignore_index=True)
    assert logistics_to_create(cases, after).empty
