"""The task: one entry (tracking, rules, cashback, report) on one spreadsheet (#12 item 1).

:func:`run_entry` is the body the Celery task calls; it returns what happened, or raises
:class:`Defer` with a countdown that the task turns into a Celery retry (the worker never
sleeps on quota or on a busy sheet):

1. superseded? a newer slot of the same entry was enqueued since: drop this one;
2. the spreadsheet's Redis lock (no wait; busy → ``Defer``; Redis down → ``Defer``: never
   run without the lock);
3. the change check (Drive ``files.get`` through the same session: not Sheets quota) may
   skip the run at zero Sheets calls (:mod:`..changes`);
4. quota: the run's usual worst case (4 reads, 2 writes) is taken from the account's buckets
   before the first Sheets call, else ``Defer`` by the wait the bucket names; after the run
   the difference to the real count is refunded or charged. A 429 puts the account in
   back-off for every worker. A tracking entry first takes one token of the tracking
   provider's bucket (runs per minute across all workers).

Evaluation is as of the slot's instant (a retried or redelivered task computes what the
first attempt would have); the run's start, the lock TTL and the quota use the broker's
clock.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from urllib.parse import urlsplit

import redis

from .. import logs
from ..backends.gsheets_drive import drive_version
from ..changes import workbook_version
from ..locks import RunDeferred, SheetBusyError
from ..scheduler import execute_run, settings_for
from .redis_parts import PREFIX, RedisSheetLock, broker_now
from .runtime import BACKOFF_SECONDS, SHEETS_HOST, Runtime

RESERVE = {"read": 4, "write": 2}  # tab metadata, values, re-read, verification; layout and values writes
BUSY_RETRY_SECONDS = 5.0
TRACKING_ACCOUNT = "tracking-provider"


class Defer(Exception):
    """Run this task again after ``countdown`` seconds."""

    def __init__(self, reason: str, countdown: float):
        super().__init__(reason)
        self.countdown = countdown


def slot_key(sheet: str, entry: str) -> str:
    return f"{PREFIX}:slot:{sheet}:{entry}"


def run_entry(rt: Runtime, sheet_name: str, entry_name: str, slot_iso: str) -> str:
    """See the module docstring. Returns the run's status ("ok", "failed", "unchanged", …)."""
    config = rt.config
    sheet = config.spreadsheet(sheet_name)
    entry = next((e for e in settings_for(config, sheet).entries(config.messages_enabled) if e.name == entry_name), None)
    if entry is None:
        return "no such entry"
    slot = datetime.fromisoformat(slot_iso)
    try:
        newest = rt.redis.get(slot_key(sheet.name, entry.name))
        started = broker_now(rt.redis)
    except redis.exceptions.RedisError as exc:
        raise Defer(f"Redis unreachable ({type(exc).__name__})", BUSY_RETRY_SECONDS) from None
    if newest and datetime.fromisoformat(newest.decode()) > slot:
        return "superseded"
    google = config.backend == "google"
    account = config.account_for(sheet)
    counts: Counter = Counter()
    reserved: dict[str, float] = {}
    session = None

    def get_session():
        nonlocal session
        if session is None:
            session = rt.session_factory(config, sheet)
            session.hooks["response"].append(on_response)
        return session

    def on_response(resp, *args, **kwargs):
        if urlsplit(resp.url).hostname != SHEETS_HOST:
            return
        kind = "read" if resp.request.method == "GET" else "write"
        counts[kind] += 1
        try:
            rt.quota.count(account, kind, int(broker_now(rt.redis).timestamp() // 60))
            if resp.status_code == 429:
                rt.quota.backoff(account, BACKOFF_SECONDS)
                logs.event("429 from Google: account in back-off for every worker", logging.WARNING,
                           account=account, seconds=BACKOFF_SECONDS)
        except redis.exceptions.RedisError:
            pass

    def open_backend(cfg, sh):
        if not google:
            from ..backends.factory import open_backend as default_open

            return default_open(cfg, sh)
        from ..backends.gsheets import open_google_backend

        wait = rt.quota.take(account, RESERVE)
        if wait > 0:
            raise RunDeferred(f"quota of {account!r} spent for now", wait)
        reserved.update(RESERVE)
        return open_google_backend(sh.spreadsheet_id, session=get_session(), timeout=cfg.google.timeout_seconds,
                                   max_retries=cfg.google.max_retries)

    def version_of() -> str:
        if google:
            return drive_version(get_session(), sheet.spreadsheet_id, config.google.timeout_seconds)
        return workbook_version(sheet.workbook)

    if "tracking" in entry.jobs:  # the provider's budget is shared by every worker and every sheet
        try:
            wait = rt.quota.take(TRACKING_ACCOUNT, {"tracking": 1})
        except redis.exceptions.RedisError as exc:
            raise Defer(f"Redis unreachable ({type(exc).__name__})", BUSY_RETRY_SECONDS) from None
        if wait > 0:
            raise Defer("tracking provider budget spent for now", wait)
    lock = RedisSheetLock(rt.redis, sheet.name, rt.settings.lock_ttl_seconds, holder=f"pid {rt.pid()}")
    try:
        record, _result = execute_run(config, sheet, list(entry.jobs), slot, store=rt.store, started=started,
                                      entry=entry.name, trigger="worker", open_backend=open_backend, lock=lock,
                                      holder="worker",
                                      version_of=version_of if settings_for(config, sheet).skip_unchanged else None)
    except RunDeferred as exc:
        raise Defer(str(exc), exc.wait) from None
    except SheetBusyError as exc:
        raise Defer(str(exc), BUSY_RETRY_SECONDS) from None
    except redis.exceptions.RedisError as exc:  # the lock could not be taken or kept: never run without it
        raise Defer(f"Redis unreachable ({type(exc).__name__})", BUSY_RETRY_SECONDS) from None
    finally:
        for kind, n in reserved.items():
            try:
                rt.quota.settle(account, kind, counts[kind] - n)
            except redis.exceptions.RedisError:
                pass
    if lock.lost:
        logs.event("lock expired during the run (raise lock_ttl_seconds)", logging.ERROR, sheet=sheet.name)
    return record.status
