"""Shared fixtures: fixed clocks and a demo workbook built once per session."""
import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings

# CI explores the same examples every run (a new random example must not decide a landing);
# locally, hypothesis keeps exploring. Neither has a per-example deadline on a 2-core machine.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory) -> Path:
    from sheets_automation.demo import build_demo

    return build_demo(tmp_path_factory.mktemp("demo"), NOW)


@pytest.fixture
def demo_copy(demo_master, tmp_path) -> Path:
    """A private copy of the evaluated demo workbook."""
    target = tmp_path / "ops.xlsx"
    shutil.copy(demo_master, target)
    return target
