"""A process killed at a random moment while saving a workbook leaves the old or the new file.

``WorkbookBackend.apply`` runs in a forked child (everything already imported, so a
trial costs milliseconds); the parent SIGKILLs it after a random delay spread over the
whole apply (load, place, save to a temp file, fsync, rename). Whatever the moment, the
workbook must open and hold exactly the cells of before or of after the apply.
"""
from __future__ import annotations

import multiprocessing
from collections import Counter
import os
import random
import shutil
import signal
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from sheets_automation.backends.workbook import WorkbookBackend
from sheets_automation.config import workbook_config
from sheets_automation.demo import sample_plan
from sheets_automation.runner import run_once
from sheets_automation.schema import shipped_schemas

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TRIALS = 30


def contents(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    try:
        return {ws.title: [tuple(c for c in row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    """(old file, plan of a run over it, old contents, new contents, seconds one apply takes)."""
    folder = tmp_path_factory.mktemp("kill")
    old = folder / "ops.xlsx"
    backend = WorkbookBackend(old)
    backend.init_layout([shipped_schemas()["weekly_report"]])  # as the demo does
    sample, kept = sample_plan(NOW), Counter()
    sample.appends = [a for a in sample.appends if kept.update([a.tab]) or kept[a.tab] <= 30]  # a quick save
    backend.apply(sample)
    config = workbook_config(old, timezone="Asia/Shanghai", data_dir=folder / "state")
    plan = run_once(backend, config, config.spreadsheets[0], ["rules", "messages"], NOW, dry_run=True).plan
    assert plan
    new = folder / "new.xlsx"
    shutil.copy(old, new)
    started = time.perf_counter()
    WorkbookBackend(new).apply(plan)
    seconds = time.perf_counter() - started
    return old, plan, contents(old), contents(new), seconds


def _apply(path: str, plan) -> None:
    WorkbookBackend(path).apply(plan)
    os._exit(0)


def test_a_kill_at_any_moment_of_a_save_leaves_the_old_or_the_new_workbook(workbook, tmp_path):
    old, plan, before, after, seconds = workbook
    assert before != after
    fork = multiprocessing.get_context("fork")
    rng = random.Random(20250309)
    span = max(seconds, _child_seconds(fork, old, plan, tmp_path))  # a busy machine forks and runs slower
    outcomes = {"old": 0, "new": 0}
    for trial in range(TRIALS):
        path = tmp_path / f"trial{trial}" / "ops.xlsx"
        path.parent.mkdir()
        shutil.copy(old, path)
        child = fork.Process(target=_apply, args=(str(path), plan))
        child.start()
        time.sleep(rng.uniform(0, span * 1.3))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        seen = contents(path)  # must open
        assert seen in (before, after), f"trial {trial}: the workbook is neither the old nor the new one"
        outcomes["old" if seen == before else "new"] += 1
    assert outcomes["old"] and outcomes["new"], f"kills should land both before and after the rename: {outcomes}"


def _child_seconds(fork, old: Path, plan, tmp_path: Path) -> float:
    """How long a forked child takes from start to exit here and now (slowest of three)."""
    spans = []
    for i in range(3):
        path = tmp_path / f"timing{i}" / "ops.xlsx"
        path.parent.mkdir()
        shutil.copy(old, path)
        started = time.perf_counter()
        child = fork.Process(target=_apply, args=(str(path), plan))
        child.start()
        child.join()
        spans.append(time.perf_counter() - started)
    return max(spans)


def test_a_killed_save_leaves_no_lock_that_blocks_the_next_run(workbook, tmp_path):
    """After a kill, the next apply goes through (a stray temp file is not a lock file)."""
    old, plan, _before, after, seconds = workbook
    path = tmp_path / "ops.xlsx"
    shutil.copy(old, path)
    child = multiprocessing.get_context("fork").Process(target=_apply, args=(str(path), plan))
    child.start()
    time.sleep(seconds * 0.6)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    WorkbookBackend(path).apply(plan)  # after a kill past the rename: every write is skipped as already done
    assert contents(path) == after
    assert not list(path.parent.glob(".ops.*.xlsx.tmp")), "a killed save's temp copy (customer data) is removed"
