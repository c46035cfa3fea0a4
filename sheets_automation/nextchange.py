"""The next instant at which a run's outputs change by time alone (#12 item 4). Pure.

A rules run over an unchanged sheet gives new outputs only when the clock crosses one of
the instants the rules compare ``now`` with. Rather than reach into each policy rule, this
reads those instants from what the jobs already output and read:

* every ``YYYY-MM-DD HH:MM`` in an output cell (Due by S1-S6/S11, Pay by S5, a Window's
  end W1-W6 in its text, dates quoted in Alert / Next action), and that instant minus
  ``due_soon_hours`` (the orange "due soon" threshold);
* every timestamp *input* still in the future (V2 "in the future" stops applying once
  it passes, plus ``future_tolerance_minutes``), and a Reships row's requested-at plus
  ``s11_hours`` (S11 fires with no visible deadline).

The earliest of those strictly after ``now`` is the answer (None: nothing pending). It is
an over-approximation (a crossed instant may change nothing); the scheduler's
``max_skip_hours`` safety net covers anything it does not see.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

import pandas as pd

STAMP = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})")


def stamps_in(texts: Iterable[object], tz: ZoneInfo) -> list[datetime]:
    """Every distinct ``YYYY-MM-DD HH:MM`` in ``texts`` (merchant time) as aware datetimes, in
    order. The texts are joined by newlines (a stamp never holds one) and each stamp is
    parsed once: at 100k rows the outputs hold 80k distinct texts, 27 MB (#15)."""
    joined = "\n".join(t for t in texts if isinstance(t, str) and t)
    out = []
    for day, hhmm in dict.fromkeys(_find_stamps(joined)):
        try:
            out.append(datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=tz))
        except ValueError:
            continue
    return out


def _find_stamps(text: str) -> list[tuple[str, str]]:
    """``STAMP.findall(text)``, the same matches in a tenth of the time: a stamp's one colon is
    its 14th character, so the pattern is tried only 13 characters before each colon (found
    by ``str.find``, in C) rather than at every character; a match overlapping the previous
    one is skipped, as ``findall`` does."""
    found, end = [], 0
    find, match = text.find, STAMP.match
    at = find(":", 13)
    while at != -1:
        m = match(text, at - 13)
        if m is not None and m.start() >= end:
            found.append(m.groups())
            end = m.end()
        at = find(":", at + 1)
    return found


def _future_inputs(tabs: dict, now: datetime) -> list[datetime]:
    out: list[datetime] = []
    for typed in tabs.values():
        for col in typed.df.columns:
            s = typed.df[col]
            if not isinstance(s.dtype, pd.DatetimeTZDtype):
                continue
            later = s[s > pd.Timestamp(now)]
            if len(later):
                out.append(later.min().to_pydatetime())  # only the earliest can be the answer
    return out


def next_change_at(outputs: dict, tabs: dict, now: datetime, tz_name: str, policy: dict) -> datetime | None:
    """See the module docstring. ``outputs``: {stem: [TabOutput]}; ``tabs``: {stem: TypedTab}."""
    tz = ZoneInfo(tz_name)
    soon = timedelta(hours=float(policy.get("due_soon_hours", 24)))
    tolerance = timedelta(minutes=float(policy.get("future_tolerance_minutes", 5)))
    candidates: list[datetime] = []
    for outs in outputs.values():
        for out in outs:
            for col in out.values.columns:
                for t in stamps_in(set(out.values[col].dropna().tolist()), tz):
                    candidates += [t, t - soon]
    candidates += [t + tolerance for t in _future_inputs(tabs, now)]
    reships = tabs.get("reships")
    if reships is not None and "requested_at" in reships.df.columns:
        s11 = timedelta(hours=float(policy.get("s11_hours", 48)))
        due = reships.df["requested_at"].dropna() + s11
        due = due[due > pd.Timestamp(now)]
        if len(due):
            candidates.append(due.min().to_pydatetime())
    later = [t for t in candidates if t > now]
    return min(later) if later else None
