"""Each row's life as the automation observed it: the clocks behind S1, S2, S4 and the promises.

One snapshot of the sheet cannot tell how long a case waited on the client or when it was
approved, so each run records, per row key, the instants it first *observed*:

* every Status change (from → to), approval with its requested resolution included;
* the first observation of the row (``from`` is ``""``);
* each promise date once a customer message makes it (``ship_by``, ``reply_by``,
  ``expected_date``), as a record of what was promised. The promise itself is always
  computed from its fixed start on the sheet (so a corrected sheet date wins).

Observed time = the ``now`` of the run that first saw the change (a run every 15 minutes
observes to within 15 minutes). A date the sheet itself states wins: a row first seen with
status new (or blank) starts at its Opened at.

The timeline is kept in the spreadsheet (the hidden state tab, field ``~t`` of the row's
entry, :mod:`sheets_automation.state`), so it travels with the sheet. Encoded compactly::

    {"e": [["2025-03-06T10:00:00+08:00", "", "new"],
           ["2025-03-06T11:00:00+08:00", "new", "waiting_client"],
           ["2025-03-10T15:00:00+08:00", "waiting_client", "investigating"],
           ["2025-03-11T10:00:00+08:00", "investigating", "approved", "refund"]],
     "p": {"ship_by": "2025-03-13T10:00:00+08:00"}}

Derived clocks (policy.md S1, S2, S4):

* **clock start**: Opened at, or the last instant the status went backwards from decided
  or finished (approved, rejected, resolved, closed) to undecided: a reopened case starts
  its S1/S2 clocks again from that instant;
* **pauses**: the ``waiting_client`` intervals after the clock start (the last may be open);
* **approved at**: the last transition into ``approved``.

Pure: no I/O, no clock; everything takes ``now``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from .view import FINISHED, UNDECIDED

PAUSED = "waiting_client"
DECIDED_OR_FINISHED = ("approved", "rejected", *FINISHED)
MAX_EVENTS = 60  # a row flipping status forever keeps its first event and the latest ones


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime  # aware
    before: str  # "" for the first observation
    after: str
    resolution: str = ""  # requested resolution, recorded on approval


@dataclass(slots=True)
class Timeline:
    events: list[Event] = field(default_factory=list)
    promises: dict[str, str] = field(default_factory=dict)  # name -> ISO instant, first made

    @property
    def status(self) -> str | None:
        """The status last observed (None before the first observation)."""
        return self.events[-1].after if self.events else None

    def encode(self) -> dict:
        rows = []
        for e in self.events:
            row = [e.at.isoformat(timespec="seconds"), e.before, e.after]
            if e.resolution:
                row.append(e.resolution)
            rows.append(row)
        return {"e": rows, "p": dict(self.promises)} if self.promises else {"e": rows}

    def promised(self, made: dict[str, str]) -> "Timeline":
        """This timeline with the promises in ``made`` recorded unless already recorded
        (``self`` when nothing is new: nothing to write)."""
        new = {k: v for k, v in made.items() if k not in self.promises}
        return Timeline(self.events, {**self.promises, **new}) if new else self


class Unreadable(ValueError):
    """A timeline entry a person edited into something else (rebuilt from the sheet)."""


def decode(obj: object) -> Timeline:
    """A timeline from its stored JSON value; raises :class:`Unreadable` on anything else."""
    if not isinstance(obj, dict) or not isinstance(obj.get("e"), list):
        raise Unreadable("not a timeline")
    events = []
    for row in obj["e"]:
        if type(row) is not list or len(row) not in (3, 4) or any(type(x) is not str for x in row):
            raise Unreadable("bad event")
        at = _instant(row[0])
        if at is None:
            raise Unreadable("bad instant")
        if at.tzinfo is None or (events and at < events[-1].at):
            raise Unreadable("instant without zone or out of order")
        events.append(Event(at, row[1], row[2], row[3] if len(row) == 4 else ""))
    promises = obj.get("p", {})
    if not isinstance(promises, dict) or any(type(v) is not str for v in promises.values()):
        raise Unreadable("bad promises")
    return Timeline(events, dict(promises))


@lru_cache(maxsize=4096)
def _instant(text: str) -> datetime | None:
    """Parsed once per distinct text: a sheet's events come from few runs, so they repeat."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def normal_status(status: str) -> str:
    return status.strip() or "new"


def observe(t: Timeline | None, status: str, resolution: str, now: datetime,
            opened: datetime | None = None) -> Timeline:
    """``t`` plus what this run sees (a new Timeline; ``t`` is not changed).

    The first observation of a row with status new starts at Opened at when that is known
    and not later than ``now`` (the sheet's date wins); otherwise at ``now``.
    """
    status = normal_status(status)
    if t is not None and t.events and t.status == status:
        return t
    events = list(t.events) if t is not None else []
    promises = dict(t.promises) if t is not None else {}
    if not events:
        at = opened if (status == "new" and opened is not None and opened <= now) else now
        events.append(Event(at, "", status, resolution if status == "approved" else ""))
    else:
        at = max(now, events[-1].at)
        events.append(Event(at, events[-1].after, status, resolution if status == "approved" else ""))
    if len(events) > MAX_EVENTS:
        events = events[:1] + events[-(MAX_EVENTS - 1):]
    return Timeline(events, promises)


def clock_start(t: Timeline | None, opened: datetime | None) -> datetime | None:
    """Opened at, or the last reopening (decided/finished → undecided) when later."""
    start = opened
    if t is not None:
        for e in t.events:
            if e.before in DECIDED_OR_FINISHED and e.after in UNDECIDED and (start is None or e.at > start):
                start = e.at
    return start


def pauses(t: Timeline | None, since: datetime | None) -> list[tuple[datetime, datetime | None]]:
    """``waiting_client`` intervals (start, end or None while still paused) after ``since``."""
    if t is None:
        return []
    out: list[tuple[datetime, datetime | None]] = []
    began: datetime | None = None
    for e in t.events:
        if e.after == PAUSED and began is None:
            began = e.at
        elif e.after != PAUSED and began is not None:
            out.append((began, e.at))
            began = None
    if began is not None:
        out.append((began, None))
    if since is None:
        return out
    return [(max(a, since), b) for a, b in out if b is None or b > since]


def approved_at(t: Timeline | None) -> datetime | None:
    """When the case was last approved (None when it never was, as far as observed)."""
    if t is None:
        return None
    for e in reversed(t.events):
        if e.after == "approved" and e.before != "approved":
            return e.at
    return None
