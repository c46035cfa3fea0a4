"""Shared fixtures: fixed clocks and a demo workbook built once per session."""
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

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
