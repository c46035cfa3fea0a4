"""Benchmark: our batched writes against the naive way, one gspread call per cell.

Plain script, not a test::

    python bench/naive_vs_batched.py            # measure 100 and 1k rows, extrapolate to 100k
    python bench/naive_vs_batched.py 100 500    # chosen measured sizes

For each size, one fresh fake spreadsheet per approach, same data, same ``now``:

* **batched**: ``run_once`` (tracking, rules, messages) as shipped: read, re-read, write;
* **naive**: what most scripts do: ``open_by_key`` + ``get_all_values`` per tab, compute the
  same cells (we reuse our plan, so only the write pattern differs), then
  ``Worksheet.update_cell`` for each one: one API call per cell (and ``USER_ENTERED``, so
  customer text starting with ``=`` would become a formula).

Both are measured for real on the fake; larger sizes are extrapolated from the cells per
row measured at the largest size. "At quota" is the wall time Google's 60 write requests
per minute per user allow, ignoring latency.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data as data  # noqa: E402

import gspread  # noqa: E402

from sheets_automation.backends.gsheets import open_google_backend  # noqa: E402
from sheets_automation.runner import run_once  # noqa: E402
from tests.fakes.sheets_api import FakeSheetsAPI  # noqa: E402

MEASURED = [100, 1_000]
EXTRAPOLATED = [10_000, 100_000]
WRITES_PER_MINUTE = 60


def fresh(n: int) -> FakeSheetsAPI:
    api = FakeSheetsAPI()
    api.add_spreadsheet(data.SID, "Bench", data.TZ, data.make_tabs(n), row_count=n + 1000)
    return api


def batched(n: int) -> tuple[int, int, int, float]:
    api = fresh(n)
    started = time.perf_counter()
    result = run_once(open_google_backend(data.SID, session=api.session(), sleep=lambda s: None), data.GOOGLE,
                      data.SHEET, data.JOBS, data.NOW)
    return len(result.plan.cells), len(api.reads), len(api.writes), time.perf_counter() - started


def naive(n: int) -> tuple[int, int, int, float]:
    plan_api = fresh(n)
    plan = run_once(open_google_backend(data.SID, session=plan_api.session(), sleep=lambda s: None), data.GOOGLE,
                    data.SHEET, data.JOBS, data.NOW, dry_run=True).plan
    api = fresh(n)
    started = time.perf_counter()
    book = gspread.Client(auth=None, session=api.session()).open_by_key(data.SID)
    sheets = {ws.title: ws for ws in book.worksheets()}
    headers = {}
    for tab in {w.tab for w in plan.cells if w.tab in sheets}:
        headers[tab] = sheets[tab].get_all_values()[0]
    cells = [w for w in plan.cells if w.tab in headers]
    for w in cells:
        sheets[w.tab].update_cell(w.ref.row, headers[w.tab].index(w.header) + 1, w.new)
    return len(cells), len(api.reads), len(api.writes), time.perf_counter() - started


def at_quota(writes: int) -> str:
    minutes = writes / WRITES_PER_MINUTE
    return f"{minutes * 60:.0f} s" if minutes < 1 else f"{minutes:.0f} min" if minutes < 120 else \
        f"{minutes / 60:.0f} h" if minutes < 2880 else f"{minutes / 1440:.0f} days"


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or MEASURED
    print("| rows | cells written | batched calls (read + write) | batched at quota | naive calls (read + write) "
          "| naive at quota | naive / batched calls | measured? | batched wall | naive wall |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    per_row, reads = 0.0, 0
    for n in sizes:
        cells, br, bw, bt = batched(n)
        ncells, nr, nw, nt = naive(n)
        per_row, reads = cells / n, nr
        print(f"| {n:,} | {cells:,} | {br} + {bw} | {at_quota(bw)} | {nr} + {nw:,} | {at_quota(nw)} | "
              f"{(nr + nw) / (br + bw):,.0f}x | yes | {bt:.1f} s | {nt:.1f} s |", flush=True)
    if not argv:
        for n in EXTRAPOLATED:
            cells = round(per_row * n)
            print(f"| {n:,} | ~{cells:,} | 2 + 2 | 2 s | {reads} + ~{cells:,} | {at_quota(cells)} | "
                  f"~{(reads + cells) / 4:,.0f}x | extrapolated | | |")


if __name__ == "__main__":
    main(sys.argv[1:])
