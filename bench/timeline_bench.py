"""Benchmark: evaluate_cases with stored row timelines (issue 10), 100k synthetic Cases rows.

Plain script, not a test::

    python bench/timeline_bench.py            # 100k rows, 10 % of them with a waiting_client pause
    python bench/timeline_bench.py 10000 0.5  # custom size and share of paused rows

Each row has a stored timeline (first observed three days before ``NOW``); the chosen
share also waited on the client for a day (a closed pause: S1/S2 are moved by it). The
timelines are first encoded and decoded as the state tab stores them, and that decoding is
timed too. Prints the best of three timings (wall and CPU).
"""
from __future__ import annotations

import sys
import time
from datetime import timedelta

import numpy as np

from policy_bench import NOW, TZ, synthetic_cases
from sheets_automation.policy import Policy, WorkCalendar, evaluate_cases
from sheets_automation.policy.frames import letters_for
from sheets_automation.policy.timeline import decode, observe

REPEAT = 3


def stored(cases, share: float) -> list[dict]:
    rng = np.random.default_rng(5)
    out = []
    first, pause, back = NOW - timedelta(days=3), NOW - timedelta(days=2), NOW - timedelta(days=1)
    for status, resolution, paused in zip(cases["status"], cases["requested_resolution"], rng.random(len(cases)) < share):
        t = observe(None, "investigating", resolution, first)
        if paused:
            t = observe(observe(t, "waiting_client", resolution, pause), "investigating", resolution, back)
        out.append(observe(t, status, resolution, back).encode())
    return out


def run(n: int, share: float) -> None:
    cases = synthetic_cases(n)
    raw = stored(cases, share)
    policy, calendar, letters = Policy(), WorkCalendar(), letters_for("cases")
    walls, cpus = [], []
    for _ in range(REPEAT):
        start, cpu = time.perf_counter(), time.process_time()
        timelines = [decode(r) for r in raw]
        evaluate_cases(cases, now=NOW, tz=TZ, policy=policy, calendar=calendar, letters=letters, parse_issues=[],
                       timelines=timelines)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    print(f"{n:>7} rows, {share:.0%} paused  {min(walls):6.3f} s (cpu {min(cpus):6.3f} s)")


if __name__ == "__main__":
    args = sys.argv[1:]
    run(int(args[0]) if args else 100_000, float(args[1]) if len(args) > 1 else 0.1)
