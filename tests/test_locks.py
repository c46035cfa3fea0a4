"""One writer per spreadsheet: a second process is refused after a short wait, a manual
``run`` skips with a clear message, and a crashed holder never leaves the sheet locked."""
import subprocess
import sys
import time

import pytest

from sheets_automation.audit import AuditStore
from sheets_automation.cli import main
from sheets_automation.config import SpreadsheetConfig, workbook_config
from sheets_automation.locks import SheetBusyError, SheetLock, lock_path, lock_place
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


def hold(place):
    proc = subprocess.Popen([sys.executable, "-c", HOLD, *map(str, place)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.fixture
def held(tmp_path):
    """Another process holding the lock of the workbook tmp_path/ops.xlsx: ``((dir, name), proc)``."""
    config = workbook_config(tmp_path / "ops.xlsx")
    place = lock_place(config, config.spreadsheets[0])
    proc = hold(place)
    try:
        yield place, proc
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_second_process_waits_briefly_then_is_refused(held):
    place, proc = held
    started = time.monotonic()
    with pytest.raises(SheetBusyError) as exc:
        SheetLock(*place, wait_seconds=0.3, poll_seconds=0.05).acquire()
    waited = time.monotonic() - started
    assert 0.3 <= waited < 5
    assert f"pid {proc.pid} (test holder)" in str(exc.value) and "skipped" in str(exc.value)


def test_waiting_uses_the_injected_sleep(held):
    place, _proc = held
    fake = {"t": 0.0, "sleeps": 0}

    def sleep(s):
        fake["t"] += s
        fake["sleeps"] += 1

    with pytest.raises(SheetBusyError):
        SheetLock(*place, wait_seconds=10, poll_seconds=0.5, sleep=sleep, monotonic=lambda: fake["t"]).acquire()
    assert fake["sleeps"] == 20  # 10 s of polling, no real waiting


def test_manual_run_is_refused_while_another_process_writes(held, tmp_path, capsys):
    path = small_workbook(tmp_path / "ops.xlsx")
    before = path.read_bytes()
    config = workbook_config(path)
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


def test_the_same_workbook_through_another_config_waits_for_the_holder(held, tmp_path, capsys):
    """The lock belongs to the file, not to the config's name or data_dir (issue 13)."""
    path = small_workbook(tmp_path / "ops.xlsx")
    before = path.read_bytes()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "other.toml").write_text('data_dir = "state"\n[scheduler]\nlock_wait_seconds = 0\n'
                                          '[[spreadsheets]]\nname = "client-a"\nworkbook = "../ops.xlsx"\n')
    assert main(["run", "rules", "--config", str(elsewhere / "other.toml"), "--now", NOW.isoformat(), "-q"]) == 1
    assert "'client-a' is being written by another process" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_every_route_to_one_file_names_one_lock(tmp_path):
    path = small_workbook(tmp_path / "ops.xlsx")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "link.xlsx").symlink_to(path)
    (tmp_path / "c.toml").write_text('data_dir = "elsewhere"\n[[spreadsheets]]\nname = "x"\nworkbook = "sub/../ops.xlsx"\n'
                                     '[[spreadsheets]]\nname = "y"\nworkbook = "other.xlsx"\n')
    from sheets_automation.config import load_config

    routes = [workbook_config(path), workbook_config(tmp_path / "sub" / "link.xlsx"), load_config(tmp_path / "c.toml")]
    places = {lock_place(c, c.spreadsheets[0]) for c in routes}
    assert len(places) == 1
    other = routes[2]
    assert lock_place(other, other.spreadsheets[1]) not in places


def test_google_sheets_are_locked_by_spreadsheet_id(tmp_path):
    from sheets_automation.config import config_from_dict

    d = {"backend": "google", "spreadsheets": [{"name": "a", "spreadsheet_id": "ID1"}]}
    one = config_from_dict(d, base_dir=tmp_path)
    two = config_from_dict({**d, "data_dir": "data", "spreadsheets": [{"name": "renamed", "spreadsheet_id": "ID1"}]},
                           base_dir=tmp_path)
    assert lock_place(one, one.spreadsheets[0]) == lock_place(two, two.spreadsheets[0])
