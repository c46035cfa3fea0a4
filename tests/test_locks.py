"""One writer per spreadsheet: a second process is refused after a short wait, a manual
``run`` skips with a clear message, and a crashed holder never leaves the sheet locked."""
import subprocess
import sys
import time

import pytest

from sheets_automation.audit import AuditStore
from sheets_automation.cli import main
from sheets_automation.config import SpreadsheetConfig, workbook_config
from sheets_automation.locks import SheetBusyError, SheetLock, lock_path
from sheets_automation.scheduler import SheetScheduler
from sheets_automation.timetable import Entry, Trigger
from tests.test_scheduler import NOW, small_workbook

HOLD = """
import sys, time
from sheets_automation.locks import SheetLock
lock = SheetLock(sys.argv[1], sys.argv[2], wait_seconds=0, holder="test holder")
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture
def held(tmp_path):
    """Another process holding the lock of spreadsheet "ops" under tmp_path/.sheets-automation."""
    data_dir = tmp_path / ".sheets-automation"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir), "ops"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        yield data_dir, proc
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_second_process_waits_briefly_then_is_refused(held):
    data_dir, proc = held
    started = time.monotonic()
    with pytest.raises(SheetBusyError) as exc:
        SheetLock(data_dir, "ops", wait_seconds=0.3, poll_seconds=0.05).acquire()
    waited = time.monotonic() - started
    assert 0.3 <= waited < 5
    assert f"pid {proc.pid} (test holder)" in str(exc.value) and "skipped" in str(exc.value)


def test_waiting_uses_the_injected_sleep(held):
    data_dir, _proc = held
    fake = {"t": 0.0, "sleeps": 0}

    def sleep(s):
        fake["t"] += s
        fake["sleeps"] += 1

    with pytest.raises(SheetBusyError):
        SheetLock(data_dir, "ops", wait_seconds=10, poll_seconds=0.5, sleep=sleep, monotonic=lambda: fake["t"]).acquire()
    assert fake["sleeps"] == 20  # 10 s of polling, no real waiting


def test_manual_run_is_refused_while_another_process_writes(held, tmp_path, capsys):
    path = small_workbook(tmp_path / "ops.xlsx")
    before = path.read_bytes()
    config = workbook_config(path)
    assert config.data_dir == held[0]
    (tmp_path / "sa.toml").write_text('data_dir = ".sheets-automation"\n[scheduler]\nlock_wait_seconds = 0.5\n'
                                      '[[spreadsheets]]\nname = "ops"\nworkbook = "ops.xlsx"\n')
    started = time.monotonic()
    assert main(["run", "rules", "--config", str(tmp_path / "sa.toml"), "--now", NOW.isoformat(), "-q"]) == 1
    assert 0.5 <= time.monotonic() - started < 5  # waited briefly (lock_wait_seconds), then skipped
    err = capsys.readouterr().err
    assert "skipped: spreadsheet 'ops' is being written by another process" in err
    assert path.read_bytes() == before
    assert [r.status for r in AuditStore.in_dir(config.data_dir).runs()] == ["skipped"]


def test_scheduler_skips_a_busy_sheet_and_does_not_count_it_as_run(held, tmp_path):
    path = small_workbook(tmp_path / "ops.xlsx")
    sheet = SpreadsheetConfig(name="ops", workbook=path, scheduler={"lock_wait_seconds": 0})
    config = workbook_config(path)
    config = type(config)(data_dir=config.data_dir, spreadsheets=(sheet,))
    scheduler = SheetScheduler(config)
    assert scheduler.run_entry(sheet, Entry("rules", ("rules",), Trigger(every_minutes=10)), "schedule") is None
    store = AuditStore.in_dir(config.data_dir)
    assert [r.status for r in store.runs()] == ["skipped"] and store.last_started("ops", "rules") is None


def test_a_killed_holder_releases_the_lock(tmp_path):
    data_dir = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir), "ops"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    proc.kill()
    proc.wait(timeout=10)
    proc.stdout.close()
    with SheetLock(data_dir, "ops", wait_seconds=0) as lock:
        assert lock.held
    assert lock_path(data_dir, "ops").exists()  # the file stays; only the kernel lock mattered


@pytest.mark.parametrize("name, file", [("ops", "ops.lock"), ("client a/b", "client_a_b.lock"), ("../x", "x.lock"),
                                        ("售后", "sheet.lock")])
def test_lock_files_have_safe_names(tmp_path, name, file):
    assert lock_path(tmp_path, name) == tmp_path / "locks" / file


def test_the_lock_is_released_after_each_run(tmp_path):
    for _ in range(3):
        with SheetLock(tmp_path, "ops", wait_seconds=0) as lock:
            assert lock.held
        assert not lock.held
