"""SIGTERM stops the scheduler cleanly: the run in progress finishes its write, no new run
starts, exit code 0, and the workbook is intact (a real subprocess on the demo workbook)."""
import json
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from sheets_automation.audit import AuditStore, RunRecord

CONFIG = """
backend = "workbook"
data_dir = "data"
[scheduler]
tracking_every_minutes = 0
rules_every_minutes = 10
cashback_check_at = ""
report_at = ""
[[spreadsheets]]
name = "ops"
workbook = "ops.xlsx"
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_finishes_the_write_in_progress_then_exits(demo_copy, signum):
    folder = demo_copy.parent
    (folder / "sa.toml").write_text(CONFIG)
    sheets_before = load_workbook(demo_copy, read_only=True).sheetnames
    store = AuditStore.in_dir(folder / "data")
    # the rules entry last ran yesterday: the scheduler makes it up as soon as it starts
    store.record_run(RunRecord("seed", "ops", "rules", ("rules", "messages"),
                               datetime.now(timezone.utc) - timedelta(days=1), "ok", "schedule"))
    proc = subprocess.Popen([sys.executable, "-m", "sheets_automation", "scheduler", "--config", str(folder / "sa.toml"),
                             "--log-format", "json", "--log-level", "DEBUG"],
                            stderr=subprocess.PIPE, text=True, cwd=folder)
    lines = []
    try:
        for line in proc.stderr:
            lines.append(json.loads(line))
            if lines[-1]["message"] == "run started":
                proc.send_signal(signum)  # mid-run: the write must still complete
                break
        _out, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    lines += [json.loads(x) for x in rest.splitlines() if x.strip()]
    messages = [m["message"] for m in lines]
    assert proc.returncode == 0, messages
    assert messages.index("stopping after the run in progress") < messages.index("run finished") \
        < messages.index("scheduler stopped")
    finished = next(m for m in lines if m["message"] == "run finished")
    assert finished["status"] == "ok" and finished["trigger"] == "make-up" and finished["cells"] > 0
    assert messages.count("run started") == 1  # nothing new started after the signal
    # intact: opens, same tabs, no temporary file left beside it, the write recorded
    assert load_workbook(demo_copy, read_only=True).sheetnames == sheets_before
    assert not list(folder.glob(".ops.*.tmp"))
    made_up = [r for r in store.runs() if r.run_id != "seed"]
    assert [(r.status, r.trigger) for r in made_up] == [("ok", "make-up")]
    assert made_up[0].written == finished["cells"] > 0
