"""Policy defaults (every number of policy.md) and validated overrides that name their key."""
from __future__ import annotations

from datetime import time

import pytest

from sheets_automation.policy import Policy, policy_from_mapping


@pytest.mark.parametrize("name, default", [
    ("w1_hours", 24), ("w2_days", 7), ("w3_days", 30), ("w4_days", 60), ("w5_days", 7), ("w6_days", 7),
    ("s1_hours", 24), ("s2_working_days", 2), ("s3_working_days", 2), ("s4_expected_working_days", 10),
    ("s4_overdue_working_days", 30), ("s4_refund_working_days", 15), ("s5_working_days", 0),
    ("handling_days", 3), ("s6_expedite_days", 2), ("s6_no_stock_days", 4),
    ("s11_hours", 48), ("business_day_end", "18:00"), ("due_soon_hours", 24), ("calendar_country", "CN"),
    ("origin_country", "CN"), ("evidence_photos_min", 3), ("evidence_photos_max", 5),
    ("after_service_rate_target", 0.002), ("trend_weeks", 12),
])
def test_defaults_are_the_policy_numbers(name, default):
    assert getattr(Policy(), name) == default


def test_valid_overrides_apply():
    policy, errors = policy_from_mapping(
        {"w2_days": 14, "business_day_end": "17:30", "calendar_country": "de", "s5_working_days": 1},
        "spreadsheets[0].policy")
    assert errors == []
    assert (policy.w2_days, policy.business_day_end_time, policy.calendar_country, policy.s5_working_days) == (
        14, time(17, 30), "DE", 1)


@pytest.mark.parametrize("key, value, error", [
    ("w2_days", -1, "spreadsheets[0].policy.w2_days: must be a positive number"),
    ("w2_days", 0, "spreadsheets[0].policy.w2_days: must be a positive number"),
    ("w2_days", "seven", "spreadsheets[0].policy.w2_days: must be a positive number"),
    ("w2_days", True, "spreadsheets[0].policy.w2_days: must be a positive number"),
    ("w2_days", float("inf"), "spreadsheets[0].policy.w2_days: must be a positive number"),
    ("s2_working_days", 1.5, "spreadsheets[0].policy.s2_working_days: must be a positive whole number"),
    ("handling_days", -2, "spreadsheets[0].policy.handling_days: must be a number, zero or more"),
    ("business_day_end", "25:00", 'spreadsheets[0].policy.business_day_end: must be a time of day like "18:00"'),
    ("calendar_country", "XX", "spreadsheets[0].policy.calendar_country: must be a country code the holidays "
                               'library knows, e.g. "CN"'),
    ("origin_country", "China", 'spreadsheets[0].policy.origin_country: must be an ISO 3166 alpha-2 code, e.g. "CN"'),
    ("w9_days", 3, "spreadsheets[0].policy.w9_days: unknown policy setting"),
])
def test_bad_override_names_the_key_and_keeps_the_default(key, value, error):
    policy, errors = policy_from_mapping({key: value, "w3_days": 45}, "spreadsheets[0].policy")
    assert errors == [error]
    assert policy.w3_days == 45  # the good setting still applies
    if hasattr(Policy(), key):
        assert getattr(policy, key) == getattr(Policy(), key)


def test_inconsistent_pair_is_reported():
    policy, errors = policy_from_mapping({"evidence_photos_min": 6}, "policy")
    assert errors == ["policy.evidence_photos_min: must not exceed evidence_photos_max (5)"]
    assert policy.evidence_photos_min == 3


def test_every_problem_is_reported_at_once_and_an_empty_prefix_uses_the_bare_key():
    _, errors = policy_from_mapping({"w1_hours": 0, "s11_hours": "x", "nope": 1}, "")
    assert errors == ["w1_hours: must be a positive number", "s11_hours: must be a positive number",
                      "nope: unknown policy setting"]
