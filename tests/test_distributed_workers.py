"""#12 item 6: two real Celery worker processes, a real redis-server, 200 client sheets on the
fake Sheets API over loopback HTTP, 60 calls a minute per service account.

Asserts: no two workers ever wrote one sheet at once (duplicate tasks race for the lock),
no 429 from Google, a worker killed in the middle of a write changes nothing wrongly (its
task is redelivered and every sheet ends as one clean run would leave it), and idle sheets
cost 0 Sheets calls (only Drive's ``files.get``).
"""
import copy
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import redis

from sheets_automation.audit import AuditStore, SheetState
from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.backends.gsheets_drive import drive_version
from sheets_automation.changes import settings_fingerprint
from sheets_automation.config import Config, SpreadsheetConfig, load_config
from sheets_automation.distributed.app import TASK_NAME, make_app
from sheets_automation.runner import run_once
from tests.fakes.loopback import LoopbackServer, session_factory
from tests.fakes.sheets_api import FakeSheetsAPI
from tests.redis_server import redis_server
from tests.test_google_end_to_end import NOW, tabs_with

ROOT = Path(__file__).resolve().parents[1]
SHEETS, ACCOUNTS, EDITED = 200, 4, 20
SLOT1, SLOT2 = NOW, NOW + timedelta(minutes=10)
JOBS = ["rules", "messages"]


def settle(api: FakeSheetsAPI, sid: str, now) -> None:
    """Run the rules entry in-process until it writes nothing (what one clean worker would do)."""
    sheet = SpreadsheetConfig(name=sid, spreadsheet_id=sid, timezone="Asia/Shanghai")
    config = Config(backend="google", spreadsheets=(sheet,))
    for _ in range(5):
        backend = open_google_backend(sid, session=api.session(), sleep=lambda s: None)
        if not run_once(backend, config, sheet, JOBS, now).plan:
            return
    raise AssertionError("did not settle")


def last_run(api: FakeSheetsAPI, sid: str, now):
    sheet = SpreadsheetConfig(name=sid, spreadsheet_id=sid, timezone="Asia/Shanghai")
    backend = open_google_backend(sid, session=api.session(), sleep=lambda s: None)
    return run_once(backend, Config(backend="google", spreadsheets=(sheet,)), sheet, JOBS, now)


def grids(api, sid):
    return {s.title: api.grid(sid, s.title) for s in api.spreadsheets[sid].sheets}


def person_edits(api, sid):
    one = FakeSheetsAPI()
    one.spreadsheets = {sid: api.spreadsheets[sid]}
    cases = one.grid(sid, "Cases")
    col = cases[0].index("Status")
    from tests.fakes.sheets_api import col_letters

    one.human_set("Cases", f"{col_letters(col + 1)}2", "resolved")


def write_config(tmp_path, url) -> Path:
    lines = [f'backend = "google"', f'data_dir = "{tmp_path / "data"}"', 'timezone = "Asia/Shanghai"',
             "[google.service_accounts]"] + [f'a{k} = "keys/a{k}.json"' for k in range(ACCOUNTS)] + [
        "[scheduler]", "tracking_every_minutes = 0", 'cashback_check_at = ""', 'report_at = ""',
        "[distributed]", f'broker_url = "{url}"', "lock_ttl_seconds = 6", "visibility_timeout_seconds = 8"]
    for i in range(SHEETS):
        lines += ["[[spreadsheets]]", f'name = "s{i:03d}"', f'spreadsheet_id = "s{i:03d}"',
                  f'service_account = "a{i % ACCOUNTS}"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_worker(config_path, port, n):
    with open(config_path.parent / f"worker{n}.log", "wb") as log:  # the child keeps its own copy
        return subprocess.Popen([sys.executable, "-m", "tests.fakes.worker_main", str(config_path), str(port), str(n)],
                                cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log)


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_workers_share_200_sheets_without_overlap_429s_or_idle_reads(tmp_path):
    api = FakeSheetsAPI()
    api.add_spreadsheet("template", "Client", "Asia/Shanghai", tabs_with(6), row_count=40)
    settle(api, "template", SLOT1)
    settled = last_run(api, "template", SLOT1)  # every copy's last run: it wrote nothing, and says when to look again
    assert not settled.plan and settled.next_change > SLOT2
    ids = [f"s{i:03d}" for i in range(SHEETS)]
    for sid in ids:
        book = copy.deepcopy(api.spreadsheets["template"])
        book.spreadsheet_id = sid
        api.spreadsheets[sid] = book
    edited = ids[::SHEETS // EDITED]
    expected = FakeSheetsAPI()  # one clean run after the same edit, in-process (every copy gets the same edit)
    expected.spreadsheets["template"] = copy.deepcopy(api.spreadsheets["template"])
    person_edits(expected, "template")
    settle(expected, "template", SLOT2)
    with redis_server(tmp_path) as url:
        config_path = write_config(tmp_path, url)
        config = load_config(config_path)
        with redis.Redis.from_url(url) as c:  # a shared server (REDIS_URL) may hold other tests' buckets
            c.flushdb()
        store = AuditStore.for_config(config)
        producer = make_app(config)
        with LoopbackServer(api, {sid: f"a{i % ACCOUNTS}" for i, sid in enumerate(ids)}) as server:
            workers = [start_worker(config_path, server.port, n) for n in (1, 2)]
            try:
                # each sheet's last full run was at SLOT1 (the template's, on identical copies: version 1)
                drive = session_factory(server.port)(config, config.spreadsheets[0])
                for sid in ids:
                    version = f"{drive_version(drive, sid)}|{settings_fingerprint(config, config.spreadsheet(sid))}"
                    store.save_sheet_state(sid, "rules", SheetState(version, SLOT1, settled.next_change, SLOT1))
                phase2 = len(server.log)
                # people edit 10 %; every task is sent, the edited sheets' twice (as two beats might)
                for sid in edited:
                    person_edits(api, sid)
                    server.touch(sid)
                server.slow[edited[0]] = 3.0  # its write is held while we kill the worker sending it
                for sid in ids + edited:
                    producer.send_task(TASK_NAME, args=[sid, "rules", SLOT2.isoformat()])
                wait_for(lambda: edited[0] in server.in_slow, 60, "the held write")
                victim = next(w for w in workers if server.held[edited[0]][0] in _family(w.pid))
                os.killpg(victim.pid, signal.SIGKILL)
                victim.wait()
                wait_for(lambda: len(store.runs(limit=2000)) >= SHEETS + EDITED, 150, "every task")
            finally:
                for w in workers:
                    if w.poll() is None:
                        os.killpg(w.pid, signal.SIGTERM)
                for w in workers:
                    try:
                        w.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        os.killpg(w.pid, signal.SIGKILL)
                        w.wait()
    log = server.log
    assert not [e for e in log if e[6] == 429], "Google answered 429"
    # one writer per sheet: the request intervals of different attempts (task, pid) never overlap on a sheet
    spans: dict[tuple, list[float]] = {}
    for sid, kind, task, pid, t0, t1, _status in log:
        if kind != "drive":
            s = spans.setdefault((sid, task, pid), [t0, t1])
            s[0], s[1] = min(s[0], t0), max(s[1], t1)
    by_sheet: dict[str, list] = {}
    for (sid, _task, _pid), (t0, t1) in spans.items():
        by_sheet.setdefault(sid, []).append((t0, t1))
    for sid, intervals in by_sheet.items():
        intervals.sort()
        assert all(a[1] <= b[0] for a, b in zip(intervals, intervals[1:])), f"two writers at once on {sid}"
    # idle sheets: Drive only, no Sheets call in phase 2
    idle = set(ids) - set(edited)
    assert not [e for e in log[phase2:] if e[0] in idle and e[1] != "drive"]
    assert {e[0] for e in log[phase2:] if e[1] == "drive"} >= idle
    # the killed attempt's task was redelivered to the other worker, which finished it (in full, or
    # as "unchanged" when the duplicate task had already settled the sheet)
    killed_pid, killed_task = server.held[edited[0]]
    assert killed_task and any(e[2] == killed_task and e[3] != killed_pid for e in log)
    # every sheet ends as one clean run leaves it, the killed one included
    for sid in edited:
        assert grids(api, sid) == grids(expected, "template"), sid
    for sid in list(idle)[:20]:
        assert grids(api, sid) == grids(api, "template")
    statuses = [r.status for r in store.runs(limit=2000) if r.started and r.trigger == "worker"]
    assert statuses.count("unchanged") >= len(idle) and "failed" not in statuses


def _family(pid: int) -> set[int]:
    """``pid`` and its children (a Celery worker and its pool process)."""
    out = {pid}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().split(") ")[1].split()[1]) == pid:
                    out.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return out
