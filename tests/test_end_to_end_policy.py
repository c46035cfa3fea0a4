"""The policy through the whole product: write a row, `run --now`, read the cells back.

Boundaries just inside and just outside, as the policy states them (policy.md W2, S3, W1),
plus messages regenerated when their inputs change and kept when a person edited them.
"""
from pathlib import Path

import openpyxl
import pytest

from sheets_automation.backends.base import RowAppend, WritePlan
from sheets_automation.backends.workbook import WorkbookBackend
from sheets_automation.cli import main
from sheets_automation.schema import SHIPPED, shipped_schemas

CASES = shipped_schemas()["cases"]


def workbook_with(tmp_path: Path, **case) -> Path:
    path = tmp_path / "ops.xlsx"
    backend = WorkbookBackend(path)
    backend.init_layout([shipped_schemas()[s] for s in SHIPPED])
    values = {"case_id": "CS-00001", "order_id": "#1001", "customer_language": "en", "destination_country": "US",
              "currency": "USD", "order_amount": "30", **case}
    backend.apply(WritePlan(appends=[RowAppend("Cases", tuple((CASES.column(f).header, v) for f, v in values.items()))]))
    return path


def run(path: Path, now: str, *jobs: str) -> dict:
    assert main(["run", *jobs, "--workbook", str(path), "--now", now, "-q"]) == 0
    ws = openpyxl.load_workbook(path)["Cases"]
    head = [c.value for c in ws[1]]
    return {h: ("" if v is None else str(v)) for h, v in zip(head, next(ws.iter_rows(min_row=2, max_row=2, values_only=True)))}


RETURN = dict(issue_type="no_reason_return", requested_resolution="return_refund", status="new",
              paid_at="2025-02-20 10:00", shipped_at="2025-02-21 10:00", delivered_at="2025-03-01 14:00")


@pytest.mark.parametrize("opened, inside", [
    ("2025-03-08 23:59", True),   # W2: delivered 03-01 14:00 → 168 h from 03-02 00:00, ends 03-09 00:00
    ("2025-03-09 00:00", False),
])
def test_w2_no_reason_return_boundary(tmp_path, opened, inside):
    row = run(workbook_with(tmp_path, opened_at=opened, **RETURN), opened.replace(" ", "T") + "+08:00", "rules")
    assert "2025-03-09 00:00" in row["Window"]
    if inside:
        assert "until 2025-03-09 00:00" in row["Window"] and "decline" not in row["Next action"]
    else:  # the first reply (S1, orange) still outranks the declined window (grey) in the Alert
        assert "W2: no-reason return window ended 2025-03-09 00:00; politely decline" in row["Next action"]


@pytest.mark.parametrize("opened, due", [
    ("2025-01-24 10:00", "2025-01-27 18:00"),  # S3: Fri → Mon, because Sun 01-26 was a make-up working day
    ("2025-02-06 10:00", "2025-02-08 18:00"),  # ... and Sat 02-08 was worked too
])
def test_s3_courier_verification_on_the_chinese_calendar(tmp_path, opened, due):
    row = run(workbook_with(tmp_path, opened_at=opened, issue_type="not_received", requested_resolution="resend",
                            status="investigating", paid_at="2025-01-10 10:00", shipped_at="2025-01-11 10:00",
                            tracking_number="RR123456785CN"), opened.replace(" ", "T") + ":00+08:00", "rules")
    assert row["Due by"] == due


@pytest.mark.parametrize("minutes_after_payment, accepted", [(24 * 60 - 1, True), (24 * 60 + 1, False)])
def test_w1_change_or_cancel_at_24_hours(tmp_path, minutes_after_payment, accepted):
    from datetime import datetime, timedelta

    opened = datetime(2025, 3, 1, 10, 0) + timedelta(minutes=minutes_after_payment)
    row = run(workbook_with(tmp_path, opened_at=opened.strftime("%Y-%m-%d %H:%M"), issue_type="cancel",
                            requested_resolution="cancel", status="new", paid_at="2025-03-01 10:00"),
              opened.strftime("%Y-%m-%dT%H:%M+08:00"), "rules", "messages")
    assert ("until" in row["Window"]) is accepted
    assert ("accept" in row["Next action"]) is accepted
    assert row["Customer message"], "every W1 outcome has a message for the customer"


def test_message_follows_its_inputs_until_a_person_edits_it(tmp_path):
    path = workbook_with(tmp_path, opened_at="2025-03-05 10:00", issue_type="damaged", requested_resolution="resend",
                         status="new", paid_at="2025-02-20 10:00", delivered_at="2025-03-04 10:00",
                         evidence_links="https://img.example/1.jpg")
    first = run(path, "2025-03-05T11:00+08:00")["Customer message"]
    assert "photos" in first  # V3: damaged needs 3-5 photos
    wb = openpyxl.load_workbook(path)
    ws = wb["Cases"]
    head = [c.value for c in ws[1]]
    ws.cell(row=2, column=head.index("Customer language") + 1, value="de")
    wb.save(path)
    second = run(path, "2025-03-05T11:30+08:00")["Customer message"]
    assert second != first and second.startswith(("Hallo", "Guten", "Sehr"))  # regenerated in German
    ws = (wb := openpyxl.load_workbook(path))["Cases"]
    ws.cell(row=2, column=head.index("Customer message") + 1, value="Handled by phone.")
    wb.save(path)
    assert run(path, "2025-03-06T11:30+08:00")["Customer message"] == "Handled by phone."


def test_a_status_change_leaves_the_message_a_clean_start_would(tmp_path):
    """Approved without a refund amount: no message can be rendered. The previous message of
    ours is cleared, as a clean start (no message ever written) shows the cell blank."""
    case = dict(opened_at="2025-03-05 10:00", issue_type="damaged", requested_resolution="refund", status="new",
                paid_at="2025-02-20 10:00", delivered_at="2025-03-04 10:00")
    path = workbook_with(tmp_path, **case)
    assert run(path, "2025-03-05T11:00+08:00")["Customer message"]
    wb = openpyxl.load_workbook(path)
    ws = wb["Cases"]
    head = [c.value for c in ws[1]]
    ws.cell(row=2, column=head.index("Status") + 1, value="approved")
    wb.save(path)
    changed = run(path, "2025-03-05T11:30+08:00")["Customer message"]
    clean = run(workbook_with(tmp_path / "clean", **dict(case, status="approved")), "2025-03-05T11:30+08:00")
    assert changed == clean["Customer message"] == ""


def test_state_tab_deleted_automation_cells_are_rebuilt_with_one_line(tmp_path, capsys):
    """Issue #13: the hidden tab deleted. The next run updates the automation cells as a clean
    run would (none is taken for a hand edit without evidence) and says so in one line."""
    path = workbook_with(tmp_path, opened_at="2025-03-05 10:00", issue_type="damaged", requested_resolution="resend",
                         status="new", paid_at="2025-02-20 10:00", delivered_at="2025-03-04 10:00")
    before = run(path, "2025-03-05T11:00+08:00")
    wb = openpyxl.load_workbook(path)
    del wb["_automation"]
    wb.save(path)
    capsys.readouterr()
    later = run(path, "2025-03-09T11:00+08:00")
    err = capsys.readouterr().err
    clean = run(workbook_with(tmp_path / "clean", opened_at="2025-03-05 10:00", issue_type="damaged",
                              requested_resolution="resend", status="new", paid_at="2025-02-20 10:00",
                              delivered_at="2025-03-04 10:00"), "2025-03-09T11:00+08:00")
    assert later["Alert"] != before["Alert"] and later["Alert"] == clean["Alert"]
    assert later["Next action"] == clean["Next action"]
    notes = [line for line in err.splitlines() if "_automation was missing" in line]
    assert len(notes) == 1 and "rebuilt" in notes[0]
    assert "_automation" in openpyxl.load_workbook(path).sheetnames
