"""Benchmark: CPU seconds and peak memory of workbook runs next to the libraries' floor (issue #15).

Plain script, not a test::

    python bench/workbook_cost.py                 # 1k, 10k and 100k Cases rows
    python bench/workbook_cost.py 1000 10000      # chosen sizes
    python bench/workbook_cost.py --repeat 3 10000 100000   # each step 3 times: medians

For each size it builds the synthetic workbook (``bench_data``), then runs the product until
a run changes nothing (not measured), keeping two files: the fresh one and the settled one.
Each line below is then measured in its own process (so its peak RSS is its own), on the
same files, in the same invocation:

* ``writing run``: ``run_once`` of tracking, rules and messages on the fresh file (the
  first run, which writes the most cells);
* ``idle run``: the same run on the settled file (writes nothing);
* ``floor: openpyxl load+save``: ``load_workbook`` and ``save`` of a file, nothing else:
  of the fresh file (the writing run's file) and of the settled one (the idle run's file,
  larger: it holds what the runs wrote, messages included). Each run is set against the
  floor of its own file, as issue #15 asks; the idle run is also shown against the fresh
  file's floor, the stricter figure;
* ``floor: calamine read``: python-calamine reading every tab of the fresh file to lists.

CPU is user + system seconds of the measured step alone (imports excluded), so a busy
machine does not distort it; peak RSS is the process's high-water mark (imports included).
With ``--repeat K`` the five steps are measured K times in rounds (one of each per round,
so a slow spell of a shared machine falls on all of them) and each line shows the median
CPU and the highest peak RSS of its step.
"""
from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data as data  # noqa: E402

SIZES = [1_000, 10_000, 100_000]


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _run(path: Path):
    from sheets_automation.backends.workbook import WorkbookBackend
    from sheets_automation.config import workbook_config
    from sheets_automation.runner import run_once

    config = workbook_config(path, timezone=data.TZ, data_dir=path.parent / "state")
    return run_once(WorkbookBackend(path), config, config.spreadsheets[0], data.JOBS, data.NOW)


def step(kind: str, path: Path) -> dict:
    """One measured step, in this process."""
    import openpyxl
    from python_calamine import CalamineWorkbook

    import holidays.countries  # noqa: F401  (the calendar imports its country on first use)
    import sheets_automation.backends.workbook  # noqa: F401  (imports out of the measurement, as for the floors)
    import sheets_automation.jobs  # noqa: F401
    import sheets_automation.runner  # noqa: F401

    started = cpu()
    out: dict = {}
    if kind in ("writing", "idle"):
        result = _run(path)
        out["cells"] = result.applied.written if result.applied else 0
    elif kind == "save":
        wb = openpyxl.load_workbook(path)
        wb.save(path.with_name("floor-save.xlsx"))
    elif kind == "read":
        with CalamineWorkbook.from_path(str(path)) as wb:
            out["cells"] = sum(len(r) for name in wb.sheet_names for r in wb.get_sheet_by_name(name).to_python())
    out.update(cpu_s=round(cpu() - started, 2), peak_rss_mb=round(rss_mb()))
    return out


def prepare(n: int, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    fresh = data.write_workbook(folder / "fresh.xlsx", data.make_tabs(n))
    settled = folder / "settled" / "ops.xlsx"
    settled.parent.mkdir()
    shutil.copy(fresh, settled)
    for _ in range(6):
        result = _run(settled)
        if result.applied is None:
            return fresh, settled
    raise SystemExit(f"{n} rows: still writing after 6 runs")


def measure(kind: str, path: Path) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-wb-step-")) / "ops.xlsx"
    shutil.copy(path, work)
    proc = subprocess.run([sys.executable, __file__, "--step", kind, str(work)], capture_output=True, text=True)
    shutil.rmtree(work.parent, ignore_errors=True)
    if proc.returncode:
        raise SystemExit(f"{kind}: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    if argv[:1] == ["--step"]:
        print(json.dumps(step(argv[1], Path(argv[2]))))
        return
    if argv[:1] == ["--prepare"]:
        fresh, settled = prepare(int(argv[1]), Path(argv[2]))
        print(json.dumps([str(fresh), str(settled)]))
        return
    repeat = 1
    if argv[:1] == ["--repeat"]:
        repeat, argv = int(argv[1]), argv[2:]
    sizes = [int(a) for a in argv] or SIZES
    print("| rows | files: fresh, settled | writing run: CPU s, peak RSS | floor: load+save of the fresh file "
          "| writing / its floor | idle run: CPU s, peak RSS | floor: load+save of the settled file "
          "| idle / its floor | idle / fresh file's floor | floor calamine read: CPU s | cells written |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        folder = Path(tempfile.mkdtemp(prefix="bench-wb-"))
        proc = subprocess.run([sys.executable, __file__, "--prepare", str(n), str(folder)], capture_output=True,
                              text=True, check=True)
        fresh, settled = (Path(p) for p in json.loads(proc.stdout.strip().splitlines()[-1]))
        rounds = [(measure("writing", fresh), measure("save", fresh), measure("idle", settled),
                   measure("save", settled), measure("read", fresh)) for _ in range(repeat)]
        w, s, i, si, r = (data.typical(list(runs)) for runs in zip(*rounds))
        print(f"| {n:,} | {fresh.stat().st_size / 2 ** 20:.1f} MB, {settled.stat().st_size / 2 ** 20:.1f} MB "
              f"| {w['cpu_s']} s, {w['peak_rss_mb']:,} MB | {s['cpu_s']} s, {s['peak_rss_mb']:,} MB "
              f"| {w['cpu_s'] / s['cpu_s']:.2f}× | {i['cpu_s']} s, {i['peak_rss_mb']:,} MB "
              f"| {si['cpu_s']} s, {si['peak_rss_mb']:,} MB | {i['cpu_s'] / si['cpu_s']:.2f}× "
              f"| {i['cpu_s'] / s['cpu_s']:.2f}× | {r['cpu_s']} s | {w['cells']:,} (idle: {i['cells']}) |",
              flush=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
