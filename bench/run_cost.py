"""Benchmark: Sheets API calls, wall time and peak memory of one full run, by sheet size.

Plain script, not a test::

    python bench/run_cost.py                      # Google fake 10 … 100k, workbook 1k … 100k
    python bench/run_cost.py google 10 1000       # one backend, chosen sizes

Every measurement runs in its own process (so peak RSS is that run's alone) and covers a
full ``run_once`` of the three jobs (tracking with the simulated provider, rules,
messages) on a fresh sheet, then a second run (which evaluates the rows the first one
created; only up to 10k rows, to keep the script under ten minutes). For Google, the in-memory fake Sheets API lives in the same process: its copy of
the spreadsheet and the JSON it serves are part of the peak. Calls are counted by the
fake (``reads``: GET, ``writes``: POST/PUT).
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data as data  # noqa: E402

GOOGLE_SIZES = [10, 100, 1_000, 10_000, 100_000]
WORKBOOK_SIZES = [1_000, 10_000, 100_000]
SECOND_RUN_UP_TO = 10_000  # the second run at 100k adds ~4 min; the whole script stays under 10 min


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def one_google(n: int) -> dict:
    from sheets_automation.backends.gsheets import open_google_backend
    from sheets_automation.runner import run_once
    from tests.fakes.sheets_api import FakeSheetsAPI

    api = FakeSheetsAPI()
    api.add_spreadsheet(data.SID, "Bench", data.TZ, data.make_tabs(n), row_count=n + 1000)
    before = rss_mb()
    out: dict = {"backend": "google (fake API)", "rows": n, "rss_before_mb": round(before)}
    for run in (1, 2) if n <= SECOND_RUN_UP_TO else (1,):
        api.calls.clear()
        started = time.perf_counter()
        backend = open_google_backend(data.SID, session=api.session(), sleep=lambda s: None)
        result = run_once(backend, data.GOOGLE, data.SHEET, data.JOBS, data.NOW)
        out[f"run{run}_s"] = round(time.perf_counter() - started, 2)
        out[f"run{run}_calls"] = f"{len(api.reads)} read + {len(api.writes)} write"
        out[f"run{run}_cells"] = len(result.plan.cells)
        if run == 1:
            out["peak_rss_mb"] = round(rss_mb())
    return out


def one_workbook(n: int) -> dict:
    from sheets_automation.backends.workbook import WorkbookBackend
    from sheets_automation.config import workbook_config
    from sheets_automation.runner import run_once

    folder = Path(tempfile.mkdtemp(prefix="bench-wb-"))
    path = data.write_workbook(folder / "ops.xlsx", data.make_tabs(n))
    config = workbook_config(path, timezone=data.TZ, data_dir=folder / "state")
    before = rss_mb()
    out: dict = {"backend": "workbook", "rows": n, "rss_before_mb": round(before),
                 "file_mb": round(path.stat().st_size / 2 ** 20, 1)}
    for run in (1, 2) if n <= SECOND_RUN_UP_TO else (1,):
        started = time.perf_counter()
        result = run_once(WorkbookBackend(path), config, config.spreadsheets[0], data.JOBS, data.NOW)
        out[f"run{run}_s"] = round(time.perf_counter() - started, 2)
        out[f"run{run}_calls"] = "0 (local file)"
        out[f"run{run}_cells"] = len(result.plan.cells)
        if run == 1:
            out["peak_rss_mb"] = round(rss_mb())
    return out


def measure(backend: str, n: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--one", backend, str(n)], capture_output=True, text=True)
    if proc.returncode:
        return {"backend": backend, "rows": n, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        backend, n = argv[1], int(argv[2])
        print(json.dumps(one_google(n) if backend == "google" else one_workbook(n)))
        return
    plan = [("google", n) for n in GOOGLE_SIZES] + [("workbook", n) for n in WORKBOOK_SIZES]
    if argv:
        plan = [(argv[0], int(n)) for n in argv[1:]]
    cols = ["backend", "rows", "run1_calls", "run1_cells", "run1_s", "peak_rss_mb", "rss_before_mb", "run2_calls",
            "run2_cells", "run2_s"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for backend, n in plan:
        row = measure(backend, n)
        if "error" in row:
            print(f"| {backend} | {n} | error: {row['error']} |")
        else:
            print("| " + " | ".join(str(row.get(c, "")) for c in cols) + " |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
