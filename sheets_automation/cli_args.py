"""What the command line's shared options mean (``--now``, ``--config``/``--workbook``,
``--sheet``), for :mod:`.cli` and :mod:`.cli_ops` alike (neither imports the other's helpers).
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from . import isotime
from .errors import ConfigError

DEFAULT_CONFIG_NAMES = ("sheets-automation.toml", "config.toml")


def parse_now(text: str | None) -> datetime:
    """``--now``: an aware ISO 8601 instant; the clock when absent.

    >>> parse_now("2025-03-09T00:00+08:00").isoformat()
    '2025-03-09T00:00:00+08:00'
    """
    if not text:
        return datetime.now(timezone.utc)
    value = isotime.parse(text, assume=None)
    if value is None:
        raise ConfigError(f"--now {text!r} is not ISO 8601; write it like 2025-03-09T00:00+08:00")
    if value.tzinfo is None:
        raise ConfigError(f"--now {text!r} has no time zone; add one, e.g. {text}+08:00")
    return value


def config_from_args(args):
    """The config named by ``--workbook``, ``--config``, ``$SHEETS_AUTOMATION_CONFIG`` or a
    file in the current folder, in that order."""
    from .config import load_config, workbook_config

    if getattr(args, "workbook", None):
        return workbook_config(args.workbook, timezone=getattr(args, "timezone", None) or "Asia/Shanghai")
    path = args.config or os.environ.get("SHEETS_AUTOMATION_CONFIG")
    if not path:
        path = next((n for n in DEFAULT_CONFIG_NAMES if Path(n).is_file()), None)
    if not path:
        raise ConfigError("no configuration: pass --workbook PATH for a local workbook, or --config PATH "
                          "(copy config.example.toml to sheets-automation.toml and edit it)")
    return load_config(path)


def sheets_named(config, name: str | None):
    """``--sheet NAME``: that spreadsheet; every configured one without it."""
    return [config.spreadsheet(name)] if name else list(config.spreadsheets)
