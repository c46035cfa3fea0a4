"""What one worker process holds: the config, the Redis client, the quota buckets, the
record store and how it reaches Google (one ``requests`` session per run, over cached
credentials). Built once per process by :func:`.app.make_app`; tests inject
``session_factory`` here (a transport-level fake), never a patch.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

import redis
import requests

from ..audit import AuditStore
from ..config import Config, SpreadsheetConfig
from ..errors import SheetsAutomationError
from .redis_parts import QuotaBuckets
from .settings import DistributedSettings, distributed_settings_from_mapping

SHEETS_HOST = "sheets.googleapis.com"
BACKOFF_SECONDS = 30.0  # after a 429, every worker leaves that account alone this long


class BrokerUnavailable(SheetsAutomationError):
    """Redis cannot be reached."""


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)


def check_broker(url: str) -> None:
    """One line naming the fix when Redis is down (the password, if any, is never printed)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    try:
        redis_client(url).ping()
    except redis.exceptions.RedisError as exc:
        raise BrokerUnavailable(f"cannot reach Redis at {where} ({type(exc).__name__}): start Redis there, or fix "
                                f"[distributed] broker_url / the variable it names") from None


def google_session_factory() -> Callable[[Config, SpreadsheetConfig], requests.Session]:
    """Production: an ``AuthorizedSession`` per run over credentials cached per service account
    (Sheets scope plus Drive metadata read-only, for the change check)."""
    cache: dict[str, object] = {}

    def make(config: Config, sheet: SpreadsheetConfig) -> requests.Session:
        from google.auth.transport.requests import AuthorizedSession

        from ..backends.gsheets_auth import SCOPES, load_credentials
        from ..backends.gsheets_drive import DRIVE_SCOPE

        account = config.account_for(sheet)
        if account not in cache:
            creds = load_credentials(config.credentials_file_for(sheet) or None,
                                     config.google.credentials_env or None).credentials
            cache[account] = creds.with_scopes([*SCOPES, DRIVE_SCOPE]) if hasattr(creds, "with_scopes") else creds
        return AuthorizedSession(cache[account])

    return make


@dataclass
class Runtime:
    config: Config
    settings: DistributedSettings
    redis: redis.Redis
    quota: QuotaBuckets
    store: AuditStore
    session_factory: Callable[[Config, SpreadsheetConfig], requests.Session]
    extra: dict = field(default_factory=dict)

    @classmethod
    def build(cls, config: Config, session_factory=None) -> "Runtime":
        settings, errors = distributed_settings_from_mapping(config.distributed)
        if errors:
            raise SheetsAutomationError("; ".join(errors))
        client = redis_client(settings.url())
        quota = QuotaBuckets(client, {"read": settings.sheets_reads_per_minute,
                                      "write": settings.sheets_writes_per_minute,
                                      "tracking": settings.tracking_per_minute})
        return cls(config, settings, client, quota, AuditStore.for_config(config),
                   session_factory or google_session_factory())

    def pid(self) -> int:
        return os.getpid()
