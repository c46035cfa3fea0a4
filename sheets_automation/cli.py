"""Command line: ``sheets-automation init | run | demo | jobs``.

Thin: parse arguments, load config, call the runner, turn errors into one line and an
exit code (0 success, 1 the run could not complete, 2 usage). Only this module and the
scheduler read the clock.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .cli_args import config_from_args, parse_now, sheets_named
from .errors import ConfigError, SheetsAutomationError

EPILOG = """\
examples:
  sheets-automation demo                       build a sample workbook offline and run every job on it
  sheets-automation init --workbook ops.xlsx   create the tabs and headers in a workbook
  sheets-automation run --workbook ops.xlsx    run every job once on a workbook
  sheets-automation run rules --config sheets-automation.toml --dry-run
                                               show what the rules job would change, write nothing
  sheets-automation run --now 2025-03-09T00:00+08:00 --workbook ops.xlsx
                                               evaluate as of that instant

configuration: copy config.example.toml to sheets-automation.toml (found automatically in
the current folder, or set SHEETS_AUTOMATION_CONFIG). Rule IDs (W1, S3, V2...) refer to
the policy catalogue; every alert and Next action cites them.
"""


def must_exist(config, sheet) -> None:
    """A workbook that is not there stops the command before anything is created."""
    if config.backend != "google" and not (sheet.workbook and Path(sheet.workbook).is_file()):
        from .errors import SpreadsheetAccessError

        raise SpreadsheetAccessError(f"workbook {sheet.workbook} not found: check the path, or create one with "
                                     f"`sheets-automation init --workbook {sheet.workbook}`")


def _print_plan(result, out) -> None:
    for w in result.plan.cells:
        if w.tab.startswith("_"):
            continue
        who = w.ref.key or f"row {w.ref.row}"
        print(f"  {w.tab} {who} {w.header}: {_short(w.old)!r} → {_short(w.new)!r}" + (f"  [{w.rule}]" if w.rule else ""), file=out)
    for a in result.plan.appends:
        if a.tab.startswith("_"):
            continue
        print(f"  {a.tab} new row: " + ", ".join(f"{h}={_short(v)!r}" for h, v in a.values[:4]) + " …", file=out)


def _short(text: str, n: int = 70) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def summarise(result) -> str:
    writes = [w for w in result.plan.cells if not w.tab.startswith("_")]
    appends = [a for a in result.plan.appends if not a.tab.startswith("_")]
    parts = [f"{result.sheet}: " + ", ".join(f"{n} {t}" for t, n in result.rows.items()) + " rows read"]
    reports = [r.title for r in result.plan.reports]
    if result.applied is None:  # a dry run, or nothing to change
        if writes or appends or reports:
            parts.append(f"would change {len(writes)} cells and add {len(appends)} rows"
                         + (f", rewrite {', '.join(reports)}" if reports else "") + " (dry run: nothing written)")
        else:
            parts.append("nothing to change")
    else:
        parts.append(f"changed {result.applied.written - (len(result.plan.cells) - len(writes))} cells, "
                     f"added {len(appends)} rows" + (f", rewrote {', '.join(reports)}" if reports else ""))
        if result.applied.api_calls:
            parts.append(f"{result.applied.api_calls} API calls")
        merged = sum(1 for line in result.applied.skipped if "; unmerge " in line)
        if len(result.applied.skipped) > merged:
            parts.append(f"{len(result.applied.skipped) - merged} left alone because people changed them meanwhile")
        if merged:
            parts.append(f"{merged} not written: in merged ranges (unmerge them)")
    if result.kept:
        parts.append(f"{result.kept} hand-edited bot cells kept")
    parts.append(f"{result.seconds:.1f} s")
    return "; ".join(parts)


def cmd_run(args) -> int:
    from .backends.factory import open_backend
    from .jobs import JOBS, DEFAULT_ORDER
    from .runner import run_once

    now = parse_now(args.now)
    unknown = [j for j in args.jobs if j not in JOBS]
    if unknown:
        raise ConfigError(f"unknown job {unknown[0]!r}; jobs are: {', '.join(DEFAULT_ORDER)}")
    jobs = [j for j in DEFAULT_ORDER if j in args.jobs] if args.jobs else list(DEFAULT_ORDER)
    config = config_from_args(args)
    log = (lambda s: None) if args.quiet else (lambda s: print(f"· {s}", file=sys.stderr))
    failed = False
    sheets = sheets_named(config, args.sheet)
    for sheet in sheets:  # a run that cannot start creates nothing (no data folder, no lock)
        must_exist(config, sheet)
    for sheet in sheets:
        if args.dry_run:
            result = run_once(open_backend(config, sheet), config, sheet, jobs, now, dry_run=True, log=log)
        else:  # holds the spreadsheet's lock; records the run and every cell written (audit trail)
            from .audit import AuditStore
            from .locks import SheetBusyError
            from .scheduler import execute_run

            try:
                _record, result = execute_run(config, sheet, jobs, now, store=AuditStore.for_config(config), log=log)
            except SheetBusyError as exc:
                print(f"skipped: {exc}", file=sys.stderr)
                failed = True
                continue
        if args.dry_run:
            _print_plan(result, sys.stdout)
        for stem, message in result.tab_errors.items():
            print(f"error: {message}", file=sys.stderr)
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        if result.applied:
            for line in result.applied.skipped[:20]:
                print(f"kept: {line}", file=sys.stderr)
        print(summarise(result))
        failed = failed or not result.ok
    return 1 if failed else 0


def cmd_init(args) -> int:
    from .backends.factory import open_backend
    from .schema import SHIPPED, shipped_schemas

    config = config_from_args(args)
    schemas = [shipped_schemas()[s] for s in SHIPPED]
    for sheet in sheets_named(config, args.sheet):
        backend = open_backend(config, sheet)
        done = backend.init_layout(schemas)
        if done and config.backend == "google":  # a layout kept by earlier runs no longer holds
            from datetime import datetime, timezone

            from .audit import AuditStore
            AuditStore.for_config(config).keep_layout(sheet.name, "", datetime.now(timezone.utc))
        print(f"{backend.label}: " + ("; ".join(done) if done else "already set up, nothing to do"))
    return 0


def cmd_demo(args) -> int:
    from .demo import build_demo

    now = parse_now(args.now)
    path = build_demo(Path(args.dir), now, log=(lambda s: None) if args.quiet else (lambda s: print(f"· {s}", file=sys.stderr)))
    print(f"demo workbook: {path.resolve()}")
    print("open it in Excel or LibreOffice: the Alert cells are coloured (red overdue, orange due soon, "
          "yellow needs input, blue waiting on a third party, green done, grey closed).")
    print(f"run it again as of another time: sheets-automation run --workbook {path} --now 2030-01-01T09:00+08:00")
    return 0


def cmd_jobs(args) -> int:
    from .jobs import DEFAULT_ORDER, JOBS

    for name in DEFAULT_ORDER:
        print(f"{name:10} {JOBS[name].description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sheets-automation", description="After-service automation over a shared "
                                "spreadsheet (Google Sheets or a local .xlsx workbook).", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def target(sp):
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--config", metavar="PATH", help="config file (default: ./sheets-automation.toml or $SHEETS_AUTOMATION_CONFIG)")
        g.add_argument("--workbook", metavar="PATH", help="use this local .xlsx workbook instead of a config file")
        sp.add_argument("--sheet", metavar="NAME", help="only the spreadsheet with this name in the config")
        sp.add_argument("--timezone", metavar="TZ", help="merchant time zone for --workbook (default Asia/Shanghai)")

    r = sub.add_parser("run", help="run jobs once", description="Run the named jobs once (all by default) and "
                       "write only the cells the automation owns.", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("jobs", nargs="*", metavar="JOB", help="rules, tracking, messages (default: all; see `jobs`)")
    target(r)
    r.add_argument("--now", metavar="ISO-8601", help="evaluate as of this instant, e.g. 2025-03-09T00:00+08:00")
    r.add_argument("--dry-run", action="store_true", help="print every cell it would change (tab, key, column, old → new); write nothing")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    r.set_defaults(func=cmd_run)

    i = sub.add_parser("init", help="create missing tabs, headers, dropdowns and protections",
                       description="Create missing tabs with headers, a frozen header row, dropdowns on choice columns "
                       "and warning-only protection on automation columns. Idempotent; never touches existing data.")
    target(i)
    i.set_defaults(func=cmd_init)

    d = sub.add_parser("demo", help="build a realistic sample workbook offline and run every job on it",
                       description="Create a sample workbook (200+ cases in English and Chinese, logistics, cashback, "
                       "reships, some deliberately broken rows), run every job on it, and say where it is.")
    d.add_argument("--dir", default="sheets-automation-demo", metavar="PATH", help="folder for demo.xlsx (default: ./sheets-automation-demo)")
    d.add_argument("--now", metavar="ISO-8601", help="pretend it is this instant (default: now)")
    d.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    d.set_defaults(func=cmd_demo)

    j = sub.add_parser("jobs", help="list the jobs")
    j.set_defaults(func=cmd_jobs)
    from .cli_ops import add_commands, add_distributed_commands

    add_commands(sub)  # scheduler, status, history, report
    add_distributed_commands(sub)  # worker, beat (#12)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except SheetsAutomationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the network or the file system: one line if we know what to say
        from .failures import one_line

        line = one_line(exc)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing half-written (each write is one batch)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
