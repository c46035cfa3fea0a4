"""End to end: `sheets-automation run --now ...` on a workbook, then read the cells back."""
import subprocess
import sys

import openpyxl
import pytest

from sheets_automation.cli import main

NOW = "2025-03-09T10:00+08:00"


def cells(path, tab):
    ws = openpyxl.load_workbook(path)[tab]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:] if any(v is not None for v in r)], ws


def test_demo_builds_a_coloured_workbook(demo_master):
    cases, ws = cells(demo_master, "Cases")
    assert len(cases) >= 200
    assert all(r["Case ID"] and r["Opened at"] for r in cases), "blank IDs and Opened at are filled once"
    labels = {r["Alert"].split(" · ")[0] for r in cases if r["Alert"]}
    assert {"Overdue", "Needs input", "Waiting"} <= labels
    alert_col = [c.value for c in ws[1]].index("Alert") + 1
    fills = {ws.cell(row=i, column=alert_col).fill.start_color.rgb[-6:] for i in range(2, len(cases) + 2)}
    assert "F4C7C3" in fills and "FFF2CC" in fills  # red and yellow cells
    zh = openpyxl.load_workbook(demo_master)
    assert "返现" in zh.sheetnames and "Cashback" not in zh.sheetnames  # Chinese headers matched by alias


def test_second_run_with_no_changes_writes_nothing(demo_copy, capsys):
    before = demo_copy.read_bytes()
    assert main(["run", "--workbook", str(demo_copy), "--now", NOW, "-q"]) == 0
    assert "nothing to change" in capsys.readouterr().out
    assert demo_copy.read_bytes() == before


def test_dry_run_lists_changes_and_writes_nothing(demo_copy, capsys):
    before = demo_copy.read_bytes()
    assert main(["run", "rules", "--workbook", str(demo_copy), "--now", "2025-03-20T10:00+08:00", "--dry-run", "-q"]) == 0
    out = capsys.readouterr().out
    assert " → " in out and "dry run: nothing written" in out
    assert demo_copy.read_bytes() == before


def test_later_now_moves_alerts_and_bad_rows_carry_visible_notes(demo_copy):
    assert main(["run", "--workbook", str(demo_copy), "--now", "2025-06-01T10:00+08:00", "-q"]) == 0
    cases, _ = cells(demo_copy, "Cases")
    bad_date = next(r for r in cases if r["Paid at"] == "2025-13-45 25:00")
    assert "V2" in bad_date["Next action"] and "Paid at" in bad_date["Next action"]
    assert bad_date["Alert"].startswith(("Needs input", "Overdue"))
    formula = next(r for r in cases if str(r["Details"]).startswith("=HYPERLINK"))
    assert formula["Alert"], "a row with formula-looking text is still evaluated"


def test_hand_edited_message_survives_three_runs(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    ws = wb["Cases"]
    head = [c.value for c in ws[1]]
    col = head.index("Customer message") + 1
    row = next(i for i in range(2, ws.max_row + 1) if ws.cell(row=i, column=col).value)
    ws.cell(row=row, column=col, value="Hi! I am handling this personally — Lily")
    wb.save(demo_copy)
    for now in ("2025-03-10T10:00+08:00", "2025-03-20T10:00+08:00", "2025-04-20T10:00+08:00"):
        assert main(["run", "--workbook", str(demo_copy), "--now", now, "-q"]) == 0
    ws = openpyxl.load_workbook(demo_copy)["Cases"]
    assert ws.cell(row=row, column=col).value == "Hi! I am handling this personally — Lily"


def test_missing_tab_is_a_one_line_error_naming_init(tmp_path, capsys):
    path = tmp_path / "empty.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Something else"
    wb.save(path)
    assert main(["run", "--workbook", str(path), "--now", NOW, "-q"]) == 1
    err = capsys.readouterr().err
    assert "tab 'Cases' is missing" in err and "sheets-automation init" in err


def test_missing_column_stops_that_tab_only(demo_copy, capsys):
    wb = openpyxl.load_workbook(demo_copy)
    ws = wb["Reships"]
    ws.cell(row=1, column=[c.value for c in ws[1]].index("Alert") + 1, value="Remarks")
    wb.save(demo_copy)
    assert main(["run", "--workbook", str(demo_copy), "--now", "2025-04-01T10:00+08:00", "-q"]) == 1
    err = capsys.readouterr().err
    assert "tab 'Reships': missing column 'Alert'" in err


@pytest.mark.parametrize("args, message", [
    (["run", "--config", "/nonexistent/c.toml"], "copy config.example.toml"),
    (["run", "--workbook", "x.xlsx", "--now", "yesterday"], "not ISO 8601"),
    (["run", "--workbook", "x.xlsx", "--now", "2025-03-01T10:00"], "has no time zone"),
    (["run", "nope", "--workbook", "x.xlsx"], "unknown job 'nope'"),
    (["run", "--workbook", "{tmp}/absent/x.xlsx", "--now", NOW], "not found"),
])
def test_bad_input_gives_one_line_error_and_exit_1(args, message, capsys, tmp_path):
    # {tmp}: a folder of this test's own, so no state from another run on the machine is read
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err


def test_installed_command_has_help_for_every_subcommand():
    for sub in ([], ["run"], ["init"], ["demo"], ["jobs"]):
        out = subprocess.run([sys.executable, "-m", "sheets_automation", *sub, "--help"], capture_output=True, text=True)
        assert out.returncode == 0 and "usage: sheets-automation" in out.stdout
    assert "--dry-run" in subprocess.run([sys.executable, "-m", "sheets_automation", "run", "--help"],
                                         capture_output=True, text=True).stdout


def test_a_report_only_change_is_named_in_the_summary(demo_copy, capsys):
    later = "2025-03-17T10:00+08:00"  # a new week: the Weekly report changes
    assert main(["run", "report", "--workbook", str(demo_copy), "--now", later, "--dry-run", "-q"]) == 0
    assert "rewrite Weekly report (dry run: nothing written)" in capsys.readouterr().out
    assert main(["run", "report", "--workbook", str(demo_copy), "--now", later, "-q"]) == 0
    assert "rewrote Weekly report" in capsys.readouterr().out
