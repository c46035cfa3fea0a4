"""``sheets-automation scheduler``: the long-running process.

Default entries per spreadsheet, in merchant time (the spreadsheet's ``timezone``, else the
config's)::

    entry      jobs               when (config key, [scheduler] or per spreadsheet)
    tracking   tracking           every 60 minutes     tracking_every_minutes (0 = off)
    rules      rules, messages    every 10 minutes     rules_every_minutes    (0 = off)
    cashback   rules              18:00 every day      cashback_check_at      ("" = off; S5 end of business)
    report     report             Monday 09:00         report_at              ("" = off; R1-R4)

Behaviour worth knowing:

* Interval slots are aligned to the merchant's wall clock (every 10 minutes = :00, :10, …).
* A failing spreadsheet or job is logged and recorded (``status``) and never stops the others.
* Missed runs (process down over a slot) are made up **once** at start, from the last-run
  times in SQLite (:mod:`.audit`); ``make_up_missed = false`` turns that off.
* SIGTERM / SIGINT: the write in progress finishes, no new run starts, exit 0.
* Each run holds the spreadsheet's file lock (:mod:`.locks`); a busy sheet is skipped with a
  message after ``lock_wait_seconds``.
* Slot times come from :class:`Trigger` in merchant time and an injected :class:`Clock`
  (tests never wait); the loop is a list of :class:`_Slot` s, the earliest run first.
"""
from __future__ import annotations

import contextlib
import logging
import secrets
import signal
import time as _time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol
from zoneinfo import ZoneInfo

from . import logs
from .audit import AuditStore, RunRecord, SheetState, audit_settings_from_mapping, entries_from_result, log_tab
from .backends.base import WritePlan
from .changes import settings_fingerprint, skip_reason, skippable, version_checker
from .config import Config, SpreadsheetConfig
from .errors import ConfigError
from .locks import RunDeferred, SheetBusyError, SheetLock, lock_place
from .timetable import Entry, ScheduleSettings, Trigger, schedule_settings_from_mapping



class Clock(Protocol):
    """Where the scheduler gets the time and how it waits (injected: tests never wait)."""

    def now(self) -> datetime: ...  # aware

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        _time.sleep(max(0.0, seconds))


def settings_for(config: Config, sheet: SpreadsheetConfig) -> ScheduleSettings:
    value, errors = schedule_settings_from_mapping(config.scheduler_for(sheet))
    if errors:
        raise ConfigError(f"{config.source or 'config'}: " + "; ".join(errors))
    return value


def merchant_tz(config: Config, sheet: SpreadsheetConfig) -> ZoneInfo:
    return ZoneInfo(sheet.timezone or config.timezone)


# --------------------------------------------------------------------------- one run


def new_run_id(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


def execute_run(config: Config, sheet: SpreadsheetConfig, jobs: list[str], now: datetime, *, store: AuditStore,
                started: datetime | None = None, entry: str = "run", trigger: str = "manual",
                open_backend: Callable | None = None, lock_wait: float | None = None, holder: str = "run",
                log: Callable[[str], None] = lambda s: None, sleep: Callable[[float], None] = _time.sleep,
                lock=None, version_of: Callable[[], str] | None = None):
    """Lock the spreadsheet, run ``jobs`` as of ``now``, record the run and every cell written.

    Returns ``(RunRecord, RunResult)``. A busy lock raises :class:`SheetBusyError` and any
    run error propagates; both are recorded first (status ``skipped`` / ``failed``).

    ``lock``: a lock object with ``acquire``/``release`` (default: the host's file lock;
    the distributed worker passes its Redis lock). ``version_of``: when given and ``jobs``
    are rules/messages only, the change check of :mod:`.changes` runs first; a skipped run
    returns ``(RunRecord(status="unchanged"), None)`` having made no Sheets call.
    """
    from .backends.factory import open_backend as default_open
    from .runner import run_once

    started = started or datetime.now(timezone.utc)
    run_id = new_run_id(started)
    audit, _ = audit_settings_from_mapping(config.audit)
    base = dict(run_id=run_id, sheet=sheet.name, entry=entry, jobs=tuple(jobs), started=started, trigger=trigger)
    t0 = _time.perf_counter()
    lock_wait = settings_for(config, sheet).lock_wait_seconds if lock_wait is None else lock_wait
    lock = lock or SheetLock(*lock_place(config, sheet), label=sheet.name, wait_seconds=lock_wait,
                             holder=f"{holder} {entry}", sleep=sleep)
    try:
        lock.acquire()
    except SheetBusyError as exc:
        store.record_run(RunRecord(**base, status="skipped", error=str(exc)))
        raise
    version = ""
    try:
        if version_of is not None and skippable(jobs):
            settings = settings_for(config, sheet)
            try:
                version = version_of()
                version = f"{version}|{settings_fingerprint(config, sheet)}" if version else ""
            except Exception as exc:  # noqa: BLE001 - a failed check means a full run, never a skip
                logs.event("change check failed; reading in full", logging.WARNING, sheet=sheet.name,
                           detail=f"{type(exc).__name__}: {exc}"[:200])
            reason = skip_reason(store.sheet_state(sheet.name, entry), version, now,
                                 timedelta(hours=settings.max_skip_hours))
            if reason:
                record = RunRecord(**base, status="unchanged", seconds=_time.perf_counter() - t0, error=reason)
                store.record_run(record)
                return record, None
        backend = (open_backend or default_open)(config, sheet)
        kept_text, kept, learnt = keep_layout_for(backend, store, config, sheet, started)
        if version:  # asked between our write and its verification: see settled_version
            backend.version_probe = lambda: f"{version_of()}|{settings_fingerprint(config, sheet)}"

        def on_applied(result) -> None:
            if audit.enabled:
                store.record_writes(entries_from_result(result, run_id, started))

        result = run_once(backend, config, sheet, jobs, now, log=log, on_applied=on_applied)
        settled = result.applied.settled_version if result.applied else ""
        if result.applied is not None and audit.enabled and audit.log_tab:
            mirror = backend.apply(WritePlan(reports=[log_tab(store.newest(sheet.name, audit.log_rows),
                                                              audit.log_tab_name)]))
            settled = mirror.settled_version  # set only when the first write was settled too
        calls = backend.requests  # the run's Sheets quota use: reads and writes
        # a run that found every tab it needs keeps its layout for the next read; any other drops it
        layout = backend.layout() if result.ok else ""
        learnt_now = learnt if kept and not backend.layout_learnt else started
        if (layout, learnt_now) != (kept_text, learnt) and (layout or kept_text):  # unchanged, or a workbook: no write
            store.keep_layout(sheet.name, layout, learnt_now)
    except RunDeferred:  # open_backend found no quota left: the caller retries later, nothing ran
        raise
    except Exception as exc:
        with contextlib.suppress(Exception):  # the next run learns the tabs afresh (never hides the error)
            store.keep_layout(sheet.name, "", started)
        store.record_run(RunRecord(**base, status="failed", seconds=_time.perf_counter() - t0,
                                   error=f"{type(exc).__name__}: {exc}"[:500]))
        raise
    finally:
        lock.release()
    if version:  # the version read before this run, or the one our own write made when it is proven settled
        store.save_sheet_state(sheet.name, entry, SheetState(settled or version, now, result.next_change, now))
    applied = result.applied
    cells = sum(1 for w in result.plan.cells if not w.tab.startswith("_"))
    record = RunRecord(**base, status="ok" if result.ok else "failed", seconds=result.seconds, api_calls=calls,
                       written=max(cells - len(applied.skipped), 0) if applied else 0,
                       appended=sum(1 for a in result.plan.appends if not a.tab.startswith("_")) if applied else 0,
                       skipped=len(applied.skipped) if applied else 0,
                       error="; ".join(result.tab_errors.values())[:500])
    store.record_run(record)
    return record, result


def keep_layout_for(backend, store: AuditStore, config: Config, sheet: SpreadsheetConfig,
                    started: datetime) -> tuple[str, bool, datetime | None]:
    """Hand ``backend`` the layout kept from an earlier run if its tabs were learnt less than
    ``max_skip_hours`` ago (the same safety net as the change check). Returns the kept text,
    whether it was taken, and when it was learnt."""
    text, learnt = store.kept_layout(sheet.name)
    fresh = learnt is not None and started - learnt < timedelta(hours=settings_for(config, sheet).max_skip_hours)
    return text, (bool(text) and fresh and backend.use_layout(text)), learnt


# --------------------------------------------------------------------------- the loop


@dataclass
class _Slot:
    """One (spreadsheet, entry) in the loop: when it runs next, and what it runs."""

    trigger: Trigger
    tz: ZoneInfo
    func: Callable[[], None]
    label: str  # "sheet/entry"
    next_run: datetime

    def run(self, now: datetime) -> None:
        self.func()
        self.next_run = self.trigger.next_after(max(now, self.next_run), self.tz)

    def __repr__(self) -> str:
        return f"<{self.label} {self.trigger.describe()}, next {self.next_run.isoformat()}>"


class SheetScheduler:
    """Runs every spreadsheet's entries on time; see the module docstring."""

    def __init__(self, config: Config, *, clock: Clock | None = None, store: AuditStore | None = None,
                 open_backend: Callable | None = None, max_sleep: float = 1.0, versions: Callable | None = None):
        self.config = config
        self.versions = versions or version_checker  # (config, sheet) -> () -> version text
        self._checkers: dict[str, Callable[[], str]] = {}
        self.clock = clock or SystemClock()
        self.store = store or AuditStore.for_config(config)
        self.open_backend = open_backend
        self.max_sleep = max_sleep  # wake at least this often to notice a stop request
        self.stopping = False
        self.failed = 0  # runs that failed (an exception or a tab that could not be used)
        self.slots: list[_Slot] = []
        self.plan = [(sheet, entry, merchant_tz(config, sheet), settings_for(config, sheet))
                     for sheet in config.spreadsheets
                     for entry in settings_for(config, sheet).entries(config.messages_enabled)]

    def _versions(self, sheet: SpreadsheetConfig) -> Callable[[], str]:
        """The sheet's change check (:mod:`.changes`), built once per sheet (lazily: a Drive
        session that cannot be built makes every run a full one, never a skipped one)."""
        if sheet.name not in self._checkers:
            try:
                self._checkers[sheet.name] = self.versions(self.config, sheet)
            except Exception as exc:  # noqa: BLE001
                logs.event("change check unavailable; reading in full", logging.WARNING, sheet=sheet.name,
                           detail=f"{type(exc).__name__}: {exc}"[:200])
                self._checkers[sheet.name] = lambda: ""
        return self._checkers[sheet.name]

    def stop(self, reason: str = "stop requested") -> None:
        if not self.stopping:
            logs.event("stopping after the run in progress", reason=reason)
        self.stopping = True

    def run_entry(self, sheet: SpreadsheetConfig, entry: Entry, trigger: str, now: datetime | None = None):
        """One entry on one spreadsheet; never raises (failures are logged and recorded)."""
        if self.stopping:
            return None
        settings = settings_for(self.config, sheet)
        started = self.clock.now()
        fields = dict(sheet=sheet.name, entry=entry.name, jobs=entry.jobs, trigger=trigger)
        logs.event("run started", logging.DEBUG, **fields)
        try:
            record, result = execute_run(self.config, sheet, list(entry.jobs), now or started, store=self.store,
                                         started=started, entry=entry.name, trigger=trigger,
                                         open_backend=self.open_backend, lock_wait=settings.lock_wait_seconds,
                                         holder="scheduler", sleep=self.clock.sleep,
                                         version_of=self._versions(sheet) if settings.skip_unchanged else None)
        except SheetBusyError as exc:
            logs.event("run skipped: spreadsheet busy", logging.WARNING, **fields, detail=str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - one failure must not stop the others
            from .failures import one_line

            self.failed += 1
            line = one_line(exc)  # the network or a folder: the fix, not a traceback
            logs.event("run failed", logging.ERROR, exc=None if line else exc, **fields, **({"error": line} if line else {}))
            return None
        if result is None:
            logs.event("run skipped: sheet unchanged", logging.DEBUG, **fields, detail=record.error)
            return record
        self.failed += record.status == "failed"
        level = logging.INFO if record.status == "ok" else logging.ERROR
        logs.event("run finished", level, **fields, status=record.status, cells=record.written,
                   rows_added=record.appended, kept=record.skipped, api_calls=record.api_calls,
                   reports=len(result.plan.reports), seconds=round(record.seconds, 2),
                   tab_errors=len(result.tab_errors))
        return record

    def due_at(self, t: datetime) -> list[tuple[SpreadsheetConfig, Entry]]:
        """Entries whose latest slot at or before ``t`` has not run yet (never-run entries are due)."""
        out = []
        for sheet, entry, tz, _s in self.plan:
            last = self.store.last_started(sheet.name, entry.name)
            if last is None or last < entry.trigger.latest(t, tz):
                out.append((sheet, entry))
        return out

    def make_up(self) -> int:
        """Run once each entry that missed a slot while the process was down; return how many."""
        now = self.clock.now()
        n = 0
        for sheet, entry, tz, settings in self.plan:
            last = self.store.last_started(sheet.name, entry.name)
            if settings.make_up_missed and last is not None and entry.trigger.next_after(last, tz) <= now:
                logs.event("making up a missed run", sheet=sheet.name, entry=entry.name, last_run=last.isoformat())
                self.run_entry(sheet, entry, "make-up")
                n += 1
        return n

    def once(self, at: datetime) -> int:
        """``--once-at``: run what is due at ``at`` (as of ``at``), then return."""
        due = self.due_at(at)
        for sheet, entry in due:
            self.run_entry(sheet, entry, "once", now=at)
        return len(due)

    def start(self) -> None:
        """One slot per (spreadsheet, entry), each at its next time after now."""
        now = self.clock.now()
        self.slots = [_Slot(entry.trigger, tz, lambda s=sheet, e=entry: self.run_entry(s, e, "schedule"),
                            f"{sheet.name}/{entry.name}", entry.trigger.next_after(now, tz))
                      for sheet, entry, tz, _s in self.plan]

    def run_pending(self) -> None:
        """Run every slot whose time has come, earliest first."""
        for slot in sorted(self.slots, key=lambda s: s.next_run):
            now = self.clock.now()
            if self.stopping or slot.next_run > now:
                continue
            slot.run(now)

    def next_runs(self) -> list[tuple[str, str, datetime]]:
        return [(*slot.label.split("/", 1), slot.next_run) for slot in self.slots]

    def serve(self, until: datetime | None = None) -> int:
        """Make up missed runs, then run on time until :meth:`stop` (or ``until``, for tests). Returns 0."""
        logs.event("scheduler started", sheets=len(self.config.spreadsheets), entries=len(self.plan))
        self.make_up()
        self.start()
        while not self.stopping and (until is None or self.clock.now() < until):
            self.run_pending()
            if self.stopping or not self.slots:
                break
            idle = (min(s.next_run for s in self.slots) - self.clock.now()).total_seconds()
            self.clock.sleep(min(max(idle, 0.0), self.max_sleep))
        logs.event("scheduler stopped")
        return 0


def install_signal_handlers(scheduler: SheetScheduler) -> Callable[[], None]:
    """SIGTERM and SIGINT ask ``scheduler`` to stop after the run in progress; returns a restorer."""
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

    def handler(signum, _frame) -> None:
        scheduler.stop(signal.Signals(signum).name)

    for s in previous:
        signal.signal(s, handler)
    return lambda: [signal.signal(s, h) for s, h in previous.items()]
