"""Benchmark: what a Google run sends and downloads, and its CPU without the fake (#11, #15).

Plain script, not a test::

    python bench/google_bytes.py               # 1k, 10k, 100k case rows
    python bench/google_bytes.py 10000

Each size runs in its own process (peak RSS is that size's alone). On a fresh synthetic
sheet (bench_data.make_tabs) it does a writing run (the first run: every bot cell), then
reads the written sheet twice: the way runs read today (tab metadata with a ``fields``
mask + ``values:batchGet``) and the way they read before (one ``spreadsheets.get`` with
grid data), so the idle download can be compared. CPU seconds are ``time.process_time``;
the in-process fake's own share (serving requests, building replies) is timed separately
and subtracted to give the product's part.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data as data  # noqa: E402

OLD_READ_FIELDS = ("properties(title,timeZone),sheets(properties(sheetId,title,index,hidden,gridProperties),"
                   "conditionalFormats,charts/chartId,data/rowData/values/effectiveValue)")


def one(n: int) -> dict:
    from sheets_automation.backends.gsheets import open_google_backend
    from sheets_automation.runner import run_once
    from tests.fakes.sheets_api import FakeSheetsAPI

    class TimedFake(FakeSheetsAPI):
        fake_cpu = 0.0

        def send(self, request, *a, **kw):
            started = time.process_time()
            try:
                return super().send(request, *a, **kw)
            finally:
                self.fake_cpu += time.process_time() - started

    api = TimedFake()
    api.add_spreadsheet(data.SID, "Bench", data.TZ, data.make_tabs(n), row_count=n + 1000)
    out: dict = {"rows": n}
    for label in ("first", "second", "idle"):
        api.reply_sizes.clear()
        api.reply_raw_sizes.clear()
        api.body_sizes.clear()
        api.calls.clear()
        api.fake_cpu = 0.0
        started = time.process_time()
        backend = open_google_backend(data.SID, session=api.session(), sleep=lambda s: None)
        result = run_once(backend, data.GOOGLE, data.SHEET, data.JOBS, data.NOW)
        total = time.process_time() - started
        out[label] = {"cpu_s": round(total - api.fake_cpu, 2), "fake_cpu_s": round(api.fake_cpu, 2),
                      "calls": len(api.calls), "cells": len(result.plan.cells),
                      "down_mb": round(sum(api.reply_raw_sizes) / 1e6, 2),
                      "down_wire_mb": round(sum(api.reply_sizes) / 1e6, 2), "up_mb": round(sum(api.body_sizes) / 1e6, 2),
                      "largest_body_mb": round(max(api.body_sizes, default=0) / 1e6, 2)}
        if label == "first":
            out["peak_rss_mb_after_first"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        if n >= 100_000 and label == "first":
            break  # a second and third run at 100k add minutes; the read bytes below stand for idle
    api.reply_sizes.clear()
    api.reply_raw_sizes.clear()
    backend = open_google_backend(data.SID, session=api.session(), sleep=lambda s: None)
    backend.read()
    out["read_now_mb"] = round(sum(api.reply_raw_sizes) / 1e6, 2)
    out["read_now_wire_mb"] = round(sum(api.reply_sizes) / 1e6, 2)
    api.reply_sizes.clear()
    api.reply_raw_sizes.clear()
    before = api.session()  # the client as it was: python-requests' user agent, so no gzip
    before.get(f"https://sheets.googleapis.com/v4/spreadsheets/{data.SID}",
               params={"includeGridData": "true", "fields": OLD_READ_FIELDS})
    out["read_before_mb"] = round(sum(api.reply_sizes) / 1e6, 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main(sizes: list[int]) -> None:
    for n in sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        print(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(one(int(sys.argv[2]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000])
