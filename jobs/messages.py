"""The messages job: a ready-to-send customer message per row, in the customer's language.

The situation comes from the rules and tracking evaluations; the language from Customer
language, else the destination country, else English (for Cashback, Reships and Logistics
rows: from the linked case). A message is rendered only when its inputs change
(:mod:`sheets_automation.messages.memo`), and a hand-edited message is kept (the runner's
write plan). A row whose message cannot be rendered gets none, and the run says how many
and why.

Promises never slide (policy.md S-clocks): every date in a message comes from a fixed
instant on the sheet, never from the run's ``now``: S1 reply by = Opened at + 24 h;
S11 ship by = the Reships row's Requested at + 48 h (the same instant in the Cases and
the Reships message); S3/S4 expected dates from Opened at; on Logistics, "we expect the
carrier's answer by" = the start of the S7/S8 follow-up (Shipped at + first-event days,
or Last event at + stale days) + 2 working days (S3), and "pick it up until" = the
pickup event (Last event at) + 7 days.
"""
from __future__ import annotations

import pandas as pd

from sheets_automation.messages import MessageContextError, MessageRenderer, memo, pick_language
from sheets_automation.table import as_lists
from sheets_automation.writeplan import TabOutput

from . import shared

TRACKING_URL = "https://t.17track.net/en#nums={number}"
FIELD = "customer_message"
PICKUP_DAYS = 7  # T4: how long a pickup point usually keeps a parcel
STATUS_SITUATION = {"InTransit": "in_transit", "OutForDelivery": "in_transit", "InfoReceived": "in_transit",
                    "CustomsHold": "customs_hold", "AvailableForPickup": "available_for_pickup",
                    "DeliveryFailure": "delivery_failed", "Exception": "delivery_failed",
                    "Returned": "returned_to_sender", "Expired": "long_undelivered", "NotFound": "no_update_investigating"}


def _case_languages(ctx) -> dict[str, str] | None:
    """Language by Case ID and by Order ID, from the Cases tab (None: the tab could not be read)."""
    cases = ctx.tabs.get("cases")
    if cases is None:
        return None
    df = cases.df
    out: dict[str, str] = {}
    for case_id, order_id, lang, country in zip(*as_lists(df["case_id"], df["order_id"], df["customer_language"],
                                                         df["destination_country"])):
        chosen = pick_language(lang, country)
        for k in (case_id, order_id):
            if k:
                out.setdefault(k, chosen)
    return out


def _language(langs: dict[str, str] | None, case_id: str, order_id: str, country: str = "") -> str | None:
    """The linked case's language, else the row's own destination country's, else English; None
    when the Cases tab could not be read and the row has no country of its own (the message
    is then left as it is, never rewritten in a guessed language)."""
    found = (langs or {}).get(case_id) or (langs or {}).get(order_id)
    if found:
        return found
    if country:
        return pick_language("", country)
    return "en" if langs is not None else None


def _render(ctx, renderer, rows, index, known) -> tuple[pd.Series, list[str], dict[int, str]]:
    """``rows`` is an iterable of (situation, language, context): a generator, so that one
    row's context exists at a time (memory at 100k rows). ``known``: per row, what
    :func:`memo.recorded` says. Returns the texts, the problems and, by sheet row, the
    input hash of each message (recorded as ``~m`` with its fingerprint)."""
    texts, problems, hashes = [], [], {}
    digest = ctx.cached("render_digest", lambda: memo.render_digest(renderer.user_dir))
    for row, (situation, language, context), seen in zip(index.tolist(), rows, known):
        if not situation:
            texts.append("")
            continue
        if language is None:
            texts.append(None)  # language unknown (Cases unreadable): no opinion
            continue
        h = memo.inputs_hash(digest, situation, language, ctx.tz, context)
        if seen is not None and seen[0] == h:
            texts.append(seen[1])  # same inputs, same text: not rendered again
            hashes[row] = h
            continue
        try:
            texts.append(renderer.render(situation, language, context, tz=ctx.tz))
            if h:
                hashes[row] = h
        except MessageContextError as exc:
            # none, as on a clean start: a stale message of ours is cleared (hand edits are kept
            # by the write plan), so a status change never leaves the previous message behind
            texts.append("")
            problems.append(str(exc))
    return pd.Series(texts, index=index, dtype=object), problems, hashes


def _output(ctx, stem: str, renderer, rows) -> tuple[TabOutput, list[str]]:
    tab = ctx.tabs[stem]
    texts, problems, hashes = _render(ctx, renderer, rows, tab.df.index, memo.recorded(ctx.state, tab, FIELD))
    return TabOutput(values=pd.DataFrame({FIELD: texts}), memo=hashes), problems


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
        rows = ((s, pick_language(lang, country), _with({"customer_name": "", "order_id": oid, "case_id": cid,
                                                          "tracking_number": tn, "currency": cur,
                                                          "tracking_url": TRACKING_URL.format(number=tn)}, mc))
                for s, mc, oid, cid, lang, country, tn, cur in zip(*as_lists(
                    ev["message_situation"], ev["message_context"], df["order_id"], df["case_id"],
                    df["customer_language"], df["destination_country"], df["tracking_number"], df["currency"])))
        out["cases"], p = _output(ctx, "cases", renderer, rows)
        problems += p
        out["cases"].timeline = shared.timeline_updates(ctx)
    if "cashback" in ctx.tabs:
        df, ev = ctx.tabs["cashback"].df, shared.cashback_eval(ctx)
        rows = ((s, _language(langs, cid, oid),
                 _with({"customer_name": "", "order_id": oid, "cashback_reason": reason or "other", "amount": amount,
                        "currency": cur or "USD"}, mc))
                for s, mc, oid, cid, reason, amount, cur in zip(*as_lists(
                    ev["message_situation"], ev["message_context"], df["order_id"], df["case_id"], df["reason"],
                    df["amount"], df["currency"])))
        out["cashback"], p = _output(ctx, "cashback", renderer, rows)
        problems += p
    if "reships" in ctx.tabs:
        df, ev = ctx.tabs["reships"].df, shared.reships_eval(ctx)
        rows = ((s, _language(langs, cid, oid),
                 _with({"customer_name": "", "order_id": oid, "reship_reason": reason or "customer_request",
                        "new_tracking_number": tn, "tracking_url": TRACKING_URL.format(number=tn)}, mc))
                for s, mc, oid, cid, reason, tn in zip(*as_lists(ev["message_situation"], ev["message_context"],
                                                                 df["original_order_id"], df["case_id"], df["reason"],
                                                                 df["new_tracking_number"])))
        out["reships"], p = _output(ctx, "reships", renderer, rows)
        problems += p
    if "logistics" in ctx.tabs:
        out["logistics"], p = _logistics(ctx, renderer, langs)
        problems += p
    if problems:
        ctx.log(f"messages: {len(problems)} rows without a message; first: {problems[0]}")
    return out


def _follow_up_dates(ctx, df: pd.DataFrame, last_at: pd.Series) -> tuple[list, list]:
    """(expected answer date, pickup-until date) per Logistics row, from fixed instants only."""
    from sheets_automation.policy.times import as_local

    ts = shared.tracking_settings(ctx)
    cal, p = shared.calendar(ctx), shared.policy(ctx)
    shipped = as_local(df, "shipped_at", ctx.tz)
    last = pd.to_datetime(pd.Series(last_at.to_numpy(), index=df.index), utc=True, errors="coerce",
                          format="mixed").dt.tz_convert(ctx.tz)
    asked = (last + pd.Timedelta(days=ts.stale_days)).where(last.notna(),
                                                            shipped + pd.Timedelta(days=ts.first_event_days))
    answer = cal.add_working_days_series(asked, p.s3_working_days) if len(asked) else asked
    until = last + pd.Timedelta(days=PICKUP_DAYS)
    dates = lambda s: [None if pd.isna(x) else x.date() for x in s]  # noqa: E731
    return dates(answer), dates(until)


def _logistics(ctx, renderer, langs) -> tuple[TabOutput, list[str]]:
    df = ctx.tabs["logistics"].df
    ev = shared.logistics_eval(ctx)
    status = ev["tracking_status"] if ev is not None else df["tracking_status"]
    carrier = ev["carrier_detected"] if ev is not None and "carrier_detected" in ev else df["carrier"]
    alert = ev["alert"] if ev is not None else df["alert"]
    days = ev["days_in_transit"] if ev is not None else df["days_in_transit"]
    last_at = ev["last_event_at"] if ev is not None and "last_event_at" in ev else df["last_event_at"]
    expected, until = _follow_up_dates(ctx, df, last_at)

    def rows():
        for st, al, tn, oid, cid, car, d, country, exp, upto in zip(
                *as_lists(status, alert, df["tracking_number"], df["order_id"], df["case_id"], carrier, days,
                          df["destination_country"]), expected, until):
            situation = STATUS_SITUATION.get(str(st), "")
            if "S10" in str(al):
                situation = "long_undelivered"
            elif "S8" in str(al) and situation == "in_transit":
                situation = "no_update_investigating"
            context = {"customer_name": "", "order_id": oid or cid or tn, "tracking_number": tn, "carrier": car or "",
                       "tracking_url": TRACKING_URL.format(number=tn), "expected_date": exp,
                       "pickup_location": "", "pickup_until": upto,
                       "days_in_transit": int(d) if pd.notna(d) else 0}
            yield situation, _language(langs, cid, oid, country), context

    return _output(ctx, "logistics", renderer, rows())
