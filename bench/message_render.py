"""Benchmark: CPU per customer message rendered, on the contexts of a synthetic run (issue #15).

Plain script, not a test::

    python bench/message_render.py            # the messages of a 10k-row first run
    python bench/message_render.py 2000

Runs the messages job once on the bench sheet (``bench_data``, as in a first run) with a
renderer that only records what it is asked: every (situation, language, context) of
Cases, Cashback and Reships. Then renders them all with the shipped templates, several
passes in this process. The first pass includes compiling each template once per
language it is rendered in; the later ones are what a long-running scheduler or worker
pays per message. Prints µs per message: first pass, and best of the later ones.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_data as data  # noqa: E402

PASSES = 6


def contexts(n: int) -> list[tuple[str, str, dict]]:
    """(situation, language, context) of every message the messages job renders in a first
    run of the bench sheet: the job runs once with a renderer that records what it is asked."""
    from sheets_automation.backends.base import Grid, Snapshot
    from sheets_automation.jobs import JOBS
    from sheets_automation.messages import MessageRenderer
    from sheets_automation.runner import RunContext, load_tabs
    from sheets_automation.schema import shipped_schemas
    from sheets_automation.state import StateTab

    asked: list[tuple[str, str, dict]] = []

    class Recording(MessageRenderer):
        def render(self, situation, language, context, *, tz):
            asked.append((situation, language, dict(context)))
            return ""

    grids = {t: Grid(t, tuple(tuple(r) for r in rows)) for t, rows in data.make_tabs(n).items()}
    state = StateTab(exists=False)
    tabs, errors = load_tabs(Snapshot(grids, data.TZ), data.TZ, False, shipped_schemas(), data.NOW, state)
    ctx = RunContext(now=data.NOW, tz_name=data.TZ, config=data.GOOGLE, sheet=data.SHEET, tabs=tabs,
                     tab_errors=errors, log=lambda s: None, state=state, jobs=tuple(data.JOBS))
    ctx.evaluations["renderer"] = Recording()  # the job takes its renderer from here (ctx.cached)
    JOBS["messages"].run(ctx)
    return asked


def main(n: int) -> None:
    from sheets_automation.messages import MessageContextError, MessageRenderer

    items = contexts(n)
    tz = ZoneInfo(data.TZ)
    renderer = MessageRenderer()
    times = []
    for _ in range(PASSES):
        started = time.process_time()
        for situation, language, context in items:
            try:
                renderer.render(situation, language, context, tz=tz)
            except MessageContextError:
                pass
        times.append((time.process_time() - started) / len(items) * 1e6)
    languages = len({language for _s, language, _c in items})
    print(f"{len(items):,} messages in {languages} languages: first pass {times[0]:.1f} µs per message "
          f"(templates compiled), then best {min(times[1:]):.1f} µs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
