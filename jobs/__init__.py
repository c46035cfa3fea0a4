"""The jobs: named, pure steps over a run's typed tabs (installed as ``sheets_automation.jobs``).

Each job returns, per tab, the bot values it wants (:class:`~sheets_automation.writeplan.TabOutput`);
the runner turns them into one batched write. Jobs share evaluations through
``RunContext.cached`` (see :mod:`.shared`), so running several costs one evaluation each; a
job that reads another's evaluation declares it in ``Job.uses`` and gets it whichever job
runs first, so a run's result never depends on the order of its jobs.

=========  ==================================================================  =====================
job        what it writes                                                      rules
=========  ==================================================================  =====================
tracking   Logistics status, last event, days, Alert, Next action              T1-T7, S7-S10, V4, V9
rules      Cases/Cashback/Reships Window, Due by, Alert, Next action, IDs;     W1-W6, S1-S6, S11,
           new Reships and Logistics rows                                      V1-V8, C1-C4
messages   Customer message on every tab, in the customer's language           (per situation)
report     the Weekly report tab, written whole, with a trend chart            R1-R4
=========  ==================================================================  =====================
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import messages, report, rules, tracking


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    description: str
    needs: tuple[str, ...]  # tab stems the job cannot run without
    run: Callable  # (RunContext) -> dict[stem, TabOutput]
    creates: Callable | None = None  # (RunContext) -> {stem: [row text by field]}: rows to add first
    uses: tuple[str, ...] = ()  # jobs whose evaluation it reads when they are in the same run (any order)


JOBS: dict[str, Job] = {
    "tracking": Job("tracking", "refresh parcels from the tracking provider and flag the Logistics tab (T1-T7, S7-S10, V4, V9)",
                    ("logistics",), tracking.run),
    "rules": Job("rules", "windows, deadlines, validation and alerts on Cases, Cashback, Reships (W, S, V, C rules)",
                 ("cases",), rules.run, rules.creates, uses=("tracking",)),  # this run's tracked deliveries (W2, W3, W6)
    "messages": Job("messages", "customer messages in the customer's language, hand edits kept", (), messages.run,
                    uses=("tracking",)),  # this run's tracking status and detected carrier
    "report": Job("report", "weekly self-check on the Weekly report tab, with a chart (R1-R4)", ("cases",), report.run),
}
DEFAULT_ORDER = ("tracking", "rules", "messages", "report")
