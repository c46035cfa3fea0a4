"""The tracking job: refresh parcels from the provider and flag the Logistics tab.

This is the one job with network I/O (the tracking provider, never the sheet). A parcel
whose number is malformed (V4) is not sent; a failed fetch keeps the last good status
(labelled as a failed fetch, distinct from a silent carrier and a stopped provider).
"""
from __future__ import annotations

import pandas as pd

from sheets_automation.fmt import format_int
from sheets_automation.writeplan import TabOutput

from . import shared

BOT_TEXT = ("tracking_status", "last_event", "alert", "next_action")


def run(ctx) -> dict[str, TabOutput]:
    ev = shared.tracking_evaluation(ctx)
    values = pd.DataFrame({f: ev[f].astype(object) for f in BOT_TEXT}, index=ev.index)
    values["last_event_at"] = ctx.fmt(ev["last_event_at"])
    values["days_since_update"] = format_int(ev["days_since_update"])
    values["days_in_transit"] = format_int(ev["days_in_transit"])
    return {"logistics": TabOutput(values=values, colours=ev["alert_colour"], rules=shared.rules_of(ev["issues"]))}
