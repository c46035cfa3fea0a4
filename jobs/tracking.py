"""The tracking job: refresh parcels from the provider and flag the Logistics tab.

This is the one job with network I/O (the tracking provider, never the sheet). A parcel
whose number is malformed (V4) is not sent; a failed fetch keeps the last good status
(labelled as a failed fetch, distinct from a silent carrier and a stopped provider).
"""
from __future__ import annotations

import pandas as pd

from sheets_automation.fmt import format_int
from sheets_automation.tracking.carriers import normalise_number, validate_number
from sheets_automation.tracking.evaluate import evaluate_logistics
from sheets_automation.tracking.factory import build_provider
from sheets_automation.tracking.provider import Parcel
from sheets_automation.writeplan import TabOutput

from . import shared

BOT_TEXT = ("tracking_status", "last_event", "alert", "next_action")


def open_provider(ctx, settings):
    """The configured provider; the 17TRACK client keeps its state under data_dir/<spreadsheet>."""
    return build_provider(settings, session=ctx.services.tracking_session, sleep=ctx.services.sleep,
                          state_dir=ctx.config.data_dir / ctx.sheet.name, sheet=ctx.sheet.name)


def fetch(ctx) -> dict:
    """Provider results for every well-formed number on the Logistics tab (cached per run)."""
    def build():
        df = ctx.tabs["logistics"].df
        settings = shared.tracking_settings(ctx)
        parcels, seen = [], set()
        for number, carrier in zip(df["tracking_number"].astype(str), df["carrier"].astype(str)):
            n = normalise_number(number)
            if n and n not in seen and not validate_number(n, carrier or None):
                seen.add(n)
                parcels.append(Parcel(n, carrier.strip() or None))
        if not parcels:
            return {}
        provider = open_provider(ctx, settings)
        ctx.log(f"tracking {len(parcels)} parcels with {settings.provider} …")
        try:
            results = provider.track(parcels, ctx.now)
        finally:
            store = getattr(provider, "store", None)
            if store is not None:
                store.close()
        for notice in getattr(provider, "notices", []):
            ctx.log(f"tracking: {notice}")
        return results
    return ctx.cached("tracking_results", build)


def evaluate(ctx) -> pd.DataFrame:
    tab = ctx.tabs["logistics"]
    return ctx.cached("logistics_eval", lambda: shared.fold_parse_issues(evaluate_logistics(
        tab.df, fetch(ctx), ctx.now, ctx.tz, shared.tracking_settings(ctx), tab=tab.layout.title,
        letters=tab.layout.letters), tab.issues, header_of=tab.layout.header))


def run(ctx) -> dict[str, TabOutput]:
    ev = evaluate(ctx)
    values = pd.DataFrame({f: ev[f].astype(object) for f in BOT_TEXT}, index=ev.index)
    values["last_event_at"] = ctx.fmt(ev["last_event_at"])
    values["days_since_update"] = format_int(ev["days_since_update"])
    values["days_in_transit"] = format_int(ev["days_in_transit"])
    return {"logistics": TabOutput(values=values, colours=ev["alert_colour"], rules=shared.rules_of(ev["issues"]))}
