"""The audit trail: what was written (and only that), personal columns fingerprinted,
``history`` and ``status`` from the SQLite store, and the optional bounded Log tab."""
import sqlite3
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook

from sheets_automation.audit import AuditStore, RunRecord, entries_from_result, log_tab
from sheets_automation.backends.base import ApplyResult, CellWrite, RowRef, WritePlan
from sheets_automation.backends.workbook import WorkbookBackend
from sheets_automation.cli import main
from sheets_automation.cli_ops import status_lines
from sheets_automation.config import Config, SpreadsheetConfig, workbook_config
from sheets_automation.runner import RunResult
from sheets_automation.scheduler import execute_run
from tests.test_scheduler import NOW, small_workbook

AT = datetime(2025, 3, 9, 2, 0, tzinfo=timezone.utc)


def result_of(plan, applied, sheet="shop") -> RunResult:
    return RunResult(sheet=sheet, plan=plan, applied=applied, kept=0, tab_errors={}, notes=[], seconds=0.1, rows={})


def test_a_run_records_every_cell_it_wrote_and_history_prints_the_row(tmp_path, capsys):
    path = small_workbook(tmp_path / "ops.xlsx")
    assert main(["run", "rules", "--workbook", str(path), "--now", NOW.isoformat(), "-q"]) == 0
    store = AuditStore.in_dir(workbook_config(path).data_dir)
    run = store.runs()[0]
    assert (run.entry, run.status, run.trigger, run.jobs) == ("run", "ok", "manual", ("rules",))
    alert = next(e for e in store.history_all() if e.tab == "Cases" and e.column == "Alert" and e.new)
    # what the store says was written is what the sheet holds
    ws = load_workbook(path)["Cases"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[header.index("Case ID")] == alert.row_key)
    assert row[header.index("Alert")] == alert.new
    assert alert.rules  # rule IDs behind the value (CellWrite.rule)
    mine = [e for e in store.history_all() if e.run_id == run.run_id]
    appended = {(e.tab, e.row_key) for e in mine if e.tab in ("Logistics", "Reships") and e.rules in ("T6", "S3 C1-C4")}
    assert run.written > 0 and run.appended == len(appended) > 0  # new rows are recorded cell by cell, by key
    assert len(mine) > run.written
    capsys.readouterr()
    assert main(["history", alert.row_key, "--workbook", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"Cases {alert.row_key}  Alert: '' → {alert.new[:59]!r}"[:40] in out
    assert f"[{alert.rules}]" in out and run.run_id in out


def test_history_of_an_unknown_key_says_so(tmp_path, capsys):
    path = small_workbook(tmp_path / "ops.xlsx")
    assert main(["history", "CS-99999", "--workbook", str(path)]) == 0
    assert "no recorded changes for 'CS-99999'" in capsys.readouterr().out


def test_writes_skipped_because_a_person_edited_the_cell_are_not_recorded(tmp_path):
    path = small_workbook(tmp_path / "ops.xlsx")
    backend = WorkbookBackend(path)
    grid = backend.read().grids["Cases"]
    col = grid.rows[0].index("Order ID")
    ref2 = RowRef(key_header="Order ID", key=grid.rows[1][col], row=2)
    ref3 = RowRef(key_header="Order ID", key=grid.rows[2][col], row=3)
    notes = grid.rows[0].index("Support notes")
    plan = WritePlan(cells=[
        CellWrite("Cases", ref2, "Support notes", grid.rows[1][notes] if len(grid.rows[1]) > notes else "", "checked", rule="S1"),
        CellWrite("Cases", ref3, "Support notes", "what the bot read before a person typed", "checked", rule="S1"),
    ])
    applied = backend.apply(plan)
    assert applied.written == 1 and len(applied.skipped) == 1
    entries = entries_from_result(result_of(plan, applied), "r1", AT)
    assert [(e.tab, e.row_key, e.column, e.new, e.rules) for e in entries] == [
        ("Cases", ref2.key, "Support notes", "checked", "S1")]


def test_personal_columns_are_stored_as_fingerprints_never_in_clear(tmp_path):
    ref = RowRef(key_header="Cashback ID", key="CB-00001", row=2)
    plan = WritePlan(cells=[CellWrite("Cashback", ref, "Payee account", "6222 0210 0000 1234", "6222 0210 9999 8888"),
                            CellWrite("返现", ref, "收款账号", "", "alipay 138 0000 0000"),
                            CellWrite("Cashback", ref, "Alert", "", "Overdue · S5 cashback", rule="S5"),
                            CellWrite("_automation", ref, "Fingerprints", "", "{}")])
    entries = entries_from_result(result_of(plan, ApplyResult(written=4)), "r1", AT)
    assert [e.column for e in entries] == ["Payee account", "收款账号", "Alert"]  # the hidden state tab is left out
    assert entries[0].old.startswith("fp:") and entries[0].new.startswith("fp:") and entries[0].old != entries[0].new
    assert entries[1].old == "" and entries[1].new.startswith("fp:")
    assert entries[2].new == "Overdue · S5 cashback"
    store = AuditStore(tmp_path / "audit.sqlite3")
    store.record_writes(entries)
    dump = "\n".join(sqlite3.connect(store.path).iterdump())
    assert "6222" not in dump and "138 0000" not in dump and "Overdue · S5 cashback" in dump


def test_log_tab_mirrors_the_newest_entries_bounded(tmp_path):
    path = small_workbook(tmp_path / "ops.xlsx")
    sheet = SpreadsheetConfig(name="ops", workbook=path)
    config = Config(data_dir=tmp_path / "data", spreadsheets=(sheet,), audit={"log_tab": True, "log_rows": 10})
    store = AuditStore.in_dir(config.data_dir)
    record, _result = execute_run(config, sheet, ["rules"], NOW, store=store)
    assert record.status == "ok" and record.written > 10
    ws = load_workbook(path)["Log"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Time (UTC)", "Run", "Tab", "Row", "Column", "Old", "New", "Rules")
    assert len(rows) == 11 and {r[1] for r in rows[1:]} == {record.run_id}
    assert log_tab([], "Log").rows == (rows[0],)


def test_status_shows_last_and_next_runs_durations_calls_and_failures(tmp_path):
    sheet = SpreadsheetConfig(name="shop", workbook=tmp_path / "shop.xlsx", timezone="Asia/Shanghai")
    config = Config(data_dir=tmp_path / "data", spreadsheets=(sheet,))
    store = AuditStore.in_dir(config.data_dir)
    now = datetime(2025, 3, 10, 9, 5, tzinfo=NOW.tzinfo)
    store.record_run(RunRecord("a", "shop", "report", ("report",), now - timedelta(minutes=5), "ok", "schedule",
                               seconds=1.25, api_calls=3, written=54))
    store.record_run(RunRecord("b", "shop", "rules", ("rules", "messages"), now - timedelta(days=2), "ok", "schedule",
                               api_calls=2))
    store.record_run(RunRecord("c", "shop", "rules", ("rules", "messages"), now - timedelta(minutes=5), "failed",
                               "schedule", error="SpreadsheetAccessError: workbook shop.xlsx not found"))
    lines = status_lines(config, now)
    report = next(line for line in lines if line.strip().startswith("report"))
    rules = next(line for line in lines if line.strip().startswith("rules"))
    assert "Monday 09:00" in report and "2025-03-10 09:00" in report and "1.2s" in report and "2025-03-17 09:00" in report
    assert report.split()[-2:] == ["3", "0"]  # API calls in the last 24 h, failures in 7 days
    assert "failed" in rules and "2025-03-10 09:10" in rules and rules.split()[-2:] == ["0", "1"]
    assert any("last error: SpreadsheetAccessError" in line for line in lines)
    tracking = next(line for line in lines if line.strip().startswith("tracking"))
    assert "never" in tracking and "2025-03-10 10:00" in tracking


def test_log_tab_on_google_sheets_is_created_and_filled_through_the_api(tmp_path):
    from sheets_automation.backends.gsheets import open_google_backend
    from tests.fakes.sheets_api import FakeSheetsAPI
    from tests.test_report_backends import google_tabs

    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", google_tabs())
    sheet = SpreadsheetConfig(name="client-a", spreadsheet_id="sheet-a")
    config = Config(backend="google", data_dir=tmp_path / "data", spreadsheets=(sheet,),
                    audit={"log_tab": True, "log_rows": 20})
    record, _ = execute_run(config, sheet, ["rules"], NOW, store=AuditStore.in_dir(config.data_dir),
                            open_backend=lambda c, s: open_google_backend("sheet-a", session=api.session(),
                                                                          sleep=lambda s: None))
    grid = api.grid("sheet-a", "Log")
    assert grid[0] == ["Time (UTC)", "Run", "Tab", "Row", "Column", "Old", "New", "Rules"] and len(grid) == 21
    assert record.api_calls == len(api.calls)  # every Sheets call of the run, the read included


# --------------------------------------------------------------------------- privacy (#13)

def test_the_database_is_private_to_the_service_user(tmp_path):
    store = AuditStore.in_dir(tmp_path / "data")
    store.record_run(RunRecord("r", "shop", "rules", ("rules",), AT, "ok"))
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    assert store.path.stat().st_mode & 0o777 == 0o600
    wal = store.path.with_name(store.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_mode & 0o077 == 0


def test_values_false_records_cells_and_hashes_never_text(tmp_path):
    from sheets_automation.audit import audit_settings_from_mapping

    settings, errors = audit_settings_from_mapping({"values": False})
    assert errors == []
    store = AuditStore.in_dir(tmp_path / "data", settings)
    ref = RowRef(key_header="Case ID", key="CS-00001", row=2)
    plan = WritePlan(cells=[CellWrite("Cases", ref, "Customer message", "", "Dear Zhang Wei, 12 Long Road", rule="S1")])
    store.record_writes(entries_from_result(result_of(plan, ApplyResult(written=1)), "r1", AT))
    dump = "\n".join(sqlite3.connect(store.path).iterdump())
    assert "Zhang" not in dump and "Long Road" not in dump
    [entry] = store.history("CS-00001")
    assert (entry.tab, entry.column, entry.old) == ("Cases", "Customer message", "") and entry.new.startswith("sha:")


def test_writes_older_than_keep_days_are_deleted(tmp_path):
    from sheets_automation.audit import AuditSettings

    store = AuditStore.in_dir(tmp_path / "data", AuditSettings(keep_days=30))
    now = datetime.now(timezone.utc)
    ref = RowRef(key_header="Case ID", key="CS-00001", row=2)
    plan = WritePlan(cells=[CellWrite("Cases", ref, "Alert", "", "Overdue", rule="S1")])
    for age in (40, 10):
        store.record_writes(entries_from_result(result_of(plan, ApplyResult(written=1)), f"r{age}", now - timedelta(days=age)))
    store.record_run(RunRecord("r10", "shop", "rules", ("rules",), now, "ok"))  # each run purges
    assert [e.run_id for e in store.history("CS-00001")] == ["r10"]


def test_audit_keys_are_checked_by_name():
    from sheets_automation.audit import audit_settings_from_mapping

    cases = {"keep_days": 0, "values": "no", "database_url": "not a url", }
    for key, value in cases.items():
        _settings, errors = audit_settings_from_mapping({key: value})
        assert errors and errors[0].startswith(f"audit.{key}:"), (key, errors)
    _s, errors = audit_settings_from_mapping({"database_url": "postgresql://sa:secret@db/audit"})
    assert errors and "password" in errors[0] and "secret" not in errors[0]
    settings, errors = audit_settings_from_mapping({"database_url": "postgresql://sa@db.internal/audit"})
    assert errors == [] and settings.database_url.startswith("postgresql://")
