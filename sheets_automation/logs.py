"""Structured logs on stdlib ``logging``: plain lines or one JSON object per line.

Every event is a short message plus named fields (``sheet``, ``entry``, ``cells``…)::

    plain: 2025-03-10T09:00:02+08:00 INFO run finished sheet=client-a entry=report cells=54 seconds=1.2
    json:  {"time": "2025-03-10T01:00:02Z", "level": "INFO", "message": "run finished", "sheet": "client-a", ...}

Never secrets or personal data: log tab, key and column *names* and counts, never cell
values. As a safety net :func:`safe_fields` drops any field whose name suggests a secret or
personal data (payee account, phone, address, token, key, password, credentials).
"""
from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import IO

LOGGER_NAME = "sheets_automation"
FORMATS = ("plain", "json")
_UNSAFE = re.compile(r"pass(word)?|secret|token|credential|api_?key|private|payee|account|phone|address|email",
                     re.IGNORECASE)


def safe_fields(fields: dict) -> dict:
    """Fields fit for a log line: unsafe names dropped, values reduced to short scalars."""
    out = {}
    for k, v in fields.items():
        if _UNSAFE.search(k):
            continue
        if isinstance(v, (list, tuple)):
            v = ",".join(map(str, v))
        if not isinstance(v, (int, float, bool)) and v is not None:
            v = str(v)[:200]
        out[k] = v
    return out


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {"time": datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "level": record.levelname, "message": record.getMessage()}
        doc.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            doc["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
        return json.dumps(doc, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds")
        fields = " ".join(f"{k}={_plain(v)}" for k, v in (getattr(record, "fields", {}) or {}).items())
        line = f"{when} {record.levelname} {record.getMessage()}" + (f" {fields}" if fields else "")
        if record.exc_info:
            line += f" error={_plain(f'{record.exc_info[0].__name__}: {record.exc_info[1]}')}"
        return line


def _plain(v: object) -> str:
    text = str(v)
    return json.dumps(text, ensure_ascii=False) if (" " in text or "=" in text or not text) else text


def setup_logging(fmt: str = "plain", level: str | int = "INFO", stream: IO[str] | None = None) -> logging.Logger:
    """Configure the product's logger (idempotent: replaces its handler) and return it."""
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r}: use one of {', '.join(FORMATS)}")
    logger = logging.getLogger(LOGGER_NAME)
    for h in list(logger.handlers):
        logger.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def event(message: str, level: int = logging.INFO, *, exc: BaseException | None = None,
          logger: logging.Logger | None = None, **fields) -> None:
    """Log ``message`` with structured ``fields`` (passed through :func:`safe_fields`)."""
    exc_info = (type(exc), exc, None) if exc is not None else None
    (logger or get_logger()).log(level, message, extra={"fields": safe_fields(fields)}, exc_info=exc_info)
