"""``sheets-automation beat``: enqueue each due entry once per slot, whatever the number of beats.

The timetable is the config's (:class:`~sheets_automation.scheduler.Trigger` per entry, in
merchant time). Every ``beat_every_seconds`` each beat computes, on the broker's clock, the
latest slot of every entry and claims it in Redis with ``SET slot:<sheet>:<entry> <slot>``
only when the stored slot is older (one Lua step): the first beat to claim a slot enqueues
its task, a second beat on another machine finds it claimed. A beat that was down enqueues
the latest missed slot once (make-up), not every missed slot.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

from .. import logs
from ..config import Config
from ..scheduler import merchant_tz, settings_for
from .redis_parts import broker_now
from .tasks import slot_key

# KEYS[1] slot key; ARGV[1] the slot (ISO, UTC, same format: string order = time order)
_CLAIM = """
local old = redis.call('GET', KEYS[1])
if old and old >= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', 8 * 86400)
return 1
"""


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def due_slots(config: Config, now: datetime) -> list[tuple[str, str, datetime]]:
    """(sheet, entry, latest slot at or before ``now``) for every scheduled entry. Pure."""
    out = []
    for sheet in config.spreadsheets:
        tz = merchant_tz(config, sheet)
        for entry in settings_for(config, sheet).entries(config.messages_enabled):
            out.append((sheet.name, entry.name, entry.trigger.latest(now, tz)))
    return out


def tick(app, client, config: Config) -> int:
    """Claim and enqueue what is due now; return how many tasks this beat enqueued."""
    claim = client.register_script(_CLAIM)
    now = broker_now(client)
    sent = 0
    for sheet, entry, slot in due_slots(config, now):
        iso = _iso(slot)
        if claim(keys=[slot_key(sheet, entry)], args=[iso]):
            app.send_task("sheets_automation.run_entry", args=[sheet, entry, iso])
            sent += 1
    return sent


def serve(app, client, config: Config, every: float, stop=lambda: False) -> int:
    logs.event("beat started", sheets=len(config.spreadsheets), every_seconds=every)
    while not stop():
        n = tick(app, client, config)
        if n:
            logs.event("beat enqueued", tasks=n)
        time.sleep(every)
    return 0
