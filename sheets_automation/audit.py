"""The audit trail: every run and every cell the automation wrote, in SQLite under ``data_dir``.

Tables (``<data_dir>/sheets-automation.sqlite3``, WAL mode, safe for several processes)::

    runs    run_id, sheet, entry, jobs, trigger, started, seconds, status, api_calls,
            written, appended, skipped, error            (status: ok, failed, skipped)
    writes  at, run_id, sheet, tab, row_key, column_name, old, new, rules

* Only writes that landed are recorded: a write ``ApplyResult.skipped`` names (a person
  edited the cell meanwhile) is left out. Hidden state-tab writes are left out.
* Columns marked ``personal`` in a schema (Payee account) are stored as a fingerprint
  (``fp:`` + short hash), never in clear text.
* The scheduler's last-run times (make-up runs) and ``status`` are read from ``runs``.

Settings, ``[audit]``: ``enabled`` (true), ``log_tab`` (false: mirror the newest entries in
a spreadsheet tab), ``log_rows`` (500), ``log_tab_name`` ("Log").
"""
from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .backends.base import ReportTab
from .backends.placement import describe
from .isotime import parse, to_text
from .schema import normalise_header, shipped_schemas
from .state import fingerprint

DB_NAME = "sheets-automation.sqlite3"
AUDIT_KEYS = {"enabled", "log_tab", "log_rows", "log_tab_name"}
LOG_HEADERS = ("Time (UTC)", "Run", "Tab", "Row", "Column", "Old", "New", "Rules")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, sheet TEXT NOT NULL, entry TEXT NOT NULL, jobs TEXT,
  trigger TEXT, started TEXT NOT NULL, seconds REAL, status TEXT NOT NULL, api_calls INTEGER, written INTEGER,
  appended INTEGER, skipped INTEGER, error TEXT);
CREATE INDEX IF NOT EXISTS runs_sheet_entry ON runs (sheet, entry, started);
CREATE TABLE IF NOT EXISTS writes (id INTEGER PRIMARY KEY, at TEXT NOT NULL, run_id TEXT, sheet TEXT, tab TEXT,
  row_key TEXT, column_name TEXT, old TEXT, new TEXT, rules TEXT);
CREATE INDEX IF NOT EXISTS writes_key ON writes (row_key);
"""


@dataclass(frozen=True, slots=True)
class AuditSettings:
    enabled: bool = True
    log_tab: bool = False
    log_rows: int = 500
    log_tab_name: str = "Log"


def audit_settings_from_mapping(d: dict, prefix: str = "audit") -> tuple[AuditSettings, list[str]]:
    errors = [f"{prefix}.{k}: unknown key (allowed: {', '.join(sorted(AUDIT_KEYS))})" for k in sorted(set(d) - AUDIT_KEYS)]
    out = AuditSettings()
    for key in ("enabled", "log_tab"):
        if key in d and not isinstance(d[key], bool):
            errors.append(f"{prefix}.{key}: must be true or false")
    rows = d.get("log_rows", 500)
    if not isinstance(rows, int) or isinstance(rows, bool) or not 10 <= rows <= 10000:
        errors.append(f"{prefix}.log_rows: must be a whole number from 10 to 10000")
        rows = 500
    name = d.get("log_tab_name", "Log")
    if not isinstance(name, str) or not name.strip() or name.startswith("_"):
        errors.append(f"{prefix}.log_tab_name: must be a tab name (text, not starting with _)")
        name = "Log"
    if not errors:
        out = AuditSettings(d.get("enabled", True), d.get("log_tab", False), rows, name.strip())
    return out, errors


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One attempt to run some jobs on one spreadsheet (manual ``run`` or a scheduler entry)."""

    run_id: str
    sheet: str
    entry: str  # scheduler entry ("rules", "report", ...) or "run" for a manual run
    jobs: tuple[str, ...]
    started: datetime  # aware
    status: str  # ok, failed, skipped (lock busy)
    trigger: str = "manual"  # schedule, make-up, once, manual
    seconds: float = 0.0
    api_calls: int = 0
    written: int = 0
    appended: int = 0
    skipped: int = 0
    error: str = ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    run_id: str
    sheet: str
    tab: str
    row_key: str
    column: str
    old: str
    new: str
    rules: str = ""


def _iso(t: datetime) -> str:
    return to_text(t, "seconds")


def personal_headers() -> frozenset[str]:
    """Normalised headers and aliases of every column a schema marks ``personal``."""
    return frozenset(n for s in shipped_schemas().values() for c in s.columns if c.personal for n in c.names)


def _protect(header: str, value: str, personal: frozenset[str]) -> str:
    if value and normalise_header(header) in personal:
        return "fp:" + fingerprint(value)
    return value


def entries_from_result(result, run_id: str, at: datetime, personal: frozenset[str] | None = None) -> list[AuditEntry]:
    """What a :class:`~.runner.RunResult` actually wrote: planned cells minus skipped ones,
    appended rows cell by cell, whole-tab reports as one line each. Pure."""
    personal = personal_headers() if personal is None else personal
    skipped = {line.split(": ", 1)[0] for line in (result.applied.skipped if result.applied else [])}
    keys = {normalise_header(s.column(s.key).header) for s in shipped_schemas().values() if s.key}
    generated = {(w.tab, w.ref.row): w.new for w in result.plan.cells  # IDs filled this run name their rows
                 if not w.ref.key and normalise_header(w.header) in keys and w.new}
    out: list[AuditEntry] = []
    for w in result.plan.cells:
        if w.tab.startswith("_") or describe(w) in skipped:
            continue
        key = w.ref.key or generated.get((w.tab, w.ref.row)) or f"row {w.ref.row}"
        out.append(AuditEntry(at, run_id, result.sheet, w.tab, key, w.header,
                              _protect(w.header, w.old, personal), _protect(w.header, w.new, personal), w.rule))
    for a in result.plan.appends:
        if a.tab.startswith("_"):
            continue
        key = next((v for h, v in a.values if normalise_header(h) in keys and v), "new row")
        out += [AuditEntry(at, run_id, result.sheet, a.tab, key, h, "", _protect(h, v, personal), a.rule)
                for h, v in a.values if v]
    for r in result.plan.reports:
        out.append(AuditEntry(at, run_id, result.sheet, r.title, "(whole tab)", "", "", f"{len(r.rows)} rows", r.rule))
    return out


class AuditStore:
    """The SQLite file; one short connection per call, so it is safe across processes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)

    @classmethod
    def in_dir(cls, data_dir: Path) -> "AuditStore":
        return cls(Path(data_dir) / DB_NAME)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def record_run(self, r: RunRecord) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       (r.run_id, r.sheet, r.entry, " ".join(r.jobs), r.trigger, _iso(r.started), r.seconds,
                        r.status, r.api_calls, r.written, r.appended, r.skipped, r.error))

    def record_writes(self, entries: list[AuditEntry]) -> None:
        with closing(self._connect()) as db, db:
            db.executemany("INSERT INTO writes (at, run_id, sheet, tab, row_key, column_name, old, new, rules) "
                           "VALUES (?,?,?,?,?,?,?,?,?)",
                           [(_iso(e.at), e.run_id, e.sheet, e.tab, e.row_key, e.column, e.old, e.new, e.rules)
                            for e in entries])

    def _writes(self, where: str, args: tuple, limit: int, newest_first: bool) -> list[AuditEntry]:
        order = "DESC" if newest_first else "ASC"
        with closing(self._connect()) as db:
            rows = db.execute(f"SELECT at, run_id, sheet, tab, row_key, column_name, old, new, rules FROM writes "
                              f"WHERE {where} ORDER BY at {order}, id {order} LIMIT ?", (*args, limit)).fetchall()
        return [AuditEntry(parse(r[0]), *r[1:]) for r in rows]

    def history(self, key: str, sheet: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        """Every recorded write to the row with this key (Case ID, tracking number…), oldest first."""
        where, args = "upper(trim(row_key)) = upper(trim(?))", (key,)
        if sheet:
            where, args = where + " AND sheet = ?", (key, sheet)
        return self._writes(where, args, limit, newest_first=False)

    def history_all(self, limit: int = 100000) -> list[AuditEntry]:
        """Every recorded write, oldest first."""
        return self._writes("1 = 1", (), limit, newest_first=False)

    def newest(self, sheet: str, limit: int) -> list[AuditEntry]:
        return self._writes("sheet = ?", (sheet,), limit, newest_first=True)

    def runs(self, sheet: str | None = None, limit: int = 1000) -> list[RunRecord]:
        """Newest first."""
        where, args = ("WHERE sheet = ?", (sheet,)) if sheet else ("", ())
        with closing(self._connect()) as db:
            rows = db.execute(f"SELECT * FROM runs {where} ORDER BY started DESC, rowid DESC LIMIT ?", (*args, limit)).fetchall()
        return [RunRecord(r[0], r[1], r[2], tuple(r[3].split()) if r[3] else (), parse(r[5]), r[7], r[4] or "",
                          r[6] or 0.0, r[8] or 0, r[9] or 0, r[10] or 0, r[11] or 0, r[12] or "") for r in rows]

    def last_started(self, sheet: str, entry: str) -> datetime | None:
        """When ``entry`` last ran on ``sheet`` (ok or failed; runs skipped for a busy lock do not count)."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT max(started) FROM runs WHERE sheet = ? AND entry = ? AND status != 'skipped'",
                             (sheet, entry)).fetchone()
        return parse(row[0]) if row and row[0] else None


def log_tab(entries: list[AuditEntry], title: str = "Log") -> ReportTab:
    """The optional bounded Log tab: newest entries first (values already fingerprinted)."""
    def short(text: str) -> str:
        return text if len(text) <= 100 else text[:99] + "…"
    rows = [LOG_HEADERS] + [(e.at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), e.run_id, e.tab, e.row_key,
                             e.column, short(e.old), short(e.new), e.rules) for e in entries]
    return ReportTab(title=title, rows=tuple(tuple(r) for r in rows), rule="audit")
