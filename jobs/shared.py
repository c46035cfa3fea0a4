"""Evaluations shared by several jobs, computed once per run (``RunContext.cached``)."""
from __future__ import annotations

import pandas as pd

from sheets_automation.errors import ConfigError
from sheets_automation.policy.calendar import WorkCalendar
from sheets_automation.policy.settings import Policy, policy_from_mapping
from sheets_automation.table import own_keys
from sheets_automation.tracking.carriers import normalise_number, validate_number
from sheets_automation.tracking.evaluate import evaluate_logistics
from sheets_automation.tracking.factory import build_provider
from sheets_automation.tracking.provider import Parcel
from sheets_automation.tracking.settings import TrackingSettings, tracking_settings_from_mapping


def _prefix(ctx, section: str) -> str:
    names = [s.name for s in ctx.config.spreadsheets]
    i = names.index(ctx.sheet.name) if ctx.sheet.name in names else 0
    return f"{section} / spreadsheets[{i}].{section}"


def _checked(ctx, section: str, from_mapping, mapping: dict):
    """Settings from a config section (merged with the spreadsheet's overrides), checked once
    per run; any problem stops the run with every problem named by key."""
    def build():
        value, errors = from_mapping(mapping, prefix=_prefix(ctx, section))
        if errors:
            raise ConfigError(f"{ctx.config.source or 'config'}: " + "; ".join(errors))
        return value
    return ctx.cached(section, build)


def policy(ctx) -> Policy:
    return _checked(ctx, "policy", policy_from_mapping, ctx.config.policy_for(ctx.sheet))


def calendar(ctx) -> WorkCalendar:
    p = policy(ctx)
    return ctx.cached("calendar", lambda: WorkCalendar(p.calendar_country, p.business_day_end_time,
                                                                p.business_day_start_time))


def tracking_settings(ctx) -> TrackingSettings:
    return _checked(ctx, "tracking", tracking_settings_from_mapping, ctx.config.tracking_for(ctx.sheet))


def opened_filled(ctx) -> pd.DataFrame:
    """Cases with a blank Opened at taken as ``now`` (the moment the automation first saw the row)."""
    def build():
        df = ctx.tabs["cases"].df.copy()
        df["opened_at"] = df["opened_at"].fillna(pd.Timestamp(ctx.now).tz_convert(ctx.tz_name))
        return df
    return ctx.cached("cases_opened", build)


def logistics_eval(ctx) -> pd.DataFrame | None:
    """This run's tracking evaluation when the tracking job is part of the run (computed once,
    whichever job asks first), else None: the Logistics tab's written values stand."""
    if "tracking" not in ctx.jobs or "logistics" not in ctx.tabs:
        return None
    return tracking_evaluation(ctx)


def tracked_delivery(ctx) -> pd.Series | None:
    """Delivery times by tracking number: from this run's tracking evaluation when there is one,
    else from the Logistics tab's last written status (Delivered → Last event at)."""
    logistics = ctx.tabs.get("logistics")
    if logistics is None:
        return None
    evaluated = logistics_eval(ctx)
    if evaluated is not None and "delivered_at" in evaluated.columns:
        delivered = pd.to_datetime(evaluated["delivered_at"], utc=True, errors="coerce")
    else:
        df = logistics.df
        delivered = df["last_event_at"].where(df["tracking_status"].eq("Delivered"))
        delivered = pd.to_datetime(delivered, utc=True, errors="coerce")
    series = pd.Series(delivered.to_numpy(), dtype=delivered.dtype,
                       index=logistics.df["tracking_number"].astype(str).str.strip().str.upper().to_numpy()).dropna()
    return series[~series.index.duplicated()].dt.tz_convert(ctx.tz_name)


def stored_timelines(ctx, stem: str) -> list:
    """Each row's stored timeline (None: none yet, or a shared/blank key). An entry a person
    edited into something unreadable is rebuilt from what the sheet shows, and the run
    summary says so once."""
    from sheets_automation.policy.timeline import Unreadable, decode
    from sheets_automation.state import row_key, stored_timeline

    def build():
        tab = ctx.tabs[stem]
        keys = tab.df[tab.schema.key].astype(str).str.strip()
        usable = own_keys(keys).to_numpy()
        out, broken = [], 0
        for key, ok in zip(keys, usable):
            value, unreadable = stored_timeline(ctx.state, row_key(tab.schema.tab, key)) if ok and ctx.state else (None, False)
            broken += unreadable
            if value is not None:
                try:
                    value = decode(value)
                except Unreadable:
                    value, broken = None, broken + 1
            out.append(value)
        if broken:
            ctx.notes.append(f"{tab.layout.title}: the timeline of {broken} rows could not be read (the hidden state "
                             "tab was edited); rebuilt from what the sheet shows")
        return out
    return ctx.cached(f"timelines_{stem}", build)


def reship_requested(ctx) -> pd.Series | None:
    """Reships Requested at by Case ID (first row per case): the S11 promise's fixed start."""
    from sheets_automation.policy.times import as_local

    reships = ctx.tabs.get("reships")
    if reships is None:
        return None
    df = reships.df
    requested = as_local(df, "requested_at", ctx.tz)
    ids = df["case_id"].astype(str).str.strip() if "case_id" in df.columns else pd.Series("", index=df.index)
    series = pd.Series(requested.to_numpy(), index=ids.to_numpy())
    series = series[(ids.to_numpy() != "") & requested.notna().to_numpy()]
    return series[~series.index.duplicated()]


def cases_eval(ctx) -> pd.DataFrame:
    from sheets_automation.policy.cases import evaluate_cases

    def build():
        tab = ctx.tabs["cases"]
        cashback = ctx.tabs.get("cashback")
        return evaluate_cases(opened_filled(ctx), now=ctx.now, tz=ctx.tz, policy=policy(ctx), calendar=calendar(ctx),
                              letters=tab.layout.letters, parse_issues=tab.issues, tracked_delivery=tracked_delivery(ctx),
                              cashback=cashback.df if cashback else None, tab=tab.layout.title,
                              timelines=stored_timelines(ctx, "cases"), reship_requested=reship_requested(ctx))
    return ctx.cached("cases_eval", build)


def timeline_updates(ctx) -> dict[int, object]:
    """Cases rows whose timeline this run changed → the value to store (rows with a usable key).
    Worked out once per run: the rules and the messages job both hand it to the plan."""
    def build():
        ev, stored = cases_eval(ctx), stored_timelines(ctx, "cases")
        keys = ctx.tabs["cases"].df["case_id"].astype(str).str.strip()
        usable = own_keys(keys).to_numpy()
        return {row: t.encode() for row, t, old, ok in zip(ev.index, ev["timeline"], stored, usable)
                if ok and t is not old}
    return ctx.cached("timeline_updates", build)


def cashback_eval(ctx) -> pd.DataFrame:
    from sheets_automation.policy.cashback import evaluate_cashback

    def build():
        tab = ctx.tabs["cashback"]
        cases = ctx.tabs.get("cases")
        return evaluate_cashback(tab.df, now=ctx.now, tz=ctx.tz, policy=policy(ctx), calendar=calendar(ctx),
                                 letters=tab.layout.letters, parse_issues=tab.issues,
                                 cases=cases.df if cases else None, tab=tab.layout.title)
    return ctx.cached("cashback_eval", build)


def reships_eval(ctx) -> pd.DataFrame:
    from sheets_automation.policy.reships import evaluate_reships

    def build():
        tab = ctx.tabs["reships"]
        return evaluate_reships(tab.df, now=ctx.now, tz=ctx.tz, policy=policy(ctx), calendar=calendar(ctx),
                                letters=tab.layout.letters, parse_issues=tab.issues, tab=tab.layout.title)
    return ctx.cached("reships_eval", build)


def rules_of(issues: pd.Series) -> pd.Series:
    """Rule IDs behind each row's findings (``"S1 V3"``), for the dry run and the audit trail."""
    return issues.map(lambda items: " ".join(sorted({i.rule for i in items})) if isinstance(items, list) else "")


def fold_parse_issues(ev: pd.DataFrame, issues: list, *, header_of: dict[str, str]) -> pd.DataFrame:
    """Put the parser's findings (V1, V2, V5, V6) on their rows, for evaluations that do not
    take them: each one is cited in Next action, and a row whose alert is calmer than yellow
    becomes "Needs input". ``header_of`` maps fields to header text."""
    from sheets_automation import colours

    by_row: dict[int, list] = {}
    for issue in issues:
        if issue.row in ev.index:
            by_row.setdefault(issue.row, []).append(issue)
    if not by_row:
        return ev
    ev = ev.copy()
    calm = {"blue", "green", "grey", ""}
    for row, found in by_row.items():
        notes = "; ".join(f"{i.code} {i.cell}: {i.message}" for i in found)
        current = ev.at[row, "next_action"] if "next_action" in ev.columns else ""
        ev.at[row, "next_action"] = f"{current} | {notes}" if current else notes
        if (ev.at[row, "alert_colour"] or "") in calm:
            what = header_of.get(found[0].field, found[0].field or "row")
            ev.at[row, "alert"] = colours.label("yellow", f"{found[0].rule} {what}")
            ev.at[row, "alert_colour"] = "yellow"
        ev.at[row, "issues"] = list(ev.at[row, "issues"] or []) + found
    return ev


def alert_with_other_findings(ev: pd.DataFrame) -> pd.Series:
    """For tabs without a Next action column (Cashback, Reships): the Alert label, plus the
    rule and cell of every bad-input finding the label does not already show, so a bad cell
    stays visible even when a more urgent alert wins; the label's own rule gets its cell too
    ("Needs input · V5 Amount (Cashback!E7)")."""
    out = []
    for alert, issues in zip(ev["alert"], ev["issues"]):
        alert = alert or ""
        errors = [i for i in (issues or []) if i.severity == "error"]
        own = [i.cell for i in errors if i.rule in alert]
        extra = [f"{i.rule} {i.cell}" for i in errors if i.rule not in alert]
        parts = ([", ".join(dict.fromkeys(own))] if own else []) + (
            [f"also {', '.join(dict.fromkeys(extra))}"] if extra else [])
        out.append(f"{alert} ({'; '.join(parts)})" if parts and alert else alert)
    return pd.Series(out, index=ev.index, dtype=object)


# --------------------------------------------------------------------------- tracking (the tracking job, and
# the rules and messages jobs when tracking is part of the same run)


def open_provider(ctx, settings):
    """The configured provider; the 17TRACK client keeps its state under data_dir/<spreadsheet>."""
    return build_provider(settings, session=ctx.services.tracking_session, sleep=ctx.services.sleep,
                          state_dir=ctx.config.data_dir / ctx.sheet.name, sheet=ctx.sheet.name)


def tracking_results(ctx) -> dict:
    """Provider results for every well-formed number on the Logistics tab (cached per run)."""
    def build():
        df = ctx.tabs["logistics"].df
        settings = tracking_settings(ctx)
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


def tracking_evaluation(ctx) -> pd.DataFrame:
    """The Logistics tab evaluated against this run's tracking results (computed once per run)."""
    tab = ctx.tabs["logistics"]
    return ctx.cached("logistics_eval", lambda: fold_parse_issues(evaluate_logistics(
        tab.df, tracking_results(ctx), ctx.now, ctx.tz, tracking_settings(ctx), tab=tab.layout.title,
        letters=tab.layout.letters), tab.issues, header_of=tab.layout.header))
