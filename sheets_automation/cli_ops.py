"""Operations commands: ``scheduler``, ``status``, ``history``, ``report`` (added to the CLI's parser).

Thin like :mod:`.cli`: parse, load config, call :mod:`.scheduler`, :mod:`.audit` or
:mod:`.report`, print. Exit codes: 0 success, 1 the command could not complete.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone
from .cli_args import config_from_args, parse_now, sheets_named

SCHEDULER_EPILOG = """\
examples:
  sheets-automation scheduler --config sheets-automation.toml            run until stopped (SIGTERM/Ctrl-C)
  sheets-automation scheduler --config sheets-automation.toml --log-format json
  sheets-automation scheduler --workbook ops.xlsx --once-at 2025-03-10T09:00+08:00
                                    run what is due at that instant, then exit (cron-friendly)
"""


def _target(sp) -> None:
    g = sp.add_mutually_exclusive_group()
    g.add_argument("--config", metavar="PATH", help="config file (default: ./sheets-automation.toml or $SHEETS_AUTOMATION_CONFIG)")
    g.add_argument("--workbook", metavar="PATH", help="a local .xlsx workbook instead of a config file")
    sp.add_argument("--sheet", metavar="NAME", help="only the spreadsheet with this name in the config")
    sp.add_argument("--timezone", metavar="TZ", help="merchant time zone for --workbook (default Asia/Shanghai)")


def add_commands(sub) -> None:
    """Register the operations subcommands on the CLI's subparsers."""
    s = sub.add_parser("scheduler", help="run the jobs on schedule until stopped (tracking hourly, rules every 10 min, "
                       "cashback check 18:00, weekly report Monday 09:00)", epilog=SCHEDULER_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Long-running scheduler. Times are merchant time; missed runs are made up once at "
                       "start; SIGTERM/SIGINT finish the write in progress, then exit. Configure in [scheduler].")
    _target(s)
    s.add_argument("--once-at", metavar="ISO-8601", help="run only what is due at this instant (as of it), then exit")
    s.add_argument("--once", action="store_true", help="run only what is due now, then exit")
    s.add_argument("--log-format", choices=("plain", "json"), default="plain", help="log line format (default plain)")
    s.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    s.set_defaults(func=cmd_scheduler)

    st = sub.add_parser("status", help="last and next run of each job per spreadsheet, durations, API calls, failures")
    _target(st)
    st.add_argument("--now", metavar="ISO-8601", help="show next runs as of this instant")
    st.set_defaults(func=cmd_status)

    h = sub.add_parser("history", help="every change the automation made to one row (by Case ID, tracking number…)")
    h.add_argument("key", metavar="KEY", help="the row's key, e.g. CS-00012 or RR123456785CN")
    _target(h)
    h.set_defaults(func=cmd_history)

    r = sub.add_parser("report", help="print the weekly self-check (R1-R4); --png saves the trend chart",
                       description="Compute the weekly report from the sheet and print it (write it to the sheet with "
                       "`run report`).")
    _target(r)
    r.add_argument("--now", metavar="ISO-8601", help="as of this instant (default now)")
    r.add_argument("--png", metavar="PATH", help="save the 12-week trend chart as a PNG image")
    r.set_defaults(func=cmd_report)


def cmd_scheduler(args) -> int:
    from . import logs
    from .scheduler import SheetScheduler, install_signal_handlers

    logs.setup_logging(args.log_format, args.log_level)
    config = config_from_args(args)
    if args.sheet:
        from dataclasses import replace

        config = replace(config, spreadsheets=(config.spreadsheet(args.sheet),))
    scheduler = SheetScheduler(config)
    if args.once_at or args.once:
        at = parse_now(args.once_at)
        n = scheduler.once(at)
        logs.event("once: done", due=n, failed=scheduler.failed)
        return 1 if scheduler.failed else 0  # so cron notices
    restore = install_signal_handlers(scheduler)
    try:
        return scheduler.serve()
    finally:
        restore()


def _local(t: datetime | None, tz) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M") if t else "never"


def status_lines(config, now: datetime) -> list[str]:
    """The ``status`` table, one block per spreadsheet (pure over the store's records)."""
    from .audit import AuditStore
    from .scheduler import merchant_tz, settings_for

    store = AuditStore.for_config(config)
    lines = []
    for sheet in config.spreadsheets:
        tz = merchant_tz(config, sheet)
        runs = store.runs(sheet.name, limit=5000)
        lines.append(f"{sheet.name} ({tz.key})")
        lines.append(f"  {'entry':9} {'schedule':15} {'last run':17} {'status':8} {'took':>7} {'API':>4} {'cells':>6} "
                     f"{'next run':17} {'API 24h':>7} {'failed 7d':>9}")
        entries = settings_for(config, sheet).entries(config.messages_enabled)
        names = [e.name for e in entries] + sorted({r.entry for r in runs} - {e.name for e in entries})
        for name in names:
            entry = next((e for e in entries if e.name == name), None)
            mine = [r for r in runs if r.entry == name]
            last = mine[0] if mine else None
            api_day = sum(r.api_calls for r in mine if r.started >= now - timedelta(days=1))
            failed = sum(1 for r in mine if r.status == "failed" and r.started >= now - timedelta(days=7))
            nxt = _local(entry.trigger.next_after(now, tz), tz) if entry else "(manual)"
            lines.append(f"  {name:9} {entry.trigger.describe() if entry else '-':15} "
                         f"{_local(last.started if last else None, tz):17} {last.status if last else '-':8} "
                         f"{(f'{last.seconds:.1f}s' if last else '-'):>7} {(last.api_calls if last else 0):>4} "
                         f"{(last.written if last else 0):>6} {nxt:17} {api_day:>7} {failed:>9}")
            if last and last.status not in ("ok", "unchanged") and last.error:
                lines.append(f"    last error: {last.error[:160]}")
    return lines


def cmd_status(args) -> int:
    config = config_from_args(args)
    if args.sheet:
        from dataclasses import replace

        config = replace(config, spreadsheets=(config.spreadsheet(args.sheet),))
    for line in status_lines(config, parse_now(args.now)):
        print(line)
    if config.distributed:
        for line in quota_lines(config):
            print(line)
    return 0


def quota_lines(config) -> list[str]:
    """Distributed mode: Sheets calls per service account per minute, last 5 minutes (from Redis)."""
    try:
        from .distributed.redis_parts import broker_now
        from .distributed.runtime import Runtime

        rt = Runtime.build(config)
        minute = int(broker_now(rt.redis).timestamp() // 60)
        accounts = sorted({config.account_for(s) for s in config.spreadsheets})
        lines = ["Sheets calls per minute by service account (oldest → this minute; limits "
                 f"{rt.settings.sheets_reads_per_minute:g} reads, {rt.settings.sheets_writes_per_minute:g} writes)"]
        for account in accounts:
            reads = rt.quota.calls_per_minute(account, "read", minute)
            writes = rt.quota.calls_per_minute(account, "write", minute)
            lines.append(f"  {account:20} reads {' '.join(f'{n:>3}' for n in reads)}   "
                         f"writes {' '.join(f'{n:>3}' for n in writes)}")
        return lines
    except Exception as exc:  # noqa: BLE001 - status still shows the run records
        return [f"quota counters unavailable ({type(exc).__name__}): is Redis running?"]


def cmd_history(args) -> int:
    from .audit import AuditStore

    config = config_from_args(args)
    store = AuditStore.for_config(config)
    entries = store.history(args.key, sheet=args.sheet)
    if not entries:
        where = "the audit database ([audit] database_url)" if store.url and not store.path else config.data_dir
        print(f"no recorded changes for {args.key!r} in {where}")
        return 0
    for e in entries:
        when = e.at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        rule = f"  [{e.rules}]" if e.rules else ""
        print(f"{when}  {e.sheet}  {e.tab} {e.row_key}  {e.column}: {_short(e.old)!r} → {_short(e.new)!r}{rule}  run {e.run_id}")
    return 0


def _short(text: str, n: int = 60) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def cmd_report(args) -> int:
    from .backends.factory import open_backend
    from .jobs.report import build
    from .report import report_rows
    from .runner import RunContext, load_tabs
    from .schema import shipped_schemas

    config = config_from_args(args)
    now = parse_now(args.now)
    sheets = sheets_named(config, args.sheet)
    if args.png and len(sheets) > 1:
        from .errors import ConfigError

        raise ConfigError("--png draws one spreadsheet's chart: add --sheet NAME")
    for sheet in sheets:
        snapshot = open_backend(config, sheet).read()
        tz_name = sheet.timezone or snapshot.timezone or config.timezone
        tabs, errors = load_tabs(snapshot, tz_name, config.day_first, shipped_schemas(), now)
        if "cases" not in tabs:
            print(f"error: {errors.get('cases', 'no Cases tab')}", file=sys.stderr)
            return 1
        from zoneinfo import ZoneInfo

        ctx = RunContext(now=now.astimezone(ZoneInfo(tz_name)), tz_name=tz_name, config=config, sheet=sheet,
                         tabs=tabs, tab_errors=errors, log=lambda s: None)
        report = build(ctx)
        print(f"== {sheet.name}")
        for row in report_rows(report, tz_name):
            print("  " + " | ".join(str(v) for v in row) if row else "")
        if args.png:
            from .report.png import save_trend_png

            how = save_trend_png(report, args.png)
            print(f"trend chart saved to {args.png} ({how})")
    return 0


# --------------------------------------------------------------------------- distributed mode (#12)

def add_distributed_commands(sub) -> None:
    w = sub.add_parser("worker", help="distributed mode: run tasks from the Redis queue (Celery worker)",
                       description="Start a Celery worker for the config's spreadsheets. Needs the [distributed] "
                       "extra and a Redis broker ([distributed] broker_url).")
    _target(w)
    w.add_argument("--concurrency", type=int, default=2, help="processes in this worker (default 2)")
    w.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    w.set_defaults(func=cmd_worker)
    b = sub.add_parser("beat", help="distributed mode: enqueue each due entry once per slot (safe to run twice)")
    _target(b)
    b.add_argument("--log-format", choices=("plain", "json"), default="plain")
    b.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    b.set_defaults(func=cmd_beat)


def _distributed(args):
    try:
        from .distributed.app import make_app
    except ImportError:
        from .errors import ConfigError

        raise ConfigError('distributed mode needs its extra: pip install "sheets-automation[distributed]"') from None
    config = config_from_args(args)
    return config, make_app(config)


def cmd_worker(args) -> int:
    config, app = _distributed(args)
    app.worker_main(["worker", f"--loglevel={args.log_level}", f"--concurrency={max(1, args.concurrency)}",
                     "--pool=prefork", "--without-gossip", "--without-mingle", "--without-heartbeat"])
    return 0


def cmd_beat(args) -> int:
    import signal

    from . import logs
    from .distributed.app import runtime
    from .distributed.beat import serve

    logs.setup_logging(args.log_format, args.log_level)
    config, app = _distributed(args)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    rt = runtime()
    try:
        return serve(app, rt.redis, config, rt.settings.beat_every_seconds, stop=lambda: bool(stopping))
    except KeyboardInterrupt:
        return 0
