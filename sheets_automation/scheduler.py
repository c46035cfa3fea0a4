"""``sheets-automation scheduler``: the long-running process, on the ``schedule`` library.

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
* ``schedule`` reads the host's clock and needs pytz for time zones, so its jobs here are
  :class:`_ClockJob` s whose times come from an injected :class:`Clock` and :class:`Trigger`.
"""
from __future__ import annotations

import logging
import secrets
import signal
import time as _time
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Callable, Protocol
from zoneinfo import ZoneInfo

import schedule

from . import logs
from .audit import AuditStore, RunRecord, SheetState, audit_settings_from_mapping, entries_from_result, log_tab
from .backends.base import WritePlan
from .changes import settings_fingerprint, skip_reason, skippable, version_checker
from .config import Config, SpreadsheetConfig
from .errors import ConfigError
from .locks import RunDeferred, SheetBusyError, SheetLock, lock_place

SCHEDULER_KEYS = {"enabled", "tracking_every_minutes", "rules_every_minutes", "cashback_check_at", "report_at",
                  "make_up_missed", "lock_wait_seconds", "skip_unchanged", "max_skip_hours"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Clock(Protocol):
    """Where the scheduler gets the time and how it waits (injected: tests never wait)."""

    def now(self) -> datetime: ...  # aware

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        _time.sleep(max(0.0, seconds))


# --------------------------------------------------------------------------- when (pure)


@dataclass(frozen=True, slots=True)
class Trigger:
    """Every ``every_minutes`` (wall-clock aligned), or at ``at`` daily / on ``weekday`` (0 = Monday)."""

    every_minutes: int = 0
    at: time | None = None
    weekday: int | None = None

    def _candidates(self, t: datetime, tz: ZoneInfo, step: int):
        local = t.astimezone(tz).replace(tzinfo=None)
        if self.every_minutes:
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            n = int((local - midnight).total_seconds() // (60 * self.every_minutes))
            base = midnight + timedelta(minutes=n * self.every_minutes)
            for k in range(0, 2 * 1440 // self.every_minutes + 2):
                yield (base + step * timedelta(minutes=k * self.every_minutes)).replace(tzinfo=tz)
            return
        day = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        for k in range(0, 9):
            c = day + step * timedelta(days=k)
            if self.weekday is None or c.weekday() == self.weekday:
                yield c.replace(tzinfo=tz)

    def latest(self, t: datetime, tz: ZoneInfo) -> datetime:
        """The last slot at or before ``t``."""
        return next(c for c in self._candidates(t, tz, -1) if c <= t)

    def next_after(self, t: datetime, tz: ZoneInfo) -> datetime:
        """The first slot strictly after ``t``."""
        return next(c for c in self._candidates(t, tz, +1) if c > t)

    def describe(self) -> str:
        if self.every_minutes:
            return f"every {self.every_minutes} min"
        day = "daily" if self.weekday is None else WEEKDAYS[self.weekday].capitalize()
        return f"{day} {self.at.strftime('%H:%M')}"


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    jobs: tuple[str, ...]
    trigger: Trigger


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    enabled: bool = True
    tracking_every_minutes: int = 60
    rules_every_minutes: int = 10
    cashback_check_at: time | None = time(18, 0)
    report_at: tuple[int, time] | None = (0, time(9, 0))
    make_up_missed: bool = True
    lock_wait_seconds: float = 10.0
    skip_unchanged: bool = True  # changes.py: skip rules runs on a sheet nothing changed
    max_skip_hours: float = 6.0  # ... but read it in full at least this often

    def entries(self, messages: bool = True) -> list[Entry]:
        out = []
        if not self.enabled:
            return out
        if self.tracking_every_minutes:
            out.append(Entry("tracking", ("tracking",), Trigger(every_minutes=self.tracking_every_minutes)))
        if self.rules_every_minutes:
            out.append(Entry("rules", ("rules", "messages") if messages else ("rules",),
                             Trigger(every_minutes=self.rules_every_minutes)))
        if self.cashback_check_at:
            out.append(Entry("cashback", ("rules",), Trigger(at=self.cashback_check_at)))
        if self.report_at:
            out.append(Entry("report", ("report",), Trigger(at=self.report_at[1], weekday=self.report_at[0])))
        return out


def _clock_time(text: str) -> time:
    h, m = text.strip().split(":")
    return time(int(h), int(m))


def schedule_settings_from_mapping(d: dict, prefix: str = "scheduler") -> tuple[ScheduleSettings, list[str]]:
    """Check ``[scheduler]`` (merged with a spreadsheet's overrides); every problem, by key."""
    errors = [f"{prefix}.{k}: unknown key (allowed: {', '.join(sorted(SCHEDULER_KEYS))})"
              for k in sorted(set(d) - SCHEDULER_KEYS)]
    default = ScheduleSettings()
    values = {}
    for key in ("enabled", "make_up_missed", "skip_unchanged"):
        if key in d and not isinstance(d[key], bool):
            errors.append(f"{prefix}.{key}: must be true or false")
        values[key] = d.get(key, getattr(default, key))
    for key in ("tracking_every_minutes", "rules_every_minutes"):
        v = d.get(key, getattr(default, key))
        if not isinstance(v, int) or isinstance(v, bool) or not (v == 0 or (1 <= v <= 1440 and 1440 % v == 0)):
            errors.append(f"{prefix}.{key}: must be 0 (off) or a whole number of minutes that divides a day "
                          "(5, 10, 15, 30, 60, 120…)")
        values[key] = v
    at = d.get("cashback_check_at", "18:00")
    try:
        values["cashback_check_at"] = _clock_time(at) if at else None
    except (ValueError, AttributeError):
        errors.append(f"{prefix}.cashback_check_at: write a time like \"18:00\", or \"\" for off")
    report = d.get("report_at", "monday 09:00")
    try:
        day, hhmm = str(report).split() if report else ("", "")
        values["report_at"] = (WEEKDAYS.index(day.lower()), _clock_time(hhmm)) if report else None
    except (ValueError, AttributeError):
        errors.append(f"{prefix}.report_at: write a weekday and time like \"monday 09:00\", or \"\" for off")
    wait = d.get("lock_wait_seconds", default.lock_wait_seconds)
    if not isinstance(wait, (int, float)) or isinstance(wait, bool) or not 0 <= wait <= 600:
        errors.append(f"{prefix}.lock_wait_seconds: must be a number of seconds from 0 to 600")
    values["lock_wait_seconds"] = float(wait) if not errors else default.lock_wait_seconds
    skip = d.get("max_skip_hours", default.max_skip_hours)
    if not isinstance(skip, (int, float)) or isinstance(skip, bool) or not 0 < skip <= 168:
        errors.append(f"{prefix}.max_skip_hours: must be a number of hours above 0, at most 168")
    values["max_skip_hours"] = float(skip) if not errors else default.max_skip_hours
    if errors:
        return default, errors
    return ScheduleSettings(**values), []


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

        def on_applied(result) -> None:
            if audit.enabled:
                store.record_writes(entries_from_result(result, run_id, started))

        result = run_once(backend, config, sheet, jobs, now, log=log, on_applied=on_applied)
        calls = result.applied.api_calls if result.applied else 0
        if result.applied is not None and audit.enabled and audit.log_tab:
            mirror = backend.apply(WritePlan(reports=[log_tab(store.newest(sheet.name, audit.log_rows),
                                                              audit.log_tab_name)]))
            calls += mirror.api_calls
    except RunDeferred:  # open_backend found no quota left: the caller retries later, nothing ran
        raise
    except Exception as exc:
        store.record_run(RunRecord(**base, status="failed", seconds=_time.perf_counter() - t0,
                                   error=f"{type(exc).__name__}: {exc}"[:500]))
        raise
    finally:
        lock.release()
    if version:  # the version read before this run: a run that wrote changed it, so the next one reads again
        store.save_sheet_state(sheet.name, entry, SheetState(version, now, result.next_change, now))
    applied = result.applied
    cells = sum(1 for w in result.plan.cells if not w.tab.startswith("_"))
    record = RunRecord(**base, status="ok" if result.ok else "failed", seconds=result.seconds, api_calls=calls,
                       written=max(cells - len(applied.skipped), 0) if applied else 0,
                       appended=sum(1 for a in result.plan.appends if not a.tab.startswith("_")) if applied else 0,
                       skipped=len(applied.skipped) if applied else 0,
                       error="; ".join(result.tab_errors.values())[:500])
    store.record_run(record)
    return record, result


# --------------------------------------------------------------------------- the loop


class _ClockJob(schedule.Job):
    """A ``schedule.Job`` timed by our :class:`Clock` and :class:`Trigger` in merchant time."""

    def __init__(self, engine: schedule.Scheduler, clock: Clock, trigger: Trigger, tz: ZoneInfo,
                 func: Callable[[], None], label: str):
        super().__init__(1, engine)
        self.unit = "minutes"
        self.job_func = func
        self.clock, self.trigger, self.tz, self.label = clock, trigger, tz, label
        self._schedule_next_run()
        engine.jobs.append(self)

    @property
    def should_run(self) -> bool:
        return self.clock.now() >= self.next_run

    def _schedule_next_run(self) -> None:
        self.next_run = self.trigger.next_after(self.clock.now(), self.tz)

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
        self.engine = schedule.Scheduler()
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
        """Register one schedule job per (spreadsheet, entry)."""
        self.engine.clear()
        for sheet, entry, tz, _s in self.plan:
            _ClockJob(self.engine, self.clock, entry.trigger, tz,
                      lambda s=sheet, e=entry: self.run_entry(s, e, "schedule"), f"{sheet.name}/{entry.name}")

    def next_runs(self) -> list[tuple[str, str, datetime]]:
        return [(j.label.split("/")[0], j.label.split("/")[1], j.next_run) for j in self.engine.jobs]

    def serve(self, until: datetime | None = None) -> int:
        """Make up missed runs, then run on time until :meth:`stop` (or ``until``, for tests). Returns 0."""
        logs.event("scheduler started", sheets=len(self.config.spreadsheets), entries=len(self.plan))
        self.make_up()
        self.start()
        while not self.stopping and (until is None or self.clock.now() < until):
            self.engine.run_pending()
            if self.stopping or not self.engine.jobs:
                break
            idle = (min(j.next_run for j in self.engine.jobs) - self.clock.now()).total_seconds()
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
