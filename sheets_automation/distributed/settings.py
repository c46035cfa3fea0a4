"""``[distributed]``: the Celery + Redis mode's settings, checked by key name (no Celery import).

=============================  =========  =====================================================
key                            default    meaning
=============================  =========  =====================================================
``broker_url``                 ""         ``redis://host:6379/0`` (no password here)
``broker_url_env``             SHEETS_AUTOMATION_BROKER_URL   variable holding the URL instead
``lock_ttl_seconds``           600        the per-spreadsheet lock's TTL (renewed every third)
``sheets_reads_per_minute``    60         token bucket per service account (Google's default)
``sheets_writes_per_minute``   60         idem, writes
``tracking_per_minute``        180        token bucket for the tracking provider (all workers)
``visibility_timeout_seconds`` 3600       a killed worker's task is redelivered after this
``beat_every_seconds``         30         how often ``beat`` looks for due entries
=============================  =========  =====================================================
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import ConfigError

DISTRIBUTED_KEYS = {"broker_url", "broker_url_env", "lock_ttl_seconds", "sheets_reads_per_minute",
                    "sheets_writes_per_minute", "tracking_per_minute", "visibility_timeout_seconds",
                    "beat_every_seconds"}
_NUMBERS = {"lock_ttl_seconds": (5, 86400), "sheets_reads_per_minute": (1, 100000),
            "sheets_writes_per_minute": (1, 100000), "tracking_per_minute": (1, 100000),
            "visibility_timeout_seconds": (5, 7 * 86400), "beat_every_seconds": (1, 3600)}


@dataclass(frozen=True, slots=True)
class DistributedSettings:
    broker_url: str = ""
    broker_url_env: str = "SHEETS_AUTOMATION_BROKER_URL"
    lock_ttl_seconds: float = 600
    sheets_reads_per_minute: float = 60
    sheets_writes_per_minute: float = 60
    tracking_per_minute: float = 180
    visibility_timeout_seconds: float = 3600
    beat_every_seconds: float = 30

    def url(self) -> str:
        """The broker URL: ``broker_url``, else the variable ``broker_url_env`` names."""
        url = self.broker_url or os.environ.get(self.broker_url_env, "").strip()
        if not url:
            raise ConfigError(f"no Redis broker named: set [distributed] broker_url = \"redis://host:6379/0\" "
                              f"or the environment variable {self.broker_url_env}")
        return url


_DEFAULT = DistributedSettings()


def distributed_settings_from_mapping(d: dict, prefix: str = "distributed") -> tuple[DistributedSettings, list[str]]:
    errors = [f"{prefix}.{k}: unknown key (allowed: {', '.join(sorted(DISTRIBUTED_KEYS))})"
              for k in sorted(set(d) - DISTRIBUTED_KEYS)]
    values: dict = {}
    url = d.get("broker_url", "")
    if not isinstance(url, str) or (url and urlsplit(url).scheme not in ("redis", "rediss", "redis+socket")):
        errors.append(f"{prefix}.broker_url: must be a Redis URL like redis://host:6379/0")
    elif url and urlsplit(url).password:
        errors.append(f"{prefix}.broker_url: holds a password; put the whole URL in the variable named by "
                      f"broker_url_env instead")
    else:
        values["broker_url"] = url
    env = d.get("broker_url_env", _DEFAULT.broker_url_env)
    if not isinstance(env, str) or not env:
        errors.append(f"{prefix}.broker_url_env: must be an environment variable name")
    else:
        values["broker_url_env"] = env
    for key, (lo, hi) in _NUMBERS.items():
        v = d.get(key, getattr(_DEFAULT, key))
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not lo <= v <= hi:
            errors.append(f"{prefix}.{key}: must be a number from {lo} to {hi}")
        else:
            values[key] = float(v)
    if errors:
        return DistributedSettings(), errors
    return DistributedSettings(**values), []
