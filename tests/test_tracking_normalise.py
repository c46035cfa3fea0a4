"""17TRACK status → our status set (T1-T7), and defensive parsing of gettrackinfo items."""
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sheets_automation.isotime import parse_utc as parse_time
from sheets_automation.tracking.normalise import is_stopped, normalise_status, parse_track_item
from tests.fakes.seventeen_track import event, in_transit_item, track_item

STATUS = [
    # 17TRACK status, sub-status, latest event text, ours
    ("NotFound", "NotFound_Other", "", "NotFound"),
    ("NotFound", "NotFound_InvalidCode", "", "NotFound"),
    ("InfoReceived", "InfoReceived", "", "InfoReceived"),
    ("InTransit", "InTransit_PickedUp", "", "InTransit"),
    ("InTransit", "InTransit_Arrival", "", "InTransit"),
    ("InTransit", "InTransit_CustomsProcessing", "", "CustomsHold"),  # T5
    ("InTransit", "InTransit_CustomsRequiringInformation", "", "CustomsHold"),  # T5
    ("InTransit", "InTransit_CustomsReleased", "", "InTransit"),  # released: moving again
    ("Exception", "Exception_Security", "Held by customs - pay duties", "CustomsHold"),
    ("Exception", "Exception_Security", "Item held: 海关查验", "CustomsHold"),
    ("Exception", "Exception_Security", "Dangerous goods removed", "Exception"),  # security, not customs
    ("DeliveryFailure", "DeliveryFailure_Security", "Awaiting customs clearance fee", "CustomsHold"),
    ("DeliveryFailure", "DeliveryFailure_NoBody", "", "DeliveryFailure"),  # T2
    ("DeliveryFailure", "DeliveryFailure_InvalidAddress", "", "DeliveryFailure"),
    ("Exception", "Exception_Returning", "", "Returned"),  # T2
    ("Exception", "Exception_Returned", "", "Returned"),
    ("Exception", "Exception_Lost", "", "Exception"),
    ("Exception", "Exception_Held", "", "Exception"),  # unknown sub-status keeps its main status
    ("AvailableForPickup", "AvailableForPickup_Other", "", "AvailableForPickup"),  # T4
    ("OutForDelivery", "OutForDelivery_Other", "", "OutForDelivery"),
    ("Delivered", "Delivered_Other", "", "Delivered"),  # T7
    ("Expired", "Expired_Other", "", "Expired"),  # T3
    ("", "InTransit_Arrival", "", "InTransit"),  # main missing: from the sub-status
    (None, None, None, "NotFound"),  # nothing at all
    ("Teleported", "", "", "Exception"),  # unknown main status: a person looks at it
    (42, ["odd"], {"x": 1}, "NotFound"),  # odd types never crash
]


@pytest.mark.parametrize("status, sub, text, ours", STATUS)
def test_normalise_status(status, sub, text, ours):
    assert normalise_status(status, sub, text) == ours


def test_latest_event_description_and_time_are_kept():
    r = parse_track_item(in_transit_item("LX605713265CN"))
    assert r.status == "InTransit" and r.sub_status == "InTransit_Arrival"
    assert r.last_event.startswith("Arrival at destination country")
    assert r.last_event_at == datetime(2026, 5, 12, 15, 40, tzinfo=timezone.utc)
    assert r.first_event_at == datetime(2026, 5, 6, 2, 2, tzinfo=timezone.utc)
    assert r.events_count == 3 and r.provider_state == "ok" and r.carrier == "China Post"


def test_events_of_several_legs_are_merged_by_time():
    item = track_item("4PX3002261845917CN", 190094, "Delivered", "Delivered_Other", [
        event("2026-04-23T01:20:00Z", "Handed over to last-mile carrier")], provider="4PX")
    item["track_info"]["latest_event"] = None
    item["track_info"]["tracking"]["providers"].insert(0, {  # last-mile leg listed first, newest events
        "provider": {"key": 21051, "name": "USPS"},
        "events": [event("2026-04-28T18:47:00Z", "Delivered, In/At Mailbox", "Delivered_Other"),
                   event("2026-04-28T13:10:00Z", "Out for Delivery", "OutForDelivery_Other")]})
    r = parse_track_item(item)
    assert r.status == "Delivered"
    assert r.last_event == "Delivered, In/At Mailbox"
    assert r.delivered_at == datetime(2026, 4, 28, 18, 47, tzinfo=timezone.utc)
    assert r.first_event_at == datetime(2026, 4, 23, 1, 20, tzinfo=timezone.utc)
    assert r.carrier == "4PX" and r.events_count == 3


def test_customs_hold_in_an_earlier_event_does_not_hide_the_return():
    item = track_item("RR981234507CN", 3011, "Exception", "Exception_Returning", [
        event("2026-05-02T08:14:00Z", "Item returned to sender", "Exception_Returning"),
        event("2026-04-24T14:48:00Z", "Held by customs", "Exception_Security")])
    assert parse_track_item(item).status == "Returned"


def test_not_found_without_events_is_pending():
    item = track_item("YT2613521207384156", 190008, "NotFound", "NotFound_Other", [])
    r = parse_track_item(item)
    assert (r.status, r.provider_state, r.last_event_at, r.events_count) == ("NotFound", "pending", None, 0)


@pytest.mark.parametrize("item", [
    {"number": "RR123456785CN"},
    {"number": "RR123456785CN", "track_info": None},
    {"number": "RR123456785CN", "track_info": {"latest_status": "odd", "latest_event": [], "tracking": 3}},
    {"number": "RR123456785CN", "track_info": {"tracking": {"providers": [None, {"events": [None, {"time_utc": "x"}]}]}}},
    {"number": "RR123456785CN", "track_info": {"latest_event": {"time_utc": None, "description": 5}}},
])
def test_missing_or_odd_fields_never_crash(item):
    r = parse_track_item(item)
    assert r.number == "RR123456785CN" and r.status == "NotFound"


def test_items_without_a_number_are_skipped():
    assert parse_track_item({"track_info": {}}) is None
    assert parse_track_item("not a dict") is None


@pytest.mark.parametrize("text, expected", [
    ("2026-05-12T15:40:00Z", datetime(2026, 5, 12, 15, 40, tzinfo=timezone.utc)),
    ("2026-05-12T23:40:00+08:00", datetime(2026, 5, 12, 15, 40, tzinfo=timezone.utc)),
    ("", None), (None, None), ("yesterday", None), (12, None),
])
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_stopped_flag():
    assert is_stopped({"tracking_status": "Stopped"})
    assert not is_stopped({"tracking_status": "Tracking"})
    assert not is_stopped({})


SAMPLES = Path(__file__).parent / "data" / "tracking-samples"  # copied from shared/reference
EXPECTED = {
    "17track_gettrackinfo_intransit.json": ("LX605713265CN", "InTransit", "ok"),
    "17track_gettrackinfo_notfound.json": ("YT2613521207384156", "NotFound", "pending"),
    "17track_gettrackinfo_delivered.json": ("4PX3002261845917CN", "Delivered", "ok"),
    "17track_gettrackinfo_exception.json": ("RR981234507CN", "Returned", "ok"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_samples(name):
    item = json.loads((SAMPLES / name).read_text(encoding="utf-8"))["data"]["accepted"][0]
    r = parse_track_item(item)
    assert (r.number, r.status, r.provider_state) == EXPECTED[name]
