"""The tracking job: refresh parcels from the provider and flag the Logistics tab.

This is the one job with network I/O (the tracking provider, never the sheet). A parcel
whose number is malformed (V4) is not sent; a failed fetch keeps the last good status
(labelled as a failed fetch, distinct from a silent carrier and a stopped provider).
"""
from __future__ import annotations

from datetime import timedelta

import pandas as pd

from sheets_automation.fmt import format_int
from sheets_automation.tracking.carriers import normalise_number, validate_number
from sheets_automation.tracking.evaluate import evaluate_logistics
from sheets_automation.tracking.provider import Parcel
from sheets_automation.writeplan import TabOutput

from . import shared

BOT_TEXT = ("tracking_status", "last_event", "alert", "next_action")


def open_provider(ctx, settings):
    """The configured provider; the 17TRACK client keeps its state under data_dir/<spreadsheet>."""
    if settings.provider == "17track":
        from sheets_automation.tracking.seventeen_track import SeventeenTrackClient, load_api_key
        from sheets_automation.tracking.store import TrackingStore

        key = load_api_key(settings.api_key_env, settings.api_key_file or None)
        store = TrackingStore.in_data_dir(ctx.config.data_dir / ctx.sheet.name)
        return SeventeenTrackClient(key, store=store, session=ctx.services.tracking_session, sleep=ctx.services.sleep,
                                    timeout=settings.timeout_seconds, batch_size=settings.batch_size,
                                    rate_per_second=settings.rate_per_second, max_retries=settings.max_retries,
                                    final_grace=timedelta(days=settings.final_grace_days),
                                    min_refresh=timedelta(minutes=settings.min_refresh_minutes))
    from sheets_automation.tracking.simulated import SimulatedProvider

    return SimulatedProvider(seed=ctx.sheet.name if settings.provider == "simulated-per-sheet" else "")


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
    header_of = {letter: tab.layout.header[f] for f, letter in tab.layout.letters.items()}
    return ctx.cached("logistics_eval", lambda: shared.fold_parse_issues(evaluate_logistics(
        tab.df, fetch(ctx), ctx.now, ctx.tz, shared.tracking_settings(ctx), tab=tab.layout.title,
        letters=tab.layout.letters), tab.issues, header_of=header_of))


def run(ctx) -> dict[str, TabOutput]:
    ev = evaluate(ctx)
    values = pd.DataFrame({f: ev[f].astype(object) for f in BOT_TEXT}, index=ev.index)
    values["last_event_at"] = ctx.fmt(ev["last_event_at"])
    values["days_since_update"] = format_int(ev["days_since_update"])
    values["days_in_transit"] = format_int(ev["days_in_transit"])
    return {"logistics": TabOutput(values=values, colours=ev["alert_colour"], rules=shared.rules_of(ev["issues"]))}
