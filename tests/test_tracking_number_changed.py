"""A tracking number someone clears or mistypes (V1/V4), through `sheets-automation run` on a
workbook with the offline provider: the row stops showing the old number's parcel, says what
is wrong, and keeps whatever a person typed.

Before this, a delivered parcel's number changed to ``ABC-1`` still read "Delivered" with
"T7: delivered" in Next action, and a cleared number left the whole row saying "Done · T7
delivered" with no V1 anywhere (the row has no key then, so its cells were taken for a
person's).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from sheets_automation.tracking.simulated import demo_numbers
from tests.test_end_to_end_timeline import edit, rows, run, workbook

NOW = "2025-03-06T10:00+08:00"
LATER = ["2025-03-06T11:30+08:00", "2025-03-06T12:30+08:00"]
TRACKED = ("Tracking status", "Last event", "Last event at")


def delivered_sheet(tmp_path: Path) -> tuple[Path, int]:
    """A Logistics tab of demo parcels after one run, and the data row of a delivered one."""
    path = workbook(tmp_path, logistics=[dict(tracking_number=n, destination_country="US",
                                              shipped_at="2025-02-21 10:00") for n in demo_numbers()[:16]])
    run(path, NOW)
    found = [i for i, r in enumerate(rows(path, "Logistics"), start=1) if r["Tracking status"] == "Delivered"]
    assert found, "the demo numbers include a delivered parcel"
    return path, found[0]


@pytest.mark.parametrize("number, action", [
    ("ABC-1", "V4: 'ABC1' has 4 characters"),
    ("", "V1: fill in the tracking number"),
])
def test_a_changed_number_no_longer_shows_the_old_parcel(tmp_path, number, action):
    path, row = delivered_sheet(tmp_path)
    others = [r for i, r in enumerate(rows(path, "Logistics"), start=1) if i != row]
    edit(path, row, "Logistics", **{"Tracking number": number})
    for now in LATER:  # the first run corrects the row, the second keeps it so
        run(path, now)
        after = rows(path, "Logistics")[row - 1]
        assert [after[h] for h in TRACKED] == ["", "", ""]
        assert action in after["Next action"]  # the alert may be a more urgent S7 on the same row
        assert "T7" not in after["Next action"] and "Delivered" not in after["Alert"]
    assert [r["Tracking number"] for i, r in enumerate(rows(path, "Logistics"), start=1) if i != row] == \
        [r["Tracking number"] for r in others]


def test_what_a_person_typed_on_a_row_without_a_number_stays(tmp_path):
    path, row = delivered_sheet(tmp_path)
    # a person overrides the delivered row's Alert, then clears its number
    edit(path, row, "Logistics", **{"Alert": "customer says it never came", "Tracking number": ""})
    # and starts a new row with no number yet, typing a status by hand
    new = len(rows(path, "Logistics")) + 1
    edit(path, new, "Logistics", **{"Tracking status": "Delivered", "Destination country": "US"})
    run(path, LATER[0])
    cleared, started = rows(path, "Logistics")[row - 1], rows(path, "Logistics")[new - 1]
    assert cleared["Alert"] == "customer says it never came"  # typed over: theirs
    assert cleared["Tracking status"] == ""  # the automation's own text: corrected
    assert "V1: fill in the tracking number" in cleared["Next action"]
    assert started["Tracking status"] == "Delivered"  # never processed: theirs
    assert "V1: fill in the tracking number" in started["Next action"]
