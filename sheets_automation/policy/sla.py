"""S1 and S2 as help-desk SLA clocks that pause while the case waits on the client (policy.md).

The deadline shown is the unpaused one (policy.md's convention: S1 = clock start + 24 h,
S2 = end of business of the 2nd working day) moved later by the time spent in
``waiting_client``: S1 by the calendar hours paused, S2 by the *business* time paused
(business hours on working days, ``business_day_start``-``business_day_end``).

Example (tested)::

    opened Thu 2025-03-06 10:00           S2 unpaused due Mon 2025-03-10 18:00
    waiting_client Thu 11:00 → Mon 15:00  paused 7 + 9 + 6 = 22 business hours
                                          S2 due Thu 2025-03-13 13:00

While the case is still waiting on the client the clock is stopped: Due by says how much
is left ("paused · 9 h left", counted from when the pause began), never a moving date.
The clock starts at Opened at, or again at a reopening (:func:`.timeline.clock_start`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from .calendar import WorkCalendar
from .timeline import DECIDED_OR_FINISHED, PAUSED, Timeline, clock_start, pauses
from .view import UNDECIDED


@dataclass(slots=True)
class Clocks:
    start: pd.Series  # aware: Opened at, or the last reopening
    paused_seconds: np.ndarray  # closed pauses after the start, elapsed (S1)
    paused_business: np.ndarray  # closed pauses after the start, business time (S2)
    pause_began: pd.Series  # aware; NaT unless the case is waiting on the client now


def clocks(timelines: list[Timeline | None], opened: pd.Series, cal: WorkCalendar) -> Clocks:
    """Per-row clock inputs; Python work only for rows whose timeline has a pause or a reopening."""
    n = len(opened)
    elapsed, business = np.zeros(n), np.zeros(n)
    starts: dict[int, datetime] = {}
    began_at: dict[int, datetime] = {}
    for i, t in enumerate(timelines):
        if t is None or not any(_moves_clock(e) for e in t.events):
            continue
        o = opened.iat[i]
        o = None if pd.isna(o) else o.to_pydatetime()
        s = clock_start(t, o)
        if s is not None and s != o:
            starts[i] = s
        for a, b in pauses(t, s):
            if b is None:
                began_at[i] = a
            else:
                elapsed[i] += (b - a).total_seconds()
                business[i] += cal.business_seconds(a, b)
    start = _with(opened, starts)
    began = _with(pd.Series(pd.NaT, index=opened.index, dtype=opened.dtype), began_at)
    return Clocks(start, elapsed, business, began)


def _moves_clock(e) -> bool:
    """A pause or a reopening: the only events that move S1/S2."""
    return e.after == PAUSED or (e.before in DECIDED_OR_FINISHED and e.after in UNDECIDED)


def _with(series: pd.Series, values: dict[int, datetime]) -> pd.Series:
    """``series`` with the positions in ``values`` replaced (one vectorised assignment)."""
    if not values:
        return series
    out = series.copy()
    pos = np.fromiter(values, dtype=int, count=len(values))
    new = pd.to_datetime(pd.Series(list(values.values()), dtype=object), utc=True).dt.tz_convert(series.dt.tz)
    out.iloc[pos] = new.to_numpy()
    return out


def s1_due(c: Clocks, hours: float) -> pd.Series:
    """S1: start + ``hours`` + closed pauses (elapsed)."""
    return c.start + pd.Timedelta(hours=hours) + pd.to_timedelta(c.paused_seconds, unit="s")


def s2_due(c: Clocks, cal: WorkCalendar, working_days: int) -> pd.Series:
    """S2: end of business of the n-th working day after the start, moved by business time paused."""
    due = cal.add_working_days_series(c.start, working_days)
    for i in np.flatnonzero((c.paused_business > 0) & due.notna().to_numpy()):
        due.iat[i] = cal.add_business_seconds(due.iat[i].to_pydatetime(), float(c.paused_business[i]))
    return due


def left_text(seconds: float) -> str:
    """``"paused · 9 h left"``, ``"paused · 45 min left"`` or ``"paused · overdue by 3 h"``."""
    late = seconds < 0
    minutes = int(abs(seconds) // 60)
    amount = f"{minutes // 60} h" if minutes >= 60 else f"{minutes} min"
    if minutes >= 60 and minutes % 60:
        amount += f" {minutes % 60} min"
    return f"paused · overdue by {amount}" if late else f"paused · {amount} left"


def paused_texts(c: Clocks, due: pd.Series, paused: np.ndarray, cal: WorkCalendar | None) -> np.ndarray:
    """Due by text while paused: time left from the pause's start to ``due`` (business time
    when ``cal`` is given: S2; elapsed otherwise: S1); None elsewhere."""
    out = np.full(len(due), None, dtype=object)
    for i in np.flatnonzero(paused & due.notna().to_numpy()):
        began = c.pause_began.iat[i]
        if pd.isna(began):
            continue
        b: datetime = began.to_pydatetime()
        d: datetime = due.iat[i].to_pydatetime()
        if cal is None:
            seconds = (d - b).total_seconds()
        else:
            seconds = cal.business_seconds(b, d) if d >= b else -cal.business_seconds(d, b)
        out[i] = left_text(seconds)
    return out
