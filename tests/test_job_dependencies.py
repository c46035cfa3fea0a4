"""Jobs share evaluations, but what a run writes never depends on the order its jobs are
given in (issue #14: explicit dependencies, ``Job.uses``, instead of a shared memo that only
held what earlier jobs had left in it). Driven through ``run_once``, the public entry a
second program (the scheduler, a task queue) calls with any job list."""
from datetime import datetime

from sheets_automation.backends.workbook import WorkbookBackend
from sheets_automation.config import workbook_config
from sheets_automation.jobs import JOBS
from sheets_automation.runner import run_once

LATER = datetime.fromisoformat("2025-03-20T10:00+08:00")


def planned(path, jobs):
    config = workbook_config(path, timezone="Asia/Shanghai")
    result = run_once(WorkbookBackend(path), config, config.spreadsheets[0], jobs, LATER, dry_run=True)
    return {(w.tab, w.ref.key, w.header, w.new) for w in result.plan.cells}


def test_the_same_jobs_in_any_order_plan_the_same_cells(demo_copy):
    forward = planned(demo_copy, ["tracking", "rules", "messages"])
    backward = planned(demo_copy, ["messages", "rules", "tracking"])
    assert forward and forward == backward


def test_jobs_declare_the_evaluations_they_reuse():
    assert JOBS["messages"].uses == ("tracking",) and JOBS["rules"].uses == ("tracking",)
    assert all(set(job.uses) <= set(JOBS) - {name} for name, job in JOBS.items())
