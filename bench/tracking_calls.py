"""Benchmark: 17TRACK requests per run for 10 … 10,000 parcels (the fake 17TRACK).

Plain script, not a test::

    python bench/tracking_calls.py              # 10, 100, 1k, 10k parcels
    python bench/tracking_calls.py 500 2000     # chosen sizes

Drives :class:`SeventeenTrackClient` over the fake 17TRACK API (a ``requests`` adapter)
with a fake clock, so the rate limit (3 requests/s) costs simulated seconds, reported as
"paced". Runs: the first (register + read), a second 30 minutes later (within
``min_refresh`` = 55 min: nothing is due), and a third 2 hours later (read only; no
second registration). Registration quota used = numbers registered once.
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data as data  # noqa: E402

from sheets_automation.demo import s10_number  # noqa: E402
from sheets_automation.tracking.provider import Parcel  # noqa: E402
from sheets_automation.tracking.seventeen_track import SeventeenTrackClient  # noqa: E402
from sheets_automation.tracking.store import TrackingStore  # noqa: E402
from tests.fakes.seventeen_track import API_KEY, FakeClock, FakeSeventeenTrack  # noqa: E402

SIZES = [10, 100, 1_000, 10_000]


def parcels(n: int) -> list[Parcel]:
    rng = random.Random(n)
    numbers: set[str] = set()
    while len(numbers) < n:
        numbers.add(s10_number(rng, rng.choice(["RR", "LP", "RB", "EE"])))
    return [Parcel(x, "China Post") for x in sorted(numbers)]


def measure(n: int) -> list[str]:
    clock = FakeClock()
    fake = FakeSeventeenTrack(clock, quota=10 * n + 100)
    store = TrackingStore(Path(tempfile.mkdtemp(prefix="bench-17t-")) / "tracking.sqlite")
    items = parcels(n)
    cells = []
    elapsed = timedelta(0)
    for offset in (timedelta(0), timedelta(minutes=30), timedelta(hours=2)):
        clock.sleep((offset - elapsed).total_seconds())  # the fake's clock moves on between runs too
        elapsed = offset
        before = dict(fake.counts)
        paced_from = clock.t
        client = SeventeenTrackClient(API_KEY, session=fake.session(), store=store, clock=clock.now, sleep=clock.sleep,
                                      min_refresh=timedelta(minutes=55))
        started = time.perf_counter()
        results = client.track(items, data.NOW + offset)
        wall = time.perf_counter() - started
        calls = {k: fake.counts[k] - before.get(k, 0) for k in ("register", "gettrackinfo", "retrack")}
        assert len(results) == n
        cells.append(f"{sum(calls.values())} ({calls['register']} reg + {calls['gettrackinfo']} info), "
                     f"paced {clock.t - paced_from:.0f} s, cpu {wall:.2f} s")
    store.close()
    return [str(n), *cells, str(len(fake.registered)), str(fake.throttled)]


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or SIZES
    cols = ["parcels", "run 1 requests", "run 2 (+30 min)", "run 3 (+2 h)", "numbers registered", "429s"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for n in sizes:
        print("| " + " | ".join(measure(n)) + " |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
