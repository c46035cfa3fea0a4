"""The Logistics tab's bot columns from tracking results: pure and vectorised.

Rules (policy.md): T1-T5, T7, S7-S10, V4, V9. Clocks are calendar days in exact
24 h periods, "more than N days" is strict: with S8 at 15 days a parcel whose last
event was exactly 15 days ago is not stale yet; one minute later it is.

The S7/S9/S10 clock starts at *Shipped at*; when that is blank, at the first tracking
event. A date-only *Shipped at* counts from 00:00 of that day (the earlier alert is the
customer's benefit of the doubt for our own deadlines).

Three situations that look alike keep distinct labels:

* carrier silent, "Overdue · S8 no update for N days" (red);
* our fetch failed, "Waiting · fetch failed, last good status kept" (blue); the status
  shown is the last good one (the provider hands it back), or the sheet's own value
  (never on a row whose number is blank or malformed: that status was the old number's);
  S8 is then only mentioned, not raised, since we cannot tell whether the carrier moved;
* the provider stopped tracking, "Overdue · T3 provider stopped tracking" (red).

The alert is the most urgent finding (red, orange, yellow, blue, green); *Next action*
starts with that finding's action and lists the others after " | " (folded by
:func:`..policy.findings.combine`, like every other tab).
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ..a1 import column_letter
from ..errors import Issue
from ..policy.findings import Finding, combine, mask_of
from .carriers import canonical_carrier, detect, infer_service, normalise_number, validate_number
from .customs import check_declaration
from .provider import FINAL_STATUSES, TrackResult
from .settings import TrackingSettings

OUTPUT_COLUMNS = ("tracking_status", "last_event", "last_event_at", "days_since_update", "days_in_transit",
                  "alert", "alert_colour", "next_action", "carrier_detected", "service_inferred", "delivered_at",
                  "issues")
_RESULT_FIELDS = ("status", "last_event", "last_event_at", "first_event_at", "delivered_at", "provider_state",
                  "error", "carrier")
DAY = pd.Timedelta(days=1)


def default_letters() -> dict[str, str]:
    """Column letters in the shipped schema's order (the caller passes the real ones)."""
    from ..schema import shipped_schemas

    return {f: column_letter(i + 1) for i, f in enumerate(shipped_schemas()["logistics"].fields)}


def _text(df: pd.DataFrame, field: str) -> pd.Series:
    if field not in df:
        return pd.Series("", index=df.index, dtype=object)
    return df[field].astype(object).where(df[field].notna(), "").astype(str).astype(object)


def _times(df: pd.DataFrame, field: str, tz: ZoneInfo) -> pd.Series:
    if field not in df:
        return pd.Series(pd.NaT, index=df.index, dtype=f"datetime64[ns, {tz.key}]")
    return pd.to_datetime(df[field], utc=True).dt.tz_convert(tz).astype(f"datetime64[ns, {tz.key}]")


def _numbers(df: pd.DataFrame, field: str) -> pd.Series:
    if field not in df:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    return pd.to_numeric(df[field], errors="coerce").astype("float64")


def _results_frame(numbers: pd.Series, results: dict[str, TrackResult], tz: ZoneInfo) -> pd.DataFrame:
    """Results aligned to the rows (one join, no per-row lookups in the rules)."""
    rows = {k: [getattr(r, f) for f in _RESULT_FIELDS] for k, r in results.items() if isinstance(r, TrackResult)}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(_RESULT_FIELDS)) if rows else \
        pd.DataFrame(columns=list(_RESULT_FIELDS))
    out = table.reindex(numbers.to_numpy())
    out.index = numbers.index
    for f in ("last_event_at", "first_event_at", "delivered_at"):
        out[f] = pd.to_datetime(out[f].astype(object), utc=True).dt.tz_convert(tz).astype(
            f"datetime64[ns, {tz.key}]")
    for f in ("status", "last_event", "provider_state", "error", "carrier"):
        out[f] = out[f].astype(object).where(out[f].notna(), "").astype(object)
    return out


def _days(delta: pd.Series) -> pd.Series:
    """Whole days (floor) of a timedelta series, Int64 with <NA>."""
    return np.floor(delta / DAY).astype("Int64")


def _s(value, index) -> pd.Series:
    return value if isinstance(value, pd.Series) else pd.Series(value, index=index, dtype=object)


def evaluate_logistics(df: pd.DataFrame, results: dict[str, TrackResult], now: datetime, tz: ZoneInfo,
                       settings: TrackingSettings, tab: str = "Logistics",
                       letters: dict[str, str] | None = None) -> pd.DataFrame:
    """Bot columns of the Logistics tab (same index as ``df``: sheet row numbers).

    ``df`` is the typed tab (timestamps tz-aware, numbers float64, text ''), ``results``
    the provider's answer keyed by normalised tracking number, ``letters`` the column
    letter of each field for Issue cells (default: the shipped schema's order).
    """
    idx = df.index
    if not len(idx):  # an empty tab: nothing to evaluate (string building below needs rows)
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OUTPUT_COLUMNS}, index=idx)
    letters = letters or default_letters()
    now_ts = pd.Timestamp(now).tz_convert(tz)

    numbers = _text(df, "tracking_number").map(normalise_number).astype(object)
    sheet_carrier = _text(df, "carrier").map(canonical_carrier).astype(object)
    sheet_service = _text(df, "service").str.strip().str.lower()
    res = _results_frame(numbers, results, tz)

    # V4 first: a malformed number is never sent, so it has no status of its own
    v4 = pd.Series([validate_number(n, c) if n else "" for n, c in zip(numbers, sheet_carrier)], index=idx,
                   dtype=object)
    # status: the provider's, else (no result, or failed fetch without a last good) the sheet's own;
    # never the sheet's on a row whose number is blank or malformed (V1/V4): that status belongs
    # to the number someone just cleared or mistyped, and would say "Delivered" for a parcel
    # nobody can track
    keep_sheet = res["status"].eq("") & numbers.ne("") & v4.eq("")
    status = res["status"].where(~keep_sheet, _text(df, "tracking_status"))
    last_event = res["last_event"].where(~keep_sheet, _text(df, "last_event"))
    last_at = res["last_event_at"].where(~keep_sheet, _times(df, "last_event_at", tz))
    state = res["provider_state"].replace("", "none")
    error = res["error"]

    guesses = numbers.map(detect)
    carrier_detected = res["carrier"].where(res["carrier"].ne(""), guesses.map(lambda g: g.carrier))
    carrier_detected = carrier_detected.map(canonical_carrier).astype(object)
    carrier = sheet_carrier.where(sheet_carrier.ne(""), carrier_detected)
    service = sheet_service.where(sheet_service.isin(["express", "postal", "line"]), carrier.map(infer_service))
    service = service.where(service.ne(""), guesses.map(lambda g: g.service)).astype(object)
    clock_service = service.where(service.ne(""), settings.default_service)

    shipped = _times(df, "shipped_at", tz)
    start = shipped.where(shipped.notna(), res["first_event_at"])
    delivered_at = res["delivered_at"]
    is_final = status.isin(list(FINAL_STATUSES))
    delivered = status.eq("Delivered")
    end = pd.Series(now_ts, index=idx).astype(start.dtype).where(~(delivered & delivered_at.notna()), delivered_at)
    since_ship = (now_ts - start) / DAY
    since_event = (now_ts - last_at) / DAY
    days_in_transit = _days((end - start).clip(lower=pd.Timedelta(0)))
    days_since_update = _days((now_ts - last_at).clip(lower=pd.Timedelta(0)))
    ship_days = np.floor(since_ship).astype("Int64").astype(str)

    # V9 (per distinct value; the rules below are whole-column)
    dest, cur, contents = _text(df, "destination_country"), _text(df, "declared_currency"), _text(df, "contents")
    value, weight = _numbers(df, "declared_value"), _numbers(df, "weight_kg")
    v9_lists = pd.Series([check_declaration(d, None if np.isnan(v) else v, c, None if np.isnan(w) else w, t, k,
                                            settings.rates_to_usd) if d else []
                          for d, v, c, w, t, k in zip(dest, value, cur, weight, contents, carrier)],
                         index=idx, dtype=object)
    v9 = v9_lists.map("; ".join).astype(object)

    blank = numbers.eq("")
    failed = state.eq("fetch_failed")
    rejected = state.eq("rejected") & v4.eq("")
    no_scan = status.isin(["NotFound", "InfoReceived", ""]) & ~blank & ~state.eq("rejected") & ~is_final
    s7_limit = clock_service.map(settings.first_event_days_for).astype(float)
    s9_limit = clock_service.map(settings.follow_up_days_for).astype(float)
    s7 = no_scan & (since_ship > s7_limit).fillna(False)
    s8 = ~is_final & (since_event > settings.stale_days).fillna(False)
    s9 = ~is_final & (since_ship > s9_limit).fillna(False)
    s10 = ~is_final & (since_ship > settings.long_undelivered_days).fillna(False)
    since_txt = days_since_update.astype(str)
    last_day = last_at.dt.strftime("%Y-%m-%d").astype(object).where(last_at.notna(), "?")
    s9_due = (start + pd.to_timedelta(s9_limit, unit="D")).dt.strftime("%Y-%m-%d").astype(object)

    findings = [  # (mask, colour, label detail, action); most urgent first
        (s10, "red", "S10 undelivered after " + ship_days + " days",
         "S10: ask the customer to check with the local post office, then negotiate resend or refund"),
        (status.eq("Expired"), "red", "T3 expired, treat as S10",
         "T3/S10: tracking expired undelivered; ask the customer to check with the local post office, "
         "then resend or refund"),
        (state.eq("stopped") & ~is_final, "red", "T3 provider stopped tracking",
         "T3: " + error.where(error.ne(""), "the provider stopped tracking") + "; treat as S10 if still undelivered"),
        (s8 & ~failed, "red", "S8 no update for " + since_txt + " days",
         "S8: carrier silent since " + last_day + "; ask the courier before the customer asks"),
        (s7, "red", "S7 no first event after " + ship_days + " days",
         "T1/S7: check the number and carrier, then ask the courier"),
        (status.eq("Returned"), "orange", "T2 returned to sender",
         "T2: contact the customer; refund or reship depending on cost"),
        (status.eq("DeliveryFailure"), "orange", "T2 delivery failed",
         "T2: contact the customer about the failed delivery (address, phone, being in)"),
        (status.eq("Exception"), "orange", "T2 exception",
         "T2: contact the customer in time (" + last_event.where(last_event.ne(""), "carrier exception") + ")"),
        (status.eq("CustomsHold"), "orange", "T5 customs hold",
         "T5: tell the customer to contact local customs with the transaction bill and waybill"),
        (status.eq("AvailableForPickup"), "orange", "T4 ready for pickup",
         "T4: tell the customer where and until when to pick up"),
        (s9, "orange", "S9 follow up after " + ship_days + " days (" + clock_service + ")",
         "S9: track and inform the customer"),
        (blank, "yellow", "V1 tracking number missing", "V1: fill in the tracking number"),
        (v4.ne(""), "yellow", "V4 tracking number", "V4: " + v4),
        (rejected, "yellow", "T1 number rejected", "T1: " + error + "; check the number and carrier"),
        (v9.ne("") & ~is_final, "yellow", "V9 customs declaration", v9),
        (failed, "blue", "fetch failed, last good status kept", "Waiting: " + error.where(error.ne(""), "fetch failed")),
        (failed & s8, "blue", "", "S8: last known event " + since_txt + " days ago (unconfirmed: fetch failed)"),
        (no_scan & ~s7 & status.eq("InfoReceived"), "blue", "T1 info received, not scanned yet",
         "T1: waiting for the first carrier scan (S7 after " + s7_limit.map("{:g}".format) + " day(s))"),
        (no_scan & ~s7 & ~status.eq("InfoReceived"), "blue", "T1 not found yet",
         "T1: waiting for the first carrier scan (S7 after " + s7_limit.map("{:g}".format) + " day(s))"),
        (status.isin(["InTransit", "OutForDelivery"]), "blue",
         status.map({"InTransit": "in transit", "OutForDelivery": "out for delivery"}).fillna(""),
         "Waiting on the carrier; S9 follow-up " + s9_due.where(start.notna(), "once shipped")),
        (delivered, "green", "T7 delivered",
         "T7: delivered " + delivered_at.dt.strftime("%Y-%m-%d %H:%M").astype(object).where(
             delivered_at.notna(), "(time unknown)") + "; W2/W3/W6 clocks start"),
    ]
    folded = combine([Finding(mask_of(mask), col, "{detail}", action="{action}",
                              values={"detail": _s(detail, idx).to_numpy(), "action": _s(act, idx).to_numpy()})
                      for mask, col, detail, act in findings], idx, tab=tab, letters=letters)
    alert = pd.Series(folded.alert, index=idx, dtype=object)
    colour = pd.Series(folded.alert_colour, index=idx, dtype=object)
    action = pd.Series(folded.next_action, index=idx, dtype=object)

    # The detected carrier is shown here, never written into the people's Carrier column.
    shown = sheet_carrier.eq("") & carrier_detected.ne("")
    detected = "Carrier: " + carrier_detected + " (detected)"
    action = action.mask(shown & action.ne(""), action + " | " + detected).mask(shown & action.eq(""), detected)

    issues = _issues(idx, tab, letters, numbers, v4, v9_lists, rejected, error, is_final)
    out = pd.DataFrame({
        "tracking_status": status.astype(object), "last_event": last_event.astype(object), "last_event_at": last_at,
        "days_since_update": days_since_update, "days_in_transit": days_in_transit,
        "alert": alert, "alert_colour": colour, "next_action": action,
        "carrier_detected": carrier_detected, "service_inferred": service, "delivered_at": delivered_at,
        "issues": issues,
    }, index=idx)
    return out[list(OUTPUT_COLUMNS)]


def _issues(idx, tab, letters, numbers, v4, v9_lists, rejected, error, is_final) -> pd.Series:
    """Issue values for the flagged rows only (cells like ``Logistics!A5``)."""
    out = pd.Series([[] for _ in range(len(idx))], index=idx, dtype=object)
    num_col = letters.get("tracking_number", "A")
    value_field = next((f for f in ("declared_value", "destination_country") if f in letters), "tracking_number")
    value_col = letters.get(value_field, num_col)
    for row in idx[v4.ne("").to_numpy()]:
        out[row].append(Issue("V4-bad-tracking-number", tab, row, "tracking_number", v4[row], column=num_col))
    for row in idx[rejected.to_numpy()]:
        out[row].append(Issue("T1-number-rejected", tab, row, "tracking_number",
                              f"{numbers[row]}: {error[row] or 'rejected by the tracking provider'}", "warning",
                              num_col))
    for row in idx[(v9_lists.map(len).gt(0) & ~is_final).to_numpy()]:
        for problem in v9_lists[row]:
            out[row].append(Issue("V9-customs-declaration", tab, row, value_field, problem, column=value_col))
    return out
