"""Shared inputs for the bench scripts: synthetic sheets of any size, built from the demo rows,
and how repeated measurements are summed up (:func:`typical`).

Not a benchmark itself. Cases are the demo's 220 sample cases repeated with fresh Case IDs
and Order IDs; the other tabs keep the demo's sizes (parcels, cashback, reships).
"""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the fakes live in tests/fakes
    sys.path.insert(0, str(ROOT))

from sheets_automation.config import Config, SpreadsheetConfig  # noqa: E402
from sheets_automation.demo import sample_rows  # noqa: E402
from sheets_automation.schema import shipped_schemas  # noqa: E402

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TZ = "Asia/Shanghai"
SID = "bench-sheet"
SHEET = SpreadsheetConfig(name="bench", spreadsheet_id=SID)
GOOGLE = Config(backend="google", spreadsheets=(SHEET,))
JOBS = ["tracking", "rules", "messages"]


def make_tabs(cases: int) -> dict[str, list[list[str]]]:
    """{tab title: [header, rows…]} with ``cases`` Cases rows."""
    rows = sample_rows(NOW)
    tabs: dict[str, list[list[str]]] = {}
    for stem in ("cases", "logistics", "cashback", "reships"):
        schema = shipped_schemas()[stem]
        data = rows[stem]
        if stem == "cases":
            data = [dict(data[i % len(data)], case_id=f"CS-{i + 1:06d}", order_id=f"#{100000 + i}")
                    for i in range(cases)]
        tabs[schema.tab] = [list(schema.headers)] + [[r.get(f, "") for f in schema.fields] for r in data]
    tabs["Weekly report"] = []
    return tabs


def write_workbook(path: Path, tabs: dict[str, list[list[str]]]) -> Path:
    """A workbook holding ``tabs`` (write-only mode: fast even at 100k rows)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, rows in tabs.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append([v if v != "" else None for v in row])
    state = wb.create_sheet("_automation")
    state.append(["Row key", "Fingerprints"])
    state.sheet_state = "hidden"
    wb.save(path)
    return path


def typical(runs: list[dict]) -> dict:
    """The run of median ``cpu_s`` (the lower middle one for an even count), with the highest
    ``peak_rss_mb`` of them all: one slow spell of a shared machine moves neither."""
    middle = sorted(runs, key=lambda r: r["cpu_s"])[(len(runs) - 1) // 2]
    return {**middle, "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}
