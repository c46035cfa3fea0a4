"""The Celery app (#12 item 1): Redis broker, late acks, one task type.

Start a worker with ``sheets-automation worker --config PATH`` (or
``celery -A sheets_automation.distributed.app worker`` with ``SHEETS_AUTOMATION_CONFIG``
set). Settings that matter for correctness:

* ``task_acks_late`` + ``task_reject_on_worker_lost``: a task is acknowledged only when it
  finished; a killed worker's task is redelivered (after ``visibility_timeout_seconds`` when
  the whole host died) and converges, because runs are idempotent under the sheet lock;
* ``worker_prefetch_multiplier = 1``: a worker holds one task at a time, so deferred and
  queued tasks stay available to the other workers;
* no result backend: outcomes are run records in the database (``status``).
"""
from __future__ import annotations

import os
from typing import Callable

from celery import Celery

from ..config import Config
from .runtime import Runtime, check_broker
from .settings import distributed_settings_from_mapping

TASK_NAME = "sheets_automation.run_entry"
QUEUE = "sheets-automation"
MAX_DEFERRALS = 1000  # a task waiting on quota or a busy sheet retries at most this often

_runtime: dict[int, Runtime] = {}
_setup: dict[str, object] = {}


def runtime() -> Runtime:
    """This process's :class:`Runtime` (built after a fork, so no connection crosses processes)."""
    pid = os.getpid()
    if pid not in _runtime:
        _runtime[pid] = Runtime.build(_setup["config"], _setup.get("session_factory"))
    return _runtime[pid]


def make_app(config: Config, *, session_factory: Callable | None = None, check: bool = True) -> Celery:
    """The app for ``config``; ``check`` pings Redis first (one-line error when it is down)."""
    settings, errors = distributed_settings_from_mapping(config.distributed)
    if errors:
        from ..errors import ConfigError

        raise ConfigError("; ".join(errors))
    url = settings.url()
    if check:
        check_broker(url)
    _setup.update(config=config, session_factory=session_factory)
    app = Celery("sheets_automation", broker=url, set_as_current=True)
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_ignore_result=True, task_default_queue=QUEUE, enable_utc=True, timezone="UTC",
        broker_transport_options={  # a short visibility timeout needs frequent sweeps to redeliver on time
            "visibility_timeout": settings.visibility_timeout_seconds,
            "unacked_restore_interval": max(1, min(10, int(settings.visibility_timeout_seconds // 8))),
            "unacked_restore_throttle": 1 if settings.visibility_timeout_seconds < 600 else 10},
        broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
        worker_send_task_events=False, task_send_sent_event=False)

    @app.task(name=TASK_NAME, bind=True, max_retries=MAX_DEFERRALS, acks_late=True)
    def run_entry_task(self, sheet: str, entry: str, slot: str) -> str:
        from .tasks import Defer, run_entry

        try:
            return run_entry(runtime(), sheet, entry, slot)
        except Defer as d:
            raise self.retry(countdown=max(0.5, d.countdown), exc=d)

    return app


def app_from_env() -> Celery:
    """For ``celery -A sheets_automation.distributed.app``: the config named by
    ``SHEETS_AUTOMATION_CONFIG``."""
    from ..config import load_config

    return make_app(load_config(os.environ.get("SHEETS_AUTOMATION_CONFIG", "sheets-automation.toml")))


def __getattr__(name: str):  # `celery -A sheets_automation.distributed.app` looks up `app` / `celery`
    if name in ("app", "celery"):
        if "app" not in _setup:
            _setup["app"] = app_from_env()
        return _setup["app"]
    raise AttributeError(name)
