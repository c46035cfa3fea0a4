"""Next action texts quote the configured policy numbers, never the defaults as literal text
(issue #14): driven through the CLI with a config file whose [policy] changes them."""
import openpyxl
import pytest

from sheets_automation.cli import main
from tests.test_end_to_end_policy import workbook_with


def run_with_policy(tmp_path, policy: str, now: str, **case) -> dict:
    book = workbook_with(tmp_path, **case)
    config = tmp_path / "sheets-automation.toml"
    config.write_text(f'backend = "workbook"\ntimezone = "Asia/Shanghai"\n\n[policy]\n{policy}\n\n'
                      f'[[spreadsheets]]\nname = "ops"\nworkbook = "{book.name}"\n', encoding="utf-8")
    assert main(["run", "rules", "--config", str(config), "--now", now, "-q"]) == 0
    ws = openpyxl.load_workbook(book)["Cases"]
    head = [c.value for c in ws[1]]
    return dict(zip(head, next(ws.iter_rows(min_row=2, max_row=2, values_only=True))))


@pytest.mark.parametrize("policy, case, now, expected", [
    ("w1_hours = 12", dict(issue_type="cancel", requested_resolution="cancel", status="new",
                           paid_at="2025-03-01 10:00", opened_at="2025-03-01 23:00"),
     "2025-03-01T23:00+08:00", "W1: 12 h ended"),
    ("w1_hours = 36", dict(issue_type="cancel", requested_resolution="cancel", status="new",
                           paid_at="2025-03-01 10:00", opened_at="2025-03-01 23:00"),
     "2025-03-01T23:00+08:00", "W1: inside 36 h"),
    ("s11_hours = 72", dict(issue_type="damaged", requested_resolution="resend", status="approved",
                            paid_at="2025-03-01 10:00", opened_at="2025-03-05 10:00", fault="carrier"),
     "2025-03-05T12:00+08:00", "new tracking number within 72 h"),
    ("s4_refund_working_days = 9", dict(issue_type="quality", requested_resolution="refund", status="approved",
                                        paid_at="2025-03-01 10:00", opened_at="2025-03-05 10:00", fault="supplier"),
     "2025-03-05T12:00+08:00", "within 9 working days"),
])
def test_next_action_quotes_the_configured_numbers(tmp_path, policy, case, now, expected):
    row = run_with_policy(tmp_path, policy, now, **case)
    assert expected in (row["Next action"] or "")
