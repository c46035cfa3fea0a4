"""#12 item 5, shared run records on a real PostgreSQL server: runs made by separate processes
(as workers on several hosts are) are recorded in the database ``[audit] database_url`` names,
with the URL written as the docs write it (``postgresql://user@host/db``), and ``status`` and
``history`` run as a third process read them. Nothing lands in a local SQLite file."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from sheets_automation.audit import AuditStore, SheetState
from tests.pg_server import postgres_server
from tests.test_scheduler import NOW, small_workbook


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        yield url


def cli(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SHEETS_AUTOMATION_CONFIG"}
    return subprocess.run([sys.executable, "-m", "sheets_automation", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=300)


def test_runs_from_two_processes_are_read_back_by_status_and_history(tmp_path, pg_url):
    for name in ("a", "b"):
        small_workbook(tmp_path / f"{name}.xlsx")
    config = tmp_path / "sheets-automation.toml"
    config.write_text(f'''backend = "workbook"
timezone = "Asia/Shanghai"
data_dir = "data"

[audit]
database_url = "{pg_url}"

[[spreadsheets]]
name = "client-a"
workbook = "a.xlsx"

[[spreadsheets]]
name = "client-b"
workbook = "b.xlsx"
''')
    now = NOW.isoformat()
    procs = [subprocess.Popen([sys.executable, "-m", "sheets_automation", "run", "rules", "--config", str(config),
                               "--sheet", name, "--now", now, "-q"], cwd=tmp_path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in ("client-a", "client-b")]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    status = cli("status", "--config", str(config), "--now", (NOW + timedelta(minutes=1)).isoformat(), cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    blocks = status.stdout.split("client-b")
    assert "client-a" in blocks[0] and len(blocks) == 2
    for block in blocks:  # each spreadsheet's rules run is there, as recorded by its own process
        manual = next(line for line in block.splitlines() if line.strip().startswith("run "))
        assert " ok " in manual and "(manual)" in manual, status.stdout
    history = cli("history", "CS-00002", "--config", str(config), cwd=tmp_path)  # a case both runs wrote
    assert history.returncode == 0 and "client-a" in history.stdout and "client-b" in history.stdout
    assert not [p.name for p in tmp_path.rglob("*.db*")]  # no SQLite records beside the workbooks


def test_change_check_state_and_kept_layouts_round_trip(pg_url):
    store = AuditStore(url=pg_url)
    at = datetime(2025, 3, 9, 2, 0, tzinfo=timezone.utc)
    store.save_sheet_state("client-a", "rules", SheetState("7@2025|ab12", at, at + timedelta(hours=3), at))
    store.save_sheet_state("client-a", "rules", SheetState("8@2025|ab12", at, None, at))  # replaced, not added
    assert store.sheet_state("client-a", "rules") == SheetState("8@2025|ab12", at, None, at)
    store.keep_layout("client-a", '{"v":1}', at)
    assert store.kept_layout("client-a") == ('{"v":1}', at)
    store.keep_layout("client-a", "", at)  # dropped
    assert store.kept_layout("client-a") == ("", None)


def test_a_missing_driver_or_server_is_one_line_naming_the_fix(tmp_path):
    from sheets_automation.errors import ConfigError

    with pytest.raises(ConfigError, match="database_url") as err:
        AuditStore(url="postgresql://sa@127.0.0.1:1/none")  # nothing listens on port 1
    assert "\n" not in str(err.value)


def test_workers_starting_together_on_an_empty_database_all_open_it(pg_url):
    """Six processes open the store at once on a database with no tables yet (a fleet of
    workers started together): the tables are made once and nobody fails."""
    import sqlalchemy as sa

    from sheets_automation.audit import driver_url

    admin = sa.create_engine(driver_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(sa.text("CREATE DATABASE fleet"))
    admin.dispose()
    url = pg_url.rsplit("/", 1)[0] + "/fleet"
    code = ("import sys; from sheets_automation.audit import AuditStore; "
            "AuditStore(url=sys.argv[1]).runs(); print('ok')")
    procs = [subprocess.Popen([sys.executable, "-c", code, url], text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(6)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [out.strip() for out, _err in results] == ["ok"] * 6, [err[-300:] for _out, err in results]
