"""Benchmark: peak memory and CPU of Google runs, the fake Sheets API in another process (#15).

Plain script, not a test::

    python bench/google_memory.py               # 10k and 100k case rows
    python bench/google_memory.py 100000
    python bench/google_memory.py --repeat 3 10000 100000   # 3 fresh sheets each: medians

``google_bytes.py`` keeps the fake in the run's process, so its peak RSS is the product's
and the fake's copy of the spreadsheet together. Here the fake (``tests/fakes``) is served
over loopback HTTP by a process of its own, and every run is a process of its own that
reaches it through the same ``requests`` adapter the worker tests use, so each line's peak
RSS and CPU seconds are the product's alone (imports excluded from the CPU, included in
the RSS). For each size: a writing run (the first run on a fresh synthetic sheet), then
runs until one writes nothing; that last one is the idle run. With ``--repeat K`` that is
done K times, each on a fresh fake, and each line shows the median CPU and the highest
peak RSS.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))
import bench_data as data  # noqa: E402

SIZES = [10_000, 100_000]
ACCOUNT = "bench"


def serve(n: int) -> None:
    """The fake Sheets API with an ``n``-case sheet, on a loopback port, until stdin closes."""
    from tests.fakes.loopback import LoopbackServer
    from tests.fakes.sheets_api import FakeSheetsAPI

    api = FakeSheetsAPI()
    api.add_spreadsheet(data.SID, "Bench", data.TZ, data.make_tabs(n), row_count=n + 1000)
    with LoopbackServer(api, {data.SID: ACCOUNT}, per_minute=10 ** 6) as server:
        print(server.port, flush=True)
        sys.stdin.read()


def run(port: int) -> dict:
    """One run of the product against the fake at ``port``, in this process."""
    import requests

    from sheets_automation.backends.gsheets import open_google_backend
    from sheets_automation.runner import run_once
    from tests.fakes.loopback import LoopbackAdapter

    import holidays.countries  # noqa: F401  (the calendar imports its country on first use)
    import sheets_automation.jobs  # noqa: F401  (imports out of the CPU measurement)

    session = requests.Session()
    session.trust_env = False
    session.mount("https://", LoopbackAdapter(port, ACCOUNT))
    started = time.process_time()
    backend = open_google_backend(data.SID, session=session, sleep=lambda s: None)
    result = run_once(backend, data.GOOGLE, data.SHEET, data.JOBS, data.NOW)
    return {"cpu_s": round(time.process_time() - started, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "cells": len(result.plan.cells), "appends": len(result.plan.appends),
            "calls": result.applied.api_calls if result.applied else None}


def measure(n: int) -> tuple[dict, dict, int]:
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(n)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        runs = []
        for _ in range(6):
            proc = subprocess.run([sys.executable, __file__, "--run", str(port)], capture_output=True, text=True)
            if proc.returncode:
                raise SystemExit(f"{n} rows: {proc.stderr.strip().splitlines()[-1:]}")
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            if not runs[-1]["cells"] and not runs[-1]["appends"]:
                return runs[0], runs[-1], len(runs)
        raise SystemExit(f"{n} rows: still writing after 6 runs")
    finally:
        server.stdin.close()
        server.wait()


def main(sizes: list[int], repeat: int = 1) -> None:
    print("| rows | writing run: CPU s, peak RSS | idle run: CPU s, peak RSS | runs to settle |")
    print("|---|---|---|---|")
    for n in sizes:
        measured = [measure(n) for _ in range(repeat)]
        first, idle = data.typical([m[0] for m in measured]), data.typical([m[1] for m in measured])
        runs = max(m[2] for m in measured)
        print(f"| {n:,} | {first['cpu_s']} s, {first['peak_rss_mb']:,} MB | {idle['cpu_s']} s, "
              f"{idle['peak_rss_mb']:,} MB | {runs} |", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--run"]:
        print(json.dumps(run(int(sys.argv[2]))))
    elif sys.argv[1:2] == ["--repeat"]:
        main([int(a) for a in sys.argv[3:]] or SIZES, int(sys.argv[2]))
    else:
        main([int(a) for a in sys.argv[1:]] or SIZES)
