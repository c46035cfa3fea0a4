"""Race counts (issue #11 item 5): seeded random interleavings of people's edits at every call
of a Google write, counted, not asserted.

Plain script, not a test::

    python bench/race_counts.py            # 200 seeds per moment and baseline, 14 cases
    python bench/race_counts.py 1000 200   # 1,000 seeds on a 200-case sheet
    python bench/race_counts.py 100 10000 --moment re-read --people any   # one line per baseline

The simulation is the one of ``tests/test_reliability_people_editing.py`` (its baselines:
a fresh 14-case sheet (or N cases) whose first run assigns IDs, and the same sheet a run later; its
oracle: right after the write, every person-owned cell and every cell a person typed is
unchanged, and every other cell is unchanged or holds the value planned for *that* row).
The suite plays the edits just before the re-read; here they are played at each moment of
the write in turn:

* ``before the re-read`` (what the suite asserts, with 1,000 seeds),
* ``before the values write`` (the instant the Sheets API cannot close: it has no
  conditional write),
* ``before the verification read``.

Each moment is measured twice: with people typing anywhere (a bot cell typed over in the
instant before the write is lost to it, by construction), and with people typing only into
their own columns (what is left is placement the verification read could not repair).
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tests.test_reliability_people_editing as sim  # noqa: E402
from tests.fakes.sheets_api import FakeSheetsAPI, col_letters  # noqa: E402

MOMENTS = {"before the re-read": "between read and re-read", "before the values write": "between re-read and write",
           "before the verification read": "after the write"}  # -> the race suite's phase names


def person_in_own_columns(rng: random.Random, api: FakeSheetsAPI) -> None:
    """:func:`sim.person`'s actions (type, insert, delete, sort, insert a column), but typing
    only into person-owned columns."""
    for _ in range(rng.randint(1, 5)):
        tab = rng.choice(sim.EDITED_TABS)
        sheet = api.sheet(sim.SID, tab)
        last = len(api.grid(sim.SID, tab))
        action = rng.choices(["set", "insert", "delete", "sort", "column"], weights=[6, 2, 2, 1, 1])[0]
        header = [c for c in range(sheet.col_count) if sheet.peek(0, c).get("v")]
        if action == "set":
            owner = sim.owners(tab)
            own = [c for c in header if owner.get(str(sheet.peek(0, c).get("v")), "person") != "bot"]
            api.human_set(tab, f"{col_letters(rng.choice(own) + 1)}{rng.randint(2, last + 1)}",
                          rng.choice(["x", "done, called the customer", "42", "VIP"]))
        elif action == "insert":
            at, n = rng.randint(2, last + 1), rng.randint(1, 2)
            api.human_insert_rows(tab, at, n)
            for k in range(n):
                sheet.rows[at - 1 + k][sim.MARK] = {"m": ("h", rng.random())}
        elif action == "delete" and last >= 3:
            api.human_delete_rows(tab, rng.randint(2, last))
        elif action == "sort":
            api.human_sort(tab, rng.choice(header) + 1, descending=rng.random() < 0.5)
        elif action == "column":
            api.human_insert_columns(tab, rng.randint(1, 9))


def main(seeds: int, cases: int, moments: list[str] | None = None, people: str = "") -> None:
    bases = sim.BASELINES if cases == 14 else sim.baselines(cases)
    print(f"{seeds} seeded interleavings (1-5 random edits each) per line, {cases} cases; a failing "
          f"interleaving breaks at least one invariant right after the write")
    print("| moment | people type into | fresh sheet (first run) | a run later |")
    print("|---|---|---:|---:|")
    for moment, phase in MOMENTS.items():
        if moments and not any(m in moment for m in moments):
            continue
        for label, who in (("any column", sim.person), ("their own columns only", person_in_own_columns)):
            if people and not label.startswith(people):
                continue
            counts = [sum(1 for seed in range(seeds) if sim.interleave(name, seed, phase, bases, who)[0])
                      for name in ("fresh", "later")]
            print(f"| {moment} | {label} | {counts[0]} failing | {counts[1]} failing |", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Count seeded race interleavings (issue #11).")
    parser.add_argument("seeds", type=int, nargs="?", default=200, help="interleavings per line (default 200)")
    parser.add_argument("cases", type=int, nargs="?", default=14, help="Cases rows of the sheet (default 14)")
    parser.add_argument("--moment", action="append", default=[],
                        help="only moments whose name contains this (re-read, values write, verification)")
    parser.add_argument("--people", choices=["any", "their"], default="",
                        help="only people typing into any column, or only into their own columns")
    a = parser.parse_args()
    main(a.seeds, a.cases, a.moment, a.people)
