"""Benchmark: placing a run's writes after people moved rows (issue #11 "Linear placement").

Plain script, not a test::

    python bench/placement_bench.py            # 1k, 10k, 100k rows

For each size: a grid of ``n`` case rows; a plan with two writes per row (Alert and
Customer message), half the rows found by key and half keyless (found by their anchor
cells, as rows whose key was blank at read time are); then a person inserts a row at the top
(and, second line, sorts the rows) between the read and the re-read, and
:func:`sheets_automation.backends.placement.place` runs on the moved grid. Prints CPU
seconds per placement; the figures go in docs/benchmarks.md.
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sheets_automation.backends.base import CellWrite, Grid, RowRef, WritePlan  # noqa: E402
from sheets_automation.backends.placement import place  # noqa: E402

HEADER = ("Case ID", "Order ID", "Customer", "Status", "Alert", "Customer message")


def grid_and_plan(n: int) -> tuple[Grid, WritePlan]:
    rows = [HEADER] + [(f"CS-{i:06d}" if i % 2 else "", f"#{100000 + i}", f"cust{i}", "Open", "", "")
                       for i in range(1, n + 1)]
    plan = WritePlan()
    for r, row in enumerate(rows[1:], start=2):
        if row[0]:
            ref = RowRef("Case ID", row[0], r)
        else:
            ref = RowRef("Case ID", "", r, anchor=(("Case ID", ""), ("Order ID", row[1]), ("Customer", row[2])))
        plan.cells.append(CellWrite("Cases", ref, "Alert", "", "Overdue · S1"))
        plan.cells.append(CellWrite("Cases", ref, "Customer message", "", "Hello"))
    return Grid("Cases", tuple(rows)), plan


def timed(plan: WritePlan, grid: Grid) -> tuple[float, int]:
    started = time.process_time()
    placed = place(plan, {"Cases": grid})
    return time.process_time() - started, sum(len(v) for v in placed.cells.values())


def main(sizes: list[int]) -> None:
    print(f"{'rows':>8} {'edit':<22} {'placed':>8} {'CPU s':>7}")
    for n in sizes:
        grid, plan = grid_and_plan(n)
        inserted = Grid("Cases", (grid.rows[0], ("CS-NEW", "#1", "new", "Open")) + grid.rows[1:])
        body = list(grid.rows[1:])
        random.Random(n).shuffle(body)
        shuffled = Grid("Cases", (grid.rows[0],) + tuple(body))
        for label, moved in (("row inserted at top", inserted), ("rows sorted", shuffled)):
            seconds, placed = timed(plan, moved)
            print(f"{n:>8} {label:<22} {placed:>8} {seconds:>7.3f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000])
