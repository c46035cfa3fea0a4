"""The audit trail and run records: every run and every cell the automation wrote, in one database.

The database is named by ``[audit] database_url`` (SQLAlchemy URL). The default is SQLite at
``<data_dir>/sheets-automation.sqlite3`` (WAL mode, safe for several processes on one host);
a ``postgresql://…`` URL lets workers on several hosts share one set of records (#12 item 5),
so ``status`` and ``history`` read the same records whichever worker ran the task. Queries
are SQLAlchemy Core: no hand-written SQL dialects.

Tables::

    runs         run_id, sheet, entry, jobs, trigger, started, seconds, status, api_calls,
                 written, appended, skipped, error            (status: ok, failed, skipped, unchanged)
    writes       at, run_id, sheet, tab, row_key, column_name, old, new, rules
    sheet_state  sheet, entry, version, checked, next_change, full_read   (change detection, #12 item 4)

What is stored, and for how long (privacy, #13):

* Only writes that landed are recorded: a write ``ApplyResult.skipped`` names (a person
  edited the cell meanwhile) is left out. Hidden state-tab writes are left out.
* Columns marked ``personal`` in a schema (Payee account) are stored as a fingerprint
  (``fp:`` + short hash), never in clear text.
* ``values = false``: no cell text at all, only which cell changed and a hash of the old and
  new text (``sha:`` + short hash), enough to tell "changed" from "unchanged".
* ``keep_days`` (default 90): recorded writes older than this are deleted (on each run).
* The SQLite file is created ``0600`` in a ``0700`` folder (only the service user reads it).
* The scheduler's last-run times (make-up runs) and ``status`` are read from ``runs``.

Settings, ``[audit]``: ``enabled`` (true), ``log_tab`` (false: mirror the newest entries in
a spreadsheet tab), ``log_rows`` (500), ``log_tab_name`` ("Log"), ``database_url`` (""),
``keep_days`` (90), ``values`` (true).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .backends.base import ReportTab
from .backends.placement import describe
from .errors import ConfigError
from .isotime import parse, to_text
from .schema import normalise_header, shipped_schemas
from .state import fingerprint

DB_NAME = "sheets-automation.sqlite3"
AUDIT_KEYS = {"enabled", "log_tab", "log_rows", "log_tab_name", "database_url", "keep_days", "values"}
LOG_HEADERS = ("Time (UTC)", "Run", "Tab", "Row", "Column", "Old", "New", "Rules")

META = sa.MetaData()
RUNS = sa.Table(
    "runs", META,
    sa.Column("run_id", sa.String(64), primary_key=True), sa.Column("sheet", sa.String(200), nullable=False),
    sa.Column("entry", sa.String(40), nullable=False), sa.Column("jobs", sa.String(200)),
    sa.Column("trigger", sa.String(40)), sa.Column("started", sa.String(40), nullable=False),
    sa.Column("seconds", sa.Float), sa.Column("status", sa.String(20), nullable=False),
    sa.Column("api_calls", sa.Integer), sa.Column("written", sa.Integer), sa.Column("appended", sa.Integer),
    sa.Column("skipped", sa.Integer), sa.Column("error", sa.Text),
    sa.Column("recorded", sa.BigInteger),  # time.time_ns() when recorded: the order of runs started in one second
    sa.Index("runs_sheet_entry", "sheet", "entry", "started"))
WRITES = sa.Table(
    "writes", META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True), sa.Column("at", sa.String(40), nullable=False),
    sa.Column("run_id", sa.String(64)), sa.Column("sheet", sa.String(200)), sa.Column("tab", sa.String(200)),
    sa.Column("row_key", sa.String(200)), sa.Column("column_name", sa.String(200)), sa.Column("old", sa.Text),
    sa.Column("new", sa.Text), sa.Column("rules", sa.String(200)),
    sa.Index("writes_key", "row_key"), sa.Index("writes_at", "at"))
SHEET_STATE = sa.Table(
    "sheet_state", META,
    sa.Column("sheet", sa.String(200), primary_key=True), sa.Column("entry", sa.String(40), primary_key=True),
    sa.Column("version", sa.String(100)),  # the sheet's version as last read (Drive version, file mtime…)
    sa.Column("checked", sa.String(40)),  # when that version was read (UTC)
    sa.Column("next_change", sa.String(40)),  # next instant an output changes by time alone (UTC), or NULL
    sa.Column("full_read", sa.String(40)))  # the last full read of the sheet (UTC)
SHEET_LAYOUT = sa.Table(  # what a backend knows of a sheet's tabs besides values (#12: a read is then one call)
    "sheet_layout", META,
    sa.Column("sheet", sa.String(200), primary_key=True), sa.Column("layout", sa.Text),
    sa.Column("learnt", sa.String(40)))  # when the tabs were last learnt from the spreadsheet (UTC)


@dataclass(frozen=True, slots=True)
class AuditSettings:
    enabled: bool = True
    log_tab: bool = False
    log_rows: int = 500
    log_tab_name: str = "Log"
    database_url: str = ""  # "" = SQLite in data_dir
    keep_days: int = 90  # recorded writes older than this are deleted
    values: bool = True  # false: record cells and hashes, never cell text


def audit_settings_from_mapping(d: dict, prefix: str = "audit") -> tuple[AuditSettings, list[str]]:
    errors = [f"{prefix}.{k}: unknown key (allowed: {', '.join(sorted(AUDIT_KEYS))})" for k in sorted(set(d) - AUDIT_KEYS)]
    out = AuditSettings()
    for key in ("enabled", "log_tab", "values"):
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
    keep = d.get("keep_days", 90)
    if not isinstance(keep, int) or isinstance(keep, bool) or not 1 <= keep <= 3660:
        errors.append(f"{prefix}.keep_days: must be a whole number of days from 1 to 3660")
        keep = 90
    url = d.get("database_url", "")
    if not isinstance(url, str):
        errors.append(f"{prefix}.database_url: must be a database URL (text) like postgresql://host/db, or \"\"")
        url = ""
    elif url:
        try:
            make_url(url)
        except ArgumentError:
            errors.append(f"{prefix}.database_url: not a database URL; write e.g. postgresql://user@host/db "
                          f"(password in the PGPASSWORD variable or ~/.pgpass, never here)")
        else:
            if make_url(url).password:
                errors.append(f"{prefix}.database_url: holds a password; put it in PGPASSWORD or ~/.pgpass instead")
    if not errors:
        out = AuditSettings(d.get("enabled", True), d.get("log_tab", False), rows, name.strip(), url, keep,
                            d.get("values", True))
    return out, errors


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One attempt to run some jobs on one spreadsheet (manual ``run`` or a scheduler entry)."""

    run_id: str
    sheet: str
    entry: str  # scheduler entry ("rules", "report", ...) or "run" for a manual run
    jobs: tuple[str, ...]
    started: datetime  # aware
    status: str  # ok, failed, skipped (lock busy), unchanged (change detection: no Sheets call)
    trigger: str = "manual"  # schedule, make-up, once, manual, worker
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


@dataclass(frozen=True, slots=True)
class SheetState:
    """What change detection remembers of one entry on one sheet (all instants UTC)."""

    version: str = ""
    checked: datetime | None = None
    next_change: datetime | None = None
    full_read: datetime | None = None


def _iso(t: datetime) -> str:
    return to_text(t, "seconds")


def _dt(text: str | None) -> datetime | None:
    return parse(text)


def personal_headers() -> frozenset[str]:
    """Normalised headers and aliases of every column a schema marks ``personal``."""
    return frozenset(n for s in shipped_schemas().values() for c in s.columns if c.personal for n in c.names)


def _protect(header: str, value: str, personal: frozenset[str]) -> str:
    if value and normalise_header(header) in personal:
        return "fp:" + fingerprint(value)
    return value


def _hashed(value: str) -> str:
    return "sha:" + fingerprint(value) if value else ""


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


def _private_sqlite(path: Path) -> None:
    """Create the SQLite file 0600 in a 0700 folder before SQLite opens it (its -wal and
    -shm files inherit the file's mode)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.parent.stat().st_uid == os.getuid():
            path.parent.chmod(0o700)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        if path.stat().st_uid == os.getuid():
            path.chmod(0o600)
    except OSError as exc:
        raise ConfigError(f"cannot create the audit database {path} ({exc.strerror}): "
                          f"make data_dir writable by this user, or set [audit] database_url") from None


_ENGINES: dict[str, sa.Engine] = {}


def driver_url(url: str) -> str:
    """``postgresql://…`` (as the docs and most tools write it) with the driver this package
    installs, psycopg 3; SQLAlchemy's default for that scheme is psycopg2. Other URLs as given.

    >>> driver_url("postgresql://sheets@db.internal/sheets"), driver_url("postgres://h/d"), driver_url("sqlite:///x.db")
    ('postgresql+psycopg://sheets@db.internal/sheets', 'postgresql+psycopg://h/d', 'sqlite:///x.db')
    """
    scheme, sep, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if sep and scheme in ("postgresql", "postgres") else url


def _engine(url: str) -> sa.Engine:
    """One engine per URL and process (a forked worker builds its own)."""
    url = driver_url(url)
    key = f"{os.getpid()}:{url}"
    if key not in _ENGINES:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"timeout": 30})

            @sa.event.listens_for(engine, "connect")
            def _wal(dbapi_conn, _record) -> None:
                dbapi_conn.execute("PRAGMA journal_mode=WAL")
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
        with engine.begin() as db:
            if engine.dialect.name == "postgresql":  # workers starting together on an empty database
                db.execute(sa.text("SELECT pg_advisory_xact_lock(72163981)"))  # one creator at a time
            META.create_all(db)
            _upgrade(db)
        _ENGINES[key] = engine
    return _ENGINES[key]


def _upgrade(db: sa.Connection) -> None:
    """Databases made before ``runs.recorded`` existed get the column (older rows sort by time only)."""
    if "recorded" not in {c["name"] for c in sa.inspect(db).get_columns("runs")}:
        db.execute(sa.text("ALTER TABLE runs ADD COLUMN recorded BIGINT"))


class AuditStore:
    """The run records and audit trail in one database (see the module docstring)."""

    def __init__(self, path: Path | None = None, *, url: str = "", settings: AuditSettings | None = None):
        self.settings = settings or AuditSettings()
        self.path = Path(path) if path is not None else None
        if not url:
            assert self.path is not None
            _private_sqlite(self.path)
            url = f"sqlite:///{self.path}"
        self.url = url
        try:
            self.engine = _engine(url)
        except ModuleNotFoundError as exc:
            raise ConfigError(f"[audit] database_url needs the database driver {exc.name!r}: "
                              f"pip install \"sheets-automation[distributed]\" (PostgreSQL)") from None
        except sa.exc.SQLAlchemyError as exc:
            raise ConfigError(f"cannot open the audit database ({type(exc.orig or exc).__name__}): check "
                              f"[audit] database_url and that the database server is reachable") from None

    @classmethod
    def in_dir(cls, data_dir: Path, settings: AuditSettings | None = None) -> "AuditStore":
        return cls(Path(data_dir) / DB_NAME, settings=settings)

    @classmethod
    def for_config(cls, config) -> "AuditStore":
        """The store a config names: ``[audit] database_url``, else SQLite in ``data_dir``."""
        settings, _ = audit_settings_from_mapping(config.audit)
        if settings.database_url:
            return cls(url=settings.database_url, settings=settings)
        return cls.in_dir(config.data_dir, settings)

    def record_run(self, r: RunRecord) -> None:
        row = dict(run_id=r.run_id, sheet=r.sheet, entry=r.entry, jobs=" ".join(r.jobs), trigger=r.trigger,
                   started=_iso(r.started), seconds=r.seconds, status=r.status, api_calls=r.api_calls,
                   written=r.written, appended=r.appended, skipped=r.skipped, error=r.error, recorded=time.time_ns())
        with self.engine.begin() as db:
            db.execute(sa.delete(RUNS).where(RUNS.c.run_id == r.run_id))
            db.execute(sa.insert(RUNS).values(**row))
            cutoff = _iso(datetime.now(timezone.utc) - timedelta(days=self.settings.keep_days))
            db.execute(sa.delete(WRITES).where(WRITES.c.at < cutoff))

    def record_writes(self, entries: list[AuditEntry]) -> None:
        if not entries:
            return
        clear = self.settings.values

        def text(v: str) -> str:
            return v if clear or v.startswith("fp:") else _hashed(v)

        with self.engine.begin() as db:
            db.execute(sa.insert(WRITES), [dict(at=_iso(e.at), run_id=e.run_id, sheet=e.sheet, tab=e.tab,
                                                row_key=e.row_key, column_name=e.column, old=text(e.old),
                                                new=text(e.new), rules=e.rules) for e in entries])

    def _writes(self, where, limit: int, newest_first: bool) -> list[AuditEntry]:
        order = (WRITES.c.at.desc(), WRITES.c.id.desc()) if newest_first else (WRITES.c.at, WRITES.c.id)
        q = sa.select(WRITES.c.at, WRITES.c.run_id, WRITES.c.sheet, WRITES.c.tab, WRITES.c.row_key,
                      WRITES.c.column_name, WRITES.c.old, WRITES.c.new, WRITES.c.rules).where(where)
        with self.engine.connect() as db:
            rows = db.execute(q.order_by(*order).limit(limit)).all()
        return [AuditEntry(_dt(r[0]), *(v or "" for v in r[1:])) for r in rows]

    def history(self, key: str, sheet: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        """Every recorded write to the row with this key (Case ID, tracking number…), oldest first."""
        where = sa.func.upper(sa.func.trim(WRITES.c.row_key)) == key.strip().upper()
        if sheet:
            where = sa.and_(where, WRITES.c.sheet == sheet)
        return self._writes(where, limit, newest_first=False)

    def history_all(self, limit: int = 100000) -> list[AuditEntry]:
        """Every recorded write, oldest first."""
        return self._writes(sa.true(), limit, newest_first=False)

    def newest(self, sheet: str, limit: int) -> list[AuditEntry]:
        return self._writes(WRITES.c.sheet == sheet, limit, newest_first=True)

    def runs(self, sheet: str | None = None, limit: int = 1000) -> list[RunRecord]:
        """Newest first."""
        q = sa.select(RUNS)
        if sheet:
            q = q.where(RUNS.c.sheet == sheet)
        with self.engine.connect() as db:
            rows = db.execute(q.order_by(RUNS.c.started.desc(), RUNS.c.recorded.desc()).limit(limit)).all()
        return [RunRecord(r.run_id, r.sheet, r.entry, tuple(r.jobs.split()) if r.jobs else (), _dt(r.started),
                          r.status, r.trigger or "", r.seconds or 0.0, r.api_calls or 0, r.written or 0,
                          r.appended or 0, r.skipped or 0, r.error or "") for r in rows]

    def last_started(self, sheet: str, entry: str) -> datetime | None:
        """When ``entry`` last ran on ``sheet`` (ok, failed or unchanged; runs skipped for a
        busy lock do not count)."""
        q = sa.select(sa.func.max(RUNS.c.started)).where(RUNS.c.sheet == sheet, RUNS.c.entry == entry,
                                                          RUNS.c.status != "skipped")
        with self.engine.connect() as db:
            return _dt(db.execute(q).scalar())

    def sheet_state(self, sheet: str, entry: str) -> SheetState:
        q = sa.select(SHEET_STATE).where(SHEET_STATE.c.sheet == sheet, SHEET_STATE.c.entry == entry)
        with self.engine.connect() as db:
            r = db.execute(q).first()
        if r is None:
            return SheetState()
        return SheetState(r.version or "", _dt(r.checked), _dt(r.next_change), _dt(r.full_read))

    def save_sheet_state(self, sheet: str, entry: str, state: SheetState) -> None:
        row = dict(sheet=sheet, entry=entry, version=state.version,
                   checked=_iso(state.checked) if state.checked else None,
                   next_change=_iso(state.next_change) if state.next_change else None,
                   full_read=_iso(state.full_read) if state.full_read else None)
        with self.engine.begin() as db:
            db.execute(sa.delete(SHEET_STATE).where(SHEET_STATE.c.sheet == sheet, SHEET_STATE.c.entry == entry))
            db.execute(sa.insert(SHEET_STATE).values(**row))

    def kept_layout(self, sheet: str) -> tuple[str, datetime | None]:
        """The layout kept for ``sheet`` and when its tabs were learnt; ("", None) if none."""
        with self.engine.connect() as db:
            r = db.execute(sa.select(SHEET_LAYOUT).where(SHEET_LAYOUT.c.sheet == sheet)).first()
        return ("", None) if r is None else (r.layout or "", _dt(r.learnt))

    def keep_layout(self, sheet: str, layout: str, learnt: datetime) -> None:
        with self.engine.begin() as db:
            db.execute(sa.delete(SHEET_LAYOUT).where(SHEET_LAYOUT.c.sheet == sheet))
            if layout:
                db.execute(sa.insert(SHEET_LAYOUT).values(sheet=sheet, layout=layout, learnt=_iso(learnt)))


def log_tab(entries: list[AuditEntry], title: str = "Log") -> ReportTab:
    """The optional bounded Log tab: newest entries first (values already fingerprinted)."""
    def short(text: str) -> str:
        return text if len(text) <= 100 else text[:99] + "…"
    rows = [LOG_HEADERS] + [(e.at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), e.run_id, e.tab, e.row_key,
                             e.column, short(e.old), short(e.new), e.rules) for e in entries]
    return ReportTab(title=title, rows=tuple(tuple(r) for r in rows), rule="audit")
