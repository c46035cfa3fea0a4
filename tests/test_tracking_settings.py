"""Tracking settings: defaults, and config mappings with errors naming the key."""
import pytest

from sheets_automation.tracking.settings import DEFAULT_RATES_TO_USD, TrackingSettings, tracking_settings_from_mapping


def test_defaults_follow_the_policy():
    s = TrackingSettings()
    assert (s.first_event_days, s.stale_days, s.long_undelivered_days) == (1.0, 15.0, 40.0)  # S7, S8, S10
    assert dict(s.follow_up_days) == {"express": 7.0, "postal": 30.0, "line": 15.0}  # S9
    assert (s.batch_size, s.rate_per_second, s.provider) == (40, 3, "simulated")
    assert s.follow_up_days_for("") == 15.0 and s.first_event_days_for("postal") == 1.0


def test_overrides_are_applied():
    s, errors = tracking_settings_from_mapping({
        "stale_days": 10, "follow_up_days": {"postal": 25}, "first_event_days_by_service": {"postal": 3},
        "rates_to_usd": {"eur": 1.1}, "provider": "17track", "api_key_file": "~/.17track"}, "tracking")
    assert errors == []
    assert s.stale_days == 10.0 and s.follow_up_days_for("postal") == 25.0 and s.follow_up_days_for("express") == 7.0
    assert s.first_event_days_for("postal") == 3.0 and s.first_event_days_for("express") == 1.0
    assert s.rates_to_usd["EUR"] == 1.1 and s.rates_to_usd["CNY"] == DEFAULT_RATES_TO_USD["CNY"]
    assert s.provider == "17track"


@pytest.mark.parametrize("mapping, key", [
    ({"stale_dayz": 3}, "tracking.stale_dayz"),
    ({"stale_days": "15"}, "tracking.stale_days"),
    ({"stale_days": -1}, "tracking.stale_days"),
    ({"batch_size": 41}, "tracking.batch_size"),
    ({"batch_size": True}, "tracking.batch_size"),
    ({"provider": "aftership"}, "tracking.provider"),
    ({"follow_up_days": {"boat": 3}}, "tracking.follow_up_days.boat"),
    ({"follow_up_days": 7}, "tracking.follow_up_days"),
    ({"rates_to_usd": {"EUR": "x"}}, "tracking.rates_to_usd.EUR"),
    ({"default_service": "boat"}, "tracking.default_service"),
])
def test_errors_name_the_key(mapping, key):
    settings, errors = tracking_settings_from_mapping(mapping, "tracking")
    assert len(errors) == 1 and errors[0].startswith(key + ":"), errors
    assert isinstance(settings, TrackingSettings)
