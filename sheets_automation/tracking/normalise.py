"""17TRACK v2.2 payloads → our status set and :class:`TrackResult` (policy T1-T7).

Pure and defensive: a missing, null or odd-typed field never raises; it just yields
less information. Status mapping (reference tracking-apis.md §6):

* customs sub-statuses (``InTransit_CustomsProcessing``, ``..._CustomsRequiringInformation``)
  → CustomsHold; ``Exception_Security`` / ``DeliveryFailure_Security`` → CustomsHold only
  when the event text mentions customs (those codes also cover fees and safety);
* ``Exception_Returning`` / ``Exception_Returned`` → Returned (T2);
* every other main status maps to itself; an unknown non-empty status → Exception, so
  a person looks at it (its raw code stays in ``sub_status``).

Events come from every provider leg (consolidator then last-mile post), each list
newest-first; they are merged and ordered by ``time_utc``.
"""
from __future__ import annotations

import re
from datetime import datetime

from .provider import STATUSES, TrackResult
from ..isotime import parse_utc

CUSTOMS_SUB_STATUSES = frozenset({"InTransit_CustomsProcessing", "InTransit_CustomsRequiringInformation"})
SECURITY_SUB_STATUSES = frozenset({"Exception_Security", "DeliveryFailure_Security"})
RETURN_SUB_STATUSES = frozenset({"Exception_Returning", "Exception_Returned"})
_CUSTOMS_WORDS = re.compile(r"customs|douane|zoll|aduana|alf[aâ]ndega|dogana|clearance|海关|清关|關", re.I)
_MAIN = frozenset(STATUSES) - {"CustomsHold", "Returned"}


def normalise_status(status: object, sub_status: object = "", description: object = "") -> str:
    """17TRACK main + sub status (+ event text) → one of our STATUSES.

    >>> normalise_status("Exception", "Exception_Returning")
    'Returned'
    """
    main = status if isinstance(status, str) else ""
    sub = sub_status if isinstance(sub_status, str) else ""
    text = description if isinstance(description, str) else ""
    if not main and "_" in sub:
        main = sub.split("_", 1)[0]
    if not main and sub in _MAIN:
        main = sub
    if sub in CUSTOMS_SUB_STATUSES:
        return "CustomsHold"
    if sub in SECURITY_SUB_STATUSES and _CUSTOMS_WORDS.search(text):
        return "CustomsHold"
    if sub in RETURN_SUB_STATUSES:
        return "Returned"
    if main in _MAIN:
        return main
    if main in ("CustomsHold", "Returned"):
        return main
    return "Exception" if main else "NotFound"


def _d(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value: object) -> list:
    return value if isinstance(value, list) else []


def _s(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def event_time(event: dict) -> datetime | None:
    """``time_utc`` first (the reliable one), then ``time_iso``."""
    return parse_utc(event.get("time_utc")) or parse_utc(event.get("time_iso"))


def _events(track_info: dict) -> list[tuple[datetime | None, dict]]:
    out = []
    for provider in _l(_d(track_info.get("tracking")).get("providers")):
        for event in _l(_d(provider).get("events")):
            if isinstance(event, dict):
                out.append((event_time(event), event))
    return out


def _describe(event: dict) -> str:
    text = _s(event.get("description")) or _s(event.get("description_translation"))
    location = _s(event.get("location"))
    return f"{text} ({location})" if text and location else text or location


def _carrier_name(item: dict, track_info: dict) -> str:
    key = str(item.get("carrier") or "")
    names = []
    for provider in _l(_d(track_info.get("tracking")).get("providers")):
        p = _d(_d(provider).get("provider"))
        name = _s(p.get("name"))
        if name:
            names.append(name)
            if str(p.get("key") or "") == key:
                return name
    return names[0] if names else ""


def _milestone(track_info: dict, stage: str) -> datetime | None:
    for m in _l(track_info.get("milestone")):
        m = _d(m)
        if m.get("key_stage") == stage:
            return event_time(m)
    return None


def parse_track_item(item: object) -> TrackResult | None:
    """One ``gettrackinfo`` accepted item → :class:`TrackResult`; None without a number.

    ``provider_state`` is ``pending`` while the carrier has no events and the status is
    NotFound, else ``ok``. Whether tracking was stopped is for the caller to decide.
    """
    item = _d(item)
    number = _s(item.get("number")).upper()
    if not number:
        return None
    info = _d(item.get("track_info"))
    latest_status = _d(info.get("latest_status"))
    latest_event = _d(info.get("latest_event"))
    events = _events(info)
    timed = sorted(((t, i) for i, (t, _) in enumerate(events) if t is not None))
    newest = events[timed[-1][1]][1] if timed else None
    latest_at = event_time(latest_event) if latest_event else None
    if newest is not None and (latest_at is None or timed[-1][0] >= latest_at):
        last_event, last_at = newest, timed[-1][0]
    else:
        last_event, last_at = latest_event, latest_at
    sub = _s(latest_status.get("sub_status")) or _s(_d(last_event).get("sub_status"))
    status = normalise_status(latest_status.get("status"), sub, _s(_d(last_event).get("description")))
    first_at = timed[0][0] if timed else (_milestone(info, "InfoReceived") or last_at)
    delivered_at = None
    if status == "Delivered":
        delivered_at = _milestone(info, "Delivered") or last_at
    pending = status == "NotFound" and not events and not latest_event
    return TrackResult(
        number=number, status=status, sub_status=sub, last_event=_describe(_d(last_event)),
        last_event_at=last_at, first_event_at=first_at, delivered_at=delivered_at,
        events_count=len(events) or (1 if latest_event else 0),
        provider_state="pending" if pending else "ok", carrier=_carrier_name(item, info))


def is_stopped(item: object) -> bool:
    """True when the item says 17TRACK stopped tracking it (``tracking_status: "Stopped"``)."""
    item = _d(item)
    value = item.get("tracking_status") or _d(item.get("track_info")).get("tracking_status")
    return isinstance(value, str) and value.casefold() == "stopped"
