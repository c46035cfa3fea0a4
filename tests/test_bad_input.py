"""Bad input and odd first contact, from outside (issue 13): the CLI on a small workbook.

Each bad cell becomes a visible note (rule ID + A1 address) and the run goes on; no cell
value reaches the output; bad configuration stops with one line naming the key.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from sheets_automation.a1 import column_letter
from sheets_automation.cli import main
from tests.test_scheduler import NOW, small_workbook

WHEN = NOW.isoformat()


def edit(path, edits):
    """``edits``: (tab, header, row, value); returns the A1 address of each edited cell."""
    wb = openpyxl.load_workbook(path)
    cells = []
    for tab, header, row, value in edits:
        ws = wb[tab]
        col = [c.value for c in ws[1]].index(header) + 1
        ws.cell(row=row, column=col).value = value
        cells.append(f"{tab}!{column_letter(col)}{row}")
    wb.save(path)
    return cells


def read(path, tab, header, row):
    ws = openpyxl.load_workbook(path)[tab]
    return ws.cell(row=row, column=[c.value for c in ws[1]].index(header) + 1).value or ""


def run(path, capsys, *extra):
    code = main(["run", "--workbook", str(path), "--now", WHEN, "-q", *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def book(tmp_path):
    return small_workbook(tmp_path / "ops.xlsx")


# ----------------------------------------------------------------- V2: dates outside any sensible range

@pytest.mark.parametrize("value", ["2520-03-01", "0001-01-01", "9999-12-31", datetime(9999, 12, 31), "2520年11月20日",
                                   "2520/3/1 10:00", "2025-03-01T10:00+24:00", "2025-03-01 10:00 -99:00"])
def test_a_timestamp_out_of_range_is_a_v2_note_and_the_run_goes_on(book, capsys, value):
    [cell] = edit(book, [("Cases", "Paid at", 2, value)])
    code, output = run(book, capsys)
    assert code == 0
    note = read(book, "Cases", "Next action", 2)
    assert "V2" in note and cell in note
    assert read(book, "Cases", "Alert", 3) and read(book, "Logistics", "Alert", 2)  # the rest ran
    assert str(value)[:10] not in output  # no cell value in the output


@pytest.mark.parametrize("tab, header, value", [
    ("Cases", "Delivered at", "20000"),  # a Sheets serial for 1954
    ("Cases", "Paid at", "2002-03-01 10:00"),  # years before the case was opened
    ("Cashback", "Paid at", "2002-03-01 10:00"),  # years before the cashback was agreed
])
def test_an_implausible_date_is_v2_and_declines_nothing(book, capsys, tab, header, value):
    [cell] = edit(book, [(tab, header, 2, value)])
    assert run(book, capsys)[0] == 0
    if tab == "Cases":
        note = read(book, tab, "Next action", 2)
        assert "V2-implausible-date" in note and cell in note
        message = read(book, tab, "Customer message", 2)
        assert "window" not in message.lower() and "unfortunately" not in message.lower()
        assert "W" not in read(book, tab, "Alert", 2).split("·")[-1]  # no window closed on a typo
    else:
        assert "V2" in read(book, tab, "Alert", 2) and cell in read(book, tab, "Alert", 2)


def test_a_date_after_now_is_v2_and_declines_nothing(book, capsys):
    edit(book, [("Cases", "Delivered at", 2, "2026-03-01 10:00"), ("Cases", "Issue type", 2, "no_reason_return")])
    assert run(book, capsys)[0] == 0
    assert "V2-in-the-future" in read(book, "Cases", "Next action", 2) or "in the future" in read(book, "Cases", "Next action", 2)
    assert "W2" not in read(book, "Cases", "Alert", 2)


# ----------------------------------------------------------------- V5: amounts

MONEY = re.compile(r"\d[\d.,\u00a0 ]*\s?(€|\$|¥|£|USD|EUR|CNY|NZD|GBP)|(€|\$|¥|£|USD|EUR|CNY|NZD|GBP)\s?\d")


@pytest.mark.parametrize("value", ["1e27", "6222021234567890123", "1" + "0" * 30, "abc12", "e5"])
def test_an_implausible_or_unreadable_amount_is_v5_and_no_message_states_it(book, capsys, value):
    cell, _ = edit(book, [("Cashback", "Amount", 2, value), ("Cashback", "Paid at", 2, "2025-03-08 10:00")])
    code, output = run(book, capsys)
    assert code == 0
    alert = read(book, "Cashback", "Alert", 2)
    assert "V5" in alert and cell in alert
    message = read(book, "Cashback", "Customer message", 2)
    assert not MONEY.search(message), message
    assert value not in output
    assert read(book, "Cashback", "Alert", 3)  # the other rows ran


# ----------------------------------------------------------------- V7: one key on two rows

@pytest.mark.parametrize("tab, header", [("Cases", "Case ID"), ("Logistics", "Tracking number")])
def test_a_duplicated_key_is_noted_on_both_rows_naming_the_other(book, capsys, tab, header):
    assert run(book, capsys)[0] == 0
    key = read(book, tab, header, 3)
    edit(book, [(tab, header, 7, key)])
    assert run(book, capsys)[0] == 0
    notes = {r: read(book, tab, "Next action", r) for r in (3, 7)}
    assert "V7" in notes[3] and "row 7" in notes[3]
    assert "V7" in notes[7] and "row 3" in notes[7]
    edit(book, [(tab, header, 7, "" if tab == "Cases" else "LX999999995CN")])  # fixed: both rows update again
    assert run(book, capsys)[0] == 0
    assert "V7" not in read(book, tab, "Next action", 3) and "V7" not in read(book, tab, "Next action", 7)


# ----------------------------------------------------------------- a broken Cases tab does not change other tabs' language

def test_a_header_problem_on_cases_rewrites_no_other_message_in_english(book, capsys):
    assert run(book, capsys)[0] == 0
    before = {(tab, r): read(book, tab, "Customer message", r) for tab in ("Cashback", "Reships") for r in (2, 3, 4)}
    wb = openpyxl.load_workbook(book)
    headers = [c.value for c in wb["Cases"][1]]
    wb["Cases"].cell(row=1, column=headers.index("Order ID") + 1).value = "Order number"  # required: Cases unusable
    wb.save(book)
    code = main(["run", "--workbook", str(book), "--now", "2025-03-20T10:00+08:00", "-q"])
    assert code == 1 and "missing column 'Order ID'" in capsys.readouterr().err
    after = {k: read(book, k[0], "Customer message", k[1]) for k in before}
    assert after == before
    ws = openpyxl.load_workbook(book)["Logistics"]
    head = [c.value for c in ws[1]]
    for r in range(2, ws.max_row + 1):
        country = ws.cell(row=r, column=head.index("Destination country") + 1).value
        text = ws.cell(row=r, column=head.index("Customer message") + 1).value or ""
        if country in ("DE", "Germany") and text:
            assert not text.startswith(("Hello", "Hi ")), "a German parcel's message stays German"


# ----------------------------------------------------------------- bad configuration: one line naming the key, exit 1

@pytest.mark.parametrize("toml, key", [
    ('[policy]\nw2_days = 99999999999\n', "policy.w2_days"),
    ('[policy]\nw2_dayz = 3\n', "policy.w2_dayz"),
    ('[tracking]\nstale_dayz = 3\n', "tracking.stale_dayz"),
    ('[scheduler]\nrules_every_minutez = 3\n', "scheduler.rules_every_minutez"),
    ('[report]\nweekz = 3\n', "report.weekz"),
    ('[audit]\nkeep = 3\n', "audit.keep"),
    ('timezone = "Mars/Base"\n', "timezone"),
    ('data_dir = 5\n', "data_dir"),
    ('SECOND', "spreadsheets[1].workbook"),
    ('[[spreadsheets]]\nname = "b"\nworkbook = "ops.xlsx"\n[spreadsheets.policy]\nw3_dayz = 1\n',
     "spreadsheets[1].policy.w3_dayz"),
])
def test_bad_configuration_is_one_line_naming_the_key(book, tmp_path, capsys, toml, key):
    sheet = '[[spreadsheets]]\nname = "a"\nworkbook = "ops.xlsx"\n'
    if toml == "SECOND":  # the same workbook twice, spelled differently
        (tmp_path / "sub").mkdir()
        toml = sheet.replace('"a"', '"b"').replace('"ops.xlsx"', '"sub/../ops.xlsx"')
    text = toml + sheet if not toml.startswith("[[") else sheet + toml
    if toml.startswith(("[policy]", "[tracking]", "[scheduler]", "[report]", "[audit]")):
        text = sheet + toml  # a table after the array of tables would belong to it
    (tmp_path / "c.toml").write_text(text)
    before = book.read_bytes()
    for command in (["status"], ["run", "-q"]):  # checked at load: even a command that runs no job refuses
        assert main([*command, "--config", str(tmp_path / "c.toml"), "--now", WHEN]) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and key in err
    assert book.read_bytes() == before


def test_tilde_in_paths_is_the_home_folder(tmp_path, monkeypatch):
    from sheets_automation.config import load_config

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "c.toml").write_text('data_dir = "~/state"\n[[spreadsheets]]\nname = "a"\nworkbook = "~/ops.xlsx"\n')
    config = load_config(tmp_path / "c.toml")
    assert config.data_dir == tmp_path / "state" and config.spreadsheets[0].workbook == tmp_path / "ops.xlsx"


def test_an_unknown_time_zone_for_a_workbook_is_one_line(book, capsys):
    assert main(["run", "--workbook", str(book), "--timezone", "Mars/Base", "-q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--timezone" in err


# ----------------------------------------------------------------- first contact

def test_a_missing_workbook_creates_nothing(tmp_path, capsys):
    assert main(["run", "--workbook", str(tmp_path / "missing" / "x.xlsx"), "-q"]) == 1
    assert "not found" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_no_network_to_google_is_one_line(tmp_path, capsys):
    """A valid-looking service-account key whose token endpoint refuses connections (a closed
    local port: nothing leaves the machine)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    (tmp_path / "key.json").write_text(json.dumps({
        "type": "service_account", "project_id": "p", "private_key_id": "1", "private_key": pem,
        "client_email": "bot@p.iam.gserviceaccount.com", "client_id": "1", "token_uri": "http://127.0.0.1:9/token"}))
    (tmp_path / "c.toml").write_text('backend = "google"\n[google]\ncredentials_file = "key.json"\nmax_retries = 0\n'
                                     'timeout_seconds = 2\n[[spreadsheets]]\nname = "a"\nspreadsheet_id = "abc"\n')
    assert main(["run", "--config", str(tmp_path / "c.toml"), "--now", WHEN, "-q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach Google" in err and "check the network or proxy" in err
    assert main(["scheduler", "--config", str(tmp_path / "c.toml"), "--once-at", WHEN, "--log-level", "ERROR"]) == 1
    logged = capsys.readouterr().err
    assert "cannot reach Google" in logged and "Traceback" not in logged and "127.0.0.1" not in logged


@pytest.mark.parametrize("make, words", [
    (lambda: PermissionError(13, "Permission denied", "/srv/ops/.sheets-automation"), "permission denied on /srv/ops"),
    (lambda: OSError(28, "No space left on device", "/srv/ops/ops.xlsx"), "cannot use /srv/ops/ops.xlsx: No space"),
    (lambda: __import__("requests").exceptions.ConnectTimeout("HTTPSConnectionPool(host='sheets.googleapis.com', "
                                                              "port=443): timed out"), "cannot reach Google: timed out"),
    (lambda: __import__("requests").exceptions.ConnectionError(
        "HTTPSConnectionPool(host='oauth2.googleapis.com', port=443): Failed to resolve 'oauth2.googleapis.com' "
        "(NameResolutionError)"), "cannot reach Google: name not resolved (DNS)"),
    (lambda: ValueError("x"), None),
])
def test_outside_failures_read_as_one_line(make, words):
    from sheets_automation.failures import one_line

    line = one_line(make())
    assert line is None if words is None else (words in line and "\n" not in line)


def test_a_demo_folder_that_cannot_be_created_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    assert main(["demo", "--dir", str(tmp_path / "file" / "demo"), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / "file") in err


def test_a_read_only_data_folder_is_one_line(book, tmp_path, capsys):
    """A folder this user may not write: 0500 for a normal user; root ignores folder modes,
    so as root (CI) the data folder is one under /sys, where even root may not create one."""
    import os

    if os.geteuid() == 0:
        state = Path("/sys/sheets-automation-test-state")
        data_dir, restore = str(state), lambda: None
    else:
        state = tmp_path / "state"
        state.mkdir(mode=0o500)
        data_dir, restore = "state", lambda: state.chmod(0o700)
    (tmp_path / "c.toml").write_text(f'data_dir = "{data_dir}"\n[[spreadsheets]]\nname = "a"\nworkbook = "ops.xlsx"\n')
    try:
        assert main(["run", "--config", str(tmp_path / "c.toml"), "--now", WHEN, "-q"]) == 1
    finally:
        restore()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(state) in err and ("write access" in err or "writable" in err), err  # names the fix


def test_scheduler_once_exits_1_when_a_run_failed(tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active.title = "Something else"  # no Cases tab: every run fails
    wb.save(tmp_path / "ops.xlsx")
    assert main(["scheduler", "--workbook", str(tmp_path / "ops.xlsx"), "--once-at", WHEN, "--log-level", "ERROR"]) == 1


def test_scheduler_once_exits_0_when_every_run_succeeded(book):
    assert main(["scheduler", "--workbook", str(book), "--once-at", WHEN, "--log-level", "ERROR"]) == 0


def test_after_demo_status_and_history_show_its_runs(demo_master, capsys):
    assert main(["status", "--workbook", str(demo_master), "--now", WHEN]) == 0
    status = capsys.readouterr().out
    demo_line = next(line for line in status.splitlines() if line.startswith("  demo "))
    assert " ok " in demo_line
    assert main(["history", "CS-00002", "--workbook", str(demo_master)]) == 0
    assert "CS-00002" in capsys.readouterr().out
