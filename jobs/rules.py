"""The rules job: policy W, S, V and C rules on Cases, Cashback and Reships.

Writes Window, Due by, Alert (coloured), Next action and fills blank IDs and Opened at.
Creates (:func:`creates`, before any job runs, so the new rows are evaluated in the same
run), once each, a Reships row for every approved ``resend`` case (keyed by Case ID,
cost bearer suggested from Fault: C1-C4, Requested at = now) and a Logistics row for every
tracking number on Cases that the Logistics tab does not have yet.
"""
from __future__ import annotations

import pandas as pd

from sheets_automation.policy.crosstab import logistics_to_create, reships_to_create
from sheets_automation.writeplan import TabOutput

from . import shared


def _alerts(ctx, stem: str, evaluated: pd.DataFrame, **extra: pd.Series) -> TabOutput:
    if "next_action" in ctx.tabs[stem].schema.fields:
        values = pd.DataFrame({"alert": evaluated["alert"].astype(object), **extra}, index=evaluated.index)
        values["next_action"] = evaluated["next_action"].astype(object)
    else:  # no Next action column on this tab: the Alert must also show the other bad cells
        values = pd.DataFrame({"alert": shared.alert_with_other_findings(evaluated), **extra}, index=evaluated.index)
    return TabOutput(values=values, colours=evaluated["alert_colour"], rules=shared.rules_of(evaluated["issues"]))


def _new_rows(ctx, frame: pd.DataFrame, fields: tuple[str, ...], rule: str) -> list[dict[str, str]]:
    """Text by field for each new row, plus ``"_rule"``: why it was created (audit trail)."""
    stamps = {f: ctx.fmt(frame[f]).tolist() for f in fields  # datetime columns: formatted in one call
              if f in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[f])}
    rows = []
    for i, rec in enumerate(frame.to_dict("records")):
        row = {}
        for f in fields:
            v = rec.get(f)
            if f in stamps:
                row[f] = stamps[f][i]
            elif isinstance(v, pd.Timestamp) or hasattr(v, "tzinfo"):
                row[f] = ctx.fmt(pd.Series([v])).iloc[0] if not pd.isna(v) else ""
            else:
                row[f] = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
        row["_rule"] = rule
        rows.append(row)
    return rows


def _estimate_note(ctx, ev: pd.DataFrame) -> None:
    """Once in the run summary: how many deadlines are estimated (calendar not yet published)."""
    found = [i for issues in ev["issues"] for i in (issues or []) if i.code == "S-calendar-estimated"]
    if found:
        ctx.notes.append(f"{len(found)} Cases deadlines are estimates ({found[0].message})")


def run(ctx) -> dict[str, TabOutput]:
    out: dict[str, TabOutput] = {}
    ev = shared.cases_eval(ctx)
    opened = ctx.fmt(shared.opened_filled(ctx)["opened_at"])
    due_by = ev["due_by_text"].where(ev["due_by_text"].notna(), ctx.fmt(ev["due_by"]))
    out["cases"] = _alerts(ctx, "cases", ev, window=ev["window"].astype(object), due_by=due_by.astype(object),
                           opened_at=opened)
    out["cases"].timeline = shared.timeline_updates(ctx)
    _estimate_note(ctx, ev)
    if "cashback" in ctx.tabs:
        cb = shared.cashback_eval(ctx)
        out["cashback"] = _alerts(ctx, "cashback", cb, pay_by=ctx.fmt(cb["pay_by"]))
    if "reships" in ctx.tabs:
        out["reships"] = _alerts(ctx, "reships", shared.reships_eval(ctx))
    return out


def creates(ctx) -> dict[str, list[dict[str, str]]]:
    """New Reships and Logistics rows (text by field), added before the jobs run."""
    cases = ctx.tabs["cases"]
    out: dict[str, list[dict[str, str]]] = {}
    if "reships" in ctx.tabs:
        new = reships_to_create(cases.df, ctx.tabs["reships"].df, now=ctx.now)
        out["reships"] = _new_rows(ctx, new, ("case_id", "original_order_id", "sku", "reason", "cost_bearer",
                                              "requested_at"), "S3 C1-C4")
    if "logistics" in ctx.tabs:
        new = logistics_to_create(cases.df, ctx.tabs["logistics"].df)
        out["logistics"] = _new_rows(ctx, new, ("tracking_number", "order_id", "case_id", "destination_country",
                                                "shipped_at"), "T6")
    return out
