"""The messages job: a ready-to-send customer message per row, in the customer's language.

The situation comes from the rules and tracking evaluations; the language from Customer
language, else the destination country, else English (for Cashback, Reships and Logistics
rows: from the linked case). A message is regenerated only when its inputs change, and a
hand-edited message is kept (the runner's write plan). A row whose message cannot be
rendered gets none, and the run says how many and why.
"""
from __future__ import annotations

import pandas as pd

from sheets_automation.messages import MessageContextError, MessageRenderer, pick_language
from sheets_automation.writeplan import TabOutput

from . import shared

TRACKING_URL = "https://t.17track.net/en#nums={number}"
STATUS_SITUATION = {"InTransit": "in_transit", "OutForDelivery": "in_transit", "InfoReceived": "in_transit",
                    "CustomsHold": "customs_hold", "AvailableForPickup": "available_for_pickup",
                    "DeliveryFailure": "delivery_failed", "Exception": "delivery_failed",
                    "Returned": "returned_to_sender", "Expired": "long_undelivered", "NotFound": "no_update_investigating"}


def _case_languages(ctx) -> dict[str, str]:
    """Language by Case ID and by Order ID, from the Cases tab."""
    cases = ctx.tabs.get("cases")
    if cases is None:
        return {}
    df = cases.df
    out: dict[str, str] = {}
    for case_id, order_id, lang, country in zip(df["case_id"], df["order_id"], df["customer_language"], df["destination_country"]):
        chosen = pick_language(lang, country)
        for k in (case_id, order_id):
            if k:
                out.setdefault(k, chosen)
    return out


def _render(ctx, renderer, rows, index) -> tuple[pd.Series, list[str]]:
    texts, problems = [], []
    for situation, language, context in rows:
        if not situation:
            texts.append("")
            continue
        try:
            texts.append(renderer.render(situation, language, context, tz=ctx.tz))
        except MessageContextError as exc:
            texts.append(None)  # no opinion: leave the cell as it is
            problems.append(str(exc))
    return pd.Series(texts, index=index, dtype=object), problems


def _with(base: dict, extra) -> dict:
    return {**base, **(extra if isinstance(extra, dict) else {})}


def run(ctx) -> dict[str, TabOutput]:
    if not ctx.config.messages_enabled:
        return {}
    renderer = ctx.cached("renderer", lambda: MessageRenderer(ctx.config.templates_dir))
    langs = _case_languages(ctx)
    out: dict[str, TabOutput] = {}
    problems: list[str] = []
    if "cases" in ctx.tabs:
        df, ev = ctx.tabs["cases"].df, shared.cases_eval(ctx)
        rows = [(s, pick_language(lang, country), _with({"customer_name": "", "order_id": oid, "case_id": cid,
                                                          "tracking_number": tn, "currency": cur,
                                                          "tracking_url": TRACKING_URL.format(number=tn)}, mc))
                for s, mc, oid, cid, lang, country, tn, cur in zip(
                    ev["message_situation"], ev["message_context"], df["order_id"], df["case_id"],
                    df["customer_language"], df["destination_country"], df["tracking_number"], df["currency"])]
        texts, p = _render(ctx, renderer, rows, df.index)
        out["cases"], problems = TabOutput(values=pd.DataFrame({"customer_message": texts})), problems + p
    if "cashback" in ctx.tabs:
        df, ev = ctx.tabs["cashback"].df, shared.cashback_eval(ctx)
        rows = [(s, langs.get(cid) or langs.get(oid, "en"),
                 _with({"customer_name": "", "order_id": oid, "cashback_reason": reason or "other", "amount": amount,
                        "currency": cur or "USD"}, mc))
                for s, mc, oid, cid, reason, amount, cur in zip(
                    ev["message_situation"], ev["message_context"], df["order_id"], df["case_id"], df["reason"],
                    df["amount"], df["currency"])]
        texts, p = _render(ctx, renderer, rows, df.index)
        out["cashback"], problems = TabOutput(values=pd.DataFrame({"customer_message": texts})), problems + p
    if "reships" in ctx.tabs:
        df, ev = ctx.tabs["reships"].df, shared.reships_eval(ctx)
        rows = [(s, langs.get(cid) or langs.get(oid, "en"),
                 _with({"customer_name": "", "order_id": oid, "reship_reason": reason or "customer_request",
                        "new_tracking_number": tn, "tracking_url": TRACKING_URL.format(number=tn)}, mc))
                for s, mc, oid, cid, reason, tn in zip(ev["message_situation"], ev["message_context"],
                                                       df["original_order_id"], df["case_id"], df["reason"],
                                                       df["new_tracking_number"])]
        texts, p = _render(ctx, renderer, rows, df.index)
        out["reships"], problems = TabOutput(values=pd.DataFrame({"customer_message": texts})), problems + p
    if "logistics" in ctx.tabs:
        out["logistics"], p = _logistics(ctx, renderer, langs)
        problems += p
    if problems:
        ctx.log(f"messages: {len(problems)} rows without a message; first: {problems[0]}")
    return out


def _logistics(ctx, renderer, langs) -> tuple[TabOutput, list[str]]:
    df = ctx.tabs["logistics"].df
    ev = shared.logistics_eval(ctx)
    status = ev["tracking_status"] if ev is not None else df["tracking_status"]
    carrier = ev["carrier_detected"] if ev is not None and "carrier_detected" in ev else df["carrier"]
    alert = ev["alert"] if ev is not None else df["alert"]
    days = ev["days_in_transit"] if ev is not None else df["days_in_transit"]
    rows = []
    for st, al, tn, oid, cid, car, d in zip(status, alert, df["tracking_number"], df["order_id"], df["case_id"], carrier, days):
        situation = STATUS_SITUATION.get(str(st), "")
        if "S10" in str(al):
            situation = "long_undelivered"
        elif "S8" in str(al) and situation == "in_transit":
            situation = "no_update_investigating"
        context = {"customer_name": "", "order_id": oid or cid or tn, "tracking_number": tn, "carrier": car or "",
                   "tracking_url": TRACKING_URL.format(number=tn), "expected_date": (ctx.now + pd.Timedelta(days=2)).date(),
                   "pickup_location": "", "pickup_until": (ctx.now + pd.Timedelta(days=7)).date(),
                   "days_in_transit": int(d) if pd.notna(d) else 0}
        rows.append((situation, langs.get(cid) or langs.get(oid, "en"), context))
    texts, problems = _render(ctx, renderer, rows, df.index)
    return TabOutput(values=pd.DataFrame({"customer_message": texts})), problems
