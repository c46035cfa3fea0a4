"""Configuration: one TOML file → frozen dataclasses, checked once, every problem at once.

Secrets never live in the file: credentials and API keys are named by file path or by
environment variable. ``config.example.toml`` documents every key.
"""
from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

DEFAULT_TIMEZONE = "Asia/Shanghai"
BACKENDS = ("workbook", "google")
# Each settings section and the function that checks it, ``(mapping, prefix) -> (settings, errors)``;
# per-spreadsheet overrides merge over the top level and are checked the same way. A new
# section is one line here (plus its dataclass field below). Checked at load, so a typo
# such as ``w2_dayz = 3`` stops every command with the key's name, not only a job.
SECTIONS: dict[str, str] = {
    "policy": "sheets_automation.policy.settings:policy_from_mapping",
    "tracking": "sheets_automation.tracking.settings:tracking_settings_from_mapping",
    "scheduler": "sheets_automation.scheduler:schedule_settings_from_mapping",
    "audit": "sheets_automation.audit:audit_settings_from_mapping",
    "report": "sheets_automation.report.settings:report_settings_from_mapping",
    "distributed": "sheets_automation.distributed.settings:distributed_settings_from_mapping",
}
SHEET_SECTIONS = ("policy", "tracking", "scheduler", "report")  # may be overridden per spreadsheet
_TOP_KEYS = {"backend", "timezone", "day_first", "data_dir", "google", "messages", "spreadsheets", *SECTIONS}
_SHEET_KEYS = {"name", "workbook", "spreadsheet_id", "timezone", "service_account", *SHEET_SECTIONS}
_GOOGLE_KEYS = {"credentials_file", "credentials_env", "timeout_seconds", "max_retries", "service_accounts"}
_MESSAGES_KEYS = {"templates_dir", "enabled"}


@dataclass(frozen=True, slots=True)
class GoogleConfig:
    credentials_file: str = ""  # path to a service-account or authorized-user JSON
    credentials_env: str = "GOOGLE_APPLICATION_CREDENTIALS"  # env var holding a path or the JSON
    timeout_seconds: float = 30.0
    max_retries: int = 6
    # several service accounts (#12 item 3): name → key file; each spreadsheet is pinned to one
    service_accounts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SpreadsheetConfig:
    """One client's spreadsheet. ``policy``/``tracking`` are overrides over the top-level ones."""

    name: str
    workbook: Path | None = None
    spreadsheet_id: str = ""
    timezone: str = ""
    policy: dict = field(default_factory=dict)
    tracking: dict = field(default_factory=dict)
    scheduler: dict = field(default_factory=dict)  # overrides over [scheduler] (see scheduler.py)
    report: dict = field(default_factory=dict)  # overrides over [report] (see report/settings.py)
    service_account: str = ""  # a name in [google.service_accounts]; "" = the default credentials


@dataclass(frozen=True, slots=True)
class Config:
    backend: str = "workbook"
    timezone: str = DEFAULT_TIMEZONE
    day_first: bool = False
    data_dir: Path = Path("data")
    google: GoogleConfig = GoogleConfig()
    tracking: dict = field(default_factory=lambda: {"provider": "simulated"})
    templates_dir: Path | None = None
    messages_enabled: bool = True
    policy: dict = field(default_factory=dict)
    spreadsheets: tuple[SpreadsheetConfig, ...] = ()
    source: str = ""
    scheduler: dict = field(default_factory=dict)  # [scheduler], checked by scheduler.schedule_settings_from_mapping
    audit: dict = field(default_factory=dict)  # [audit], checked by audit.audit_settings_from_mapping
    report: dict = field(default_factory=dict)  # [report], checked by report.report_settings_from_mapping
    distributed: dict = field(default_factory=dict)  # [distributed], see distributed/settings.py

    def spreadsheet(self, name: str) -> SpreadsheetConfig:
        for s in self.spreadsheets:
            if s.name == name:
                return s
        names = ", ".join(s.name for s in self.spreadsheets)
        raise ConfigError(f"no spreadsheet named {name!r} in {self.source or 'the config'} (have: {names})")

    def policy_for(self, sheet: SpreadsheetConfig) -> dict:
        return {**self.policy, **sheet.policy}

    def tracking_for(self, sheet: SpreadsheetConfig) -> dict:
        return {**self.tracking, **sheet.tracking}

    def scheduler_for(self, sheet: SpreadsheetConfig) -> dict:
        return {**self.scheduler, **sheet.scheduler}

    def report_for(self, sheet: SpreadsheetConfig) -> dict:
        return {**self.report, **sheet.report}

    def account_for(self, sheet: SpreadsheetConfig) -> str:
        """The service account a spreadsheet is pinned to ("default" when none is named)."""
        return sheet.service_account or "default"

    def credentials_file_for(self, sheet: SpreadsheetConfig) -> str:
        """The key file of the sheet's service account, else ``google.credentials_file``."""
        return dict(self.google.service_accounts).get(sheet.service_account, self.google.credentials_file)


def _checker(section: str):
    module, name = SECTIONS[section].split(":")
    return getattr(importlib.import_module(module), name)  # imported when checked: no import circles


def _section_errors(d: dict, sheets: list[dict]) -> list[str]:
    """Problems in every [section] of :data:`SECTIONS` and in each spreadsheet's overrides."""
    errors: list[str] = []
    for key in SECTIONS:
        top = d.get(key, {})
        if not isinstance(top, dict):
            errors.append(f"{key}: must be a table")
            continue
        errors += [e for e in _checker(key)(top, key)[1] if e not in errors]
        for i, s in enumerate(sheets):
            own = s.get(key, {}) if isinstance(s, dict) and key in SHEET_SECTIONS else {}
            if not isinstance(own, dict):
                errors.append(f"spreadsheets[{i}].{key}: must be a table")
            elif own:
                found = _checker(key)({**top, **own}, f"spreadsheets[{i}].{key}")[1]
                errors += [e for e in found if e not in errors and not _same_as_top(e, key, i, errors)]
    return errors


def _same_as_top(error: str, key: str, i: int, errors: list[str]) -> bool:
    """A top-level problem repeated under a spreadsheet's prefix (reported once, at the top)."""
    return error.replace(f"spreadsheets[{i}].{key}", key, 1) in errors


def _path(value: object, key: str, base: Path, errors: list[str]) -> Path | None:
    """A configured path: text, ``~`` expanded, relative to the config file's folder."""
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{key}: must be a path (text), e.g. \"data\"")
        return None
    return base / Path(value.strip()).expanduser()


def workbook_config(path: str | Path, timezone: str = DEFAULT_TIMEZONE, data_dir: Path | None = None) -> Config:
    """The embedded default: one local workbook, simulated tracking, no config file."""
    p = Path(path).expanduser()
    errors: list[str] = []
    _check_tz(timezone, "--timezone", errors)
    if p.suffix.lower() not in (".xlsx", ".xlsm"):
        errors.append(f"--workbook: {str(path)!r} must be an .xlsx file")
    if errors:
        raise ConfigError("; ".join(errors))
    return Config(backend="workbook", timezone=timezone, data_dir=data_dir or p.parent / ".sheets-automation",
                  spreadsheets=(SpreadsheetConfig(name=p.stem, workbook=p),), source=str(p))


def _check_tz(value: object, key: str, errors: list[str]) -> str:
    if not isinstance(value, str) or not value:
        errors.append(f"{key}: must be an IANA time zone name like 'Asia/Shanghai'")
        return DEFAULT_TIMEZONE
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"{key}: unknown time zone {value!r}; use an IANA name like 'Asia/Shanghai'")
        return DEFAULT_TIMEZONE
    return value


def _unknown(d: dict, allowed: set[str], prefix: str, errors: list[str]) -> None:
    for k in sorted(set(d) - allowed):
        errors.append(f"{prefix}{k}: unknown key (allowed: {', '.join(sorted(allowed))})")


def config_from_dict(d: dict, source: str = "<dict>", base_dir: Path | None = None) -> Config:
    """Check everything and raise one :class:`ConfigError` listing every problem by key."""
    errors: list[str] = []
    base = base_dir or Path(".")
    _unknown(d, _TOP_KEYS, "", errors)
    backend = d.get("backend", "workbook")
    if backend not in BACKENDS:
        errors.append(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    timezone = _check_tz(d.get("timezone", DEFAULT_TIMEZONE), "timezone", errors)
    day_first = d.get("day_first", False)
    if not isinstance(day_first, bool):
        errors.append("day_first: must be true or false")
    data_dir = _path(d.get("data_dir", "data"), "data_dir", base, errors) or base / "data"

    g = d.get("google", {})
    google = GoogleConfig()
    if not isinstance(g, dict):
        errors.append("google: must be a table")
    else:
        _unknown(g, _GOOGLE_KEYS, "google.", errors)
        if "credentials_file" in g and not isinstance(g["credentials_file"], str):
            errors.append("google.credentials_file: must be a path (text)")
        if "credentials_env" in g and not isinstance(g["credentials_env"], str):
            errors.append("google.credentials_env: must be an environment variable name")
        timeout = g.get("timeout_seconds", 30.0)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            errors.append("google.timeout_seconds: must be a positive number")
            timeout = 30.0
        retries = g.get("max_retries", 6)
        if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 12:
            errors.append("google.max_retries: must be a whole number from 0 to 12")
            retries = 6
        cred_file = g.get("credentials_file", "")
        if isinstance(cred_file, str) and cred_file and "{" in cred_file:
            errors.append("google.credentials_file: put the JSON in a file and name its path; never paste secrets here")
        accounts = g.get("service_accounts", {})
        if not isinstance(accounts, dict) or not all(isinstance(v, str) and v for v in accounts.values()):
            errors.append("google.service_accounts: must be a table of name = \"path/to/key.json\"")
            accounts = {}
        google = GoogleConfig(
            service_accounts=tuple((str(k), str(base / Path(v).expanduser())) for k, v in accounts.items()),
            credentials_file=str(base / Path(cred_file).expanduser()) if isinstance(cred_file, str) and cred_file else "",
            credentials_env=g.get("credentials_env", "GOOGLE_APPLICATION_CREDENTIALS") if isinstance(g.get("credentials_env", ""), str) else "",
            timeout_seconds=float(timeout), max_retries=retries)

    tracking = d.get("tracking", {"provider": "simulated"})
    if not isinstance(tracking, dict):
        errors.append("tracking: must be a table")
        tracking = {}
    for secret_key in ("api_key", "key", "token"):
        if secret_key in tracking:
            errors.append(f"tracking.{secret_key}: never put an API key in the config; use tracking.api_key_env or tracking.api_key_file")
    policy = d.get("policy", {})
    if not isinstance(policy, dict):
        errors.append("policy: must be a table")
        policy = {}

    m = d.get("messages", {})
    templates_dir = None
    enabled = True
    if not isinstance(m, dict):
        errors.append("messages: must be a table")
    else:
        _unknown(m, _MESSAGES_KEYS, "messages.", errors)
        if m.get("templates_dir"):
            templates_dir = _path(m["templates_dir"], "messages.templates_dir", base, errors)
            if templates_dir is not None and not templates_dir.is_dir():
                errors.append(f"messages.templates_dir: {templates_dir} is not a directory")
        enabled = m.get("enabled", True)
        if not isinstance(enabled, bool):
            errors.append("messages.enabled: must be true or false")

    sheets: list[SpreadsheetConfig] = []
    raw_sheets = d.get("spreadsheets", [])
    if not isinstance(raw_sheets, list) or not raw_sheets:
        errors.append("spreadsheets: add at least one [[spreadsheets]] entry with a name and "
                      + ("spreadsheet_id" if backend == "google" else "workbook"))
        raw_sheets = []
    seen: set[str] = set()
    targets: dict[str, str] = {}  # spreadsheet id / resolved workbook → the entry's name
    for i, s in enumerate(raw_sheets):
        p = f"spreadsheets[{i}]."
        if not isinstance(s, dict):
            errors.append(f"spreadsheets[{i}]: must be a table")
            continue
        _unknown(s, _SHEET_KEYS, p, errors)
        name = s.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append(f"{p}name: required (a short name for this client's spreadsheet)")
            name = f"#{i}"
        elif name in seen:
            errors.append(f"{p}name: {name!r} is used twice")
        seen.add(name)
        workbook = None
        sid = s.get("spreadsheet_id", "")
        if backend != "google":
            if not isinstance(s.get("workbook"), str) or not s.get("workbook"):
                errors.append(f"{p}workbook: required with backend = \"workbook\" (path to the .xlsx file)")
            else:
                workbook = base / Path(s["workbook"]).expanduser()
                if workbook.suffix.lower() not in (".xlsx", ".xlsm"):
                    errors.append(f"{p}workbook: {s['workbook']!r} must be an .xlsx or .xlsm file")
        elif backend == "google":
            if not isinstance(sid, str) or not sid.strip():
                errors.append(f"{p}spreadsheet_id: required with backend = \"google\" (the long id in the sheet's URL)")
        account = s.get("service_account", "")
        known = [k for k, _v in google.service_accounts]
        if account and (not isinstance(account, str) or account not in known):
            errors.append(f"{p}service_account: {account!r} is not in [google.service_accounts] "
                          f"(have: {', '.join(known) or 'none'})")
            account = ""
        target = (str(sid).strip() if backend == "google" else str(workbook.resolve()) if workbook else "")
        if target and target in targets:
            key = "spreadsheet_id" if backend == "google" else "workbook"
            errors.append(f"{p}{key}: {name!r} names the same spreadsheet as {targets[target]!r} "
                          f"({key} {target}); keep one entry per spreadsheet")
        elif target:
            targets[target] = name
        tz = s.get("timezone", "")
        if tz:
            tz = _check_tz(tz, f"{p}timezone", errors)
        for sub in ("policy", "tracking"):
            if sub in s and not isinstance(s[sub], dict):
                errors.append(f"{p}{sub}: must be a table")
        sheets.append(SpreadsheetConfig(name=name, workbook=workbook, spreadsheet_id=str(sid or "").strip(), timezone=tz,
                                        policy=dict(s.get("policy", {}) if isinstance(s.get("policy", {}), dict) else {}),
                                        tracking=dict(s.get("tracking", {}) if isinstance(s.get("tracking", {}), dict) else {}),
                                        scheduler=_table(s, "scheduler"), report=_table(s, "report"),
                                        service_account=account))
    errors += _section_errors(d, raw_sheets)
    if errors:
        errors = list(dict.fromkeys(errors))
        raise ConfigError(f"{source}: {len(errors)} problem(s): " + "; ".join(errors))
    return Config(backend=backend, timezone=timezone, day_first=day_first, data_dir=data_dir, google=google,
                  tracking=dict(tracking), templates_dir=templates_dir, messages_enabled=enabled,
                  policy=dict(policy), spreadsheets=tuple(sheets), source=source,
                  scheduler=_table(d, "scheduler"), audit=_table(d, "audit"), report=_table(d, "report"),
                  distributed=_table(d, "distributed"))


def _table(d: dict, key: str) -> dict:
    value = d.get(key, {})
    return dict(value) if isinstance(value, dict) else {}


def load_config(path: str | Path) -> Config:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {p} not found: copy config.example.toml to {p} and edit it, "
                          "or pass --workbook PATH to run on a local workbook")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc}); fix the file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text; save it as UTF-8") from None
    return config_from_dict(data, source=str(p), base_dir=p.parent)
