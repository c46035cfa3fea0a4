"""Run only when something changed (#12 item 4): the pure skip decision and where versions come from.

Before a scheduled ``rules`` or ``cashback`` run (jobs rules/messages only: tracking asks
the carrier, the weekly report runs weekly), the scheduler asks for the sheet's version:

* Google: one Drive ``files.get`` (:mod:`.backends.gsheets_drive`, Drive quota);
* workbook: the file's modification time and size (no read).

and skips the run, at zero Sheets calls, when all of these hold (:func:`skip_reason`):

1. the version is the one recorded by the last full run: the one read before it, or, when
   its write was proven settled (the verification read, taken after the version was asked
   again, showed exactly what was read plus what was written), the one its own write made;
   otherwise a write bumps the version and the next check reads once more and settles.
   And the settings that decide the outputs (policy, time zone, templates, software
   version: :func:`settings_fingerprint`) are the same;
2. the last run's "next change" instant (:mod:`.nextchange`) has not come;
3. the last full read is less than ``max_skip_hours`` old (default 6: the safety net).

All instants are UTC (the caller's clock; the distributed worker uses the broker's clock).
A version that cannot be read never skips a run.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from .audit import SheetState

SKIPPABLE_JOBS = frozenset({"rules", "messages"})


def skippable(jobs) -> bool:
    return bool(jobs) and set(jobs) <= SKIPPABLE_JOBS


def skip_reason(state: SheetState, version: str, now: datetime, max_skip: timedelta) -> str | None:
    """Why this run may be skipped, or None when it must run (see the module docstring)."""
    if not version or not state.version or version != state.version:
        return None
    if state.full_read is None or now - state.full_read >= max_skip:
        return None
    if state.next_change is not None and now >= state.next_change:
        return None
    until = f"next change {state.next_change.isoformat()}" if state.next_change else "no time-driven change pending"
    return f"unchanged since {state.full_read.isoformat()} ({until})"


def settings_fingerprint(config, sheet) -> str:
    """What besides the sheet decides the outputs: the policy, time zone and message settings
    of this spreadsheet, the templates folder and the software version. A change to any of
    them makes the next check differ, so a new config or an upgrade is applied at the next
    slot, not after ``max_skip_hours``."""
    import hashlib
    import json

    from . import __version__

    templates = []
    if config.templates_dir and Path(config.templates_dir).is_dir():
        templates = sorted((p.name, p.stat().st_mtime_ns) for p in Path(config.templates_dir).iterdir())
    blob = json.dumps([config.policy_for(sheet), config.tracking_for(sheet), sheet.timezone or config.timezone,
                       config.day_first, config.messages_enabled, templates, __version__], sort_keys=True, default=str)
    return hashlib.blake2b(blob.encode(), digest_size=6).hexdigest()


def workbook_version(path: Path) -> str:
    st = Path(path).stat()
    return f"{st.st_mtime_ns}:{st.st_size}"


def version_checker(config, sheet) -> Callable[[], str]:
    """The version source for one spreadsheet of ``config`` (network clients built lazily)."""
    if config.backend == "google":
        from .backends.gsheets_drive import drive_session, version_checker as drive

        session = drive_session(config.google.credentials_file or None, config.google.credentials_env or None)
        return drive(sheet.spreadsheet_id, session, config.google.timeout_seconds)
    return lambda: workbook_version(sheet.workbook)
