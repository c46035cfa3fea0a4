"""One writer per spreadsheet: an OS file lock (``fcntl.flock``) per spreadsheet (see :func:`lock_place`).

Two schedulers, or a scheduler and a manual ``run``, never write the same sheet at once:
the second waits up to ``wait_seconds``, then gives up with :class:`SheetBusyError` naming
who holds the lock. The kernel releases a ``flock`` when its holder exits, even on a crash,
so a stale lock file never blocks anyone (the file itself stays; only the lock matters).

POSIX only (Linux, macOS). Locks are per host: processes on several machines that share
spreadsheets need a shared lock instead (see docs/deployment.md).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import time
from pathlib import Path
from typing import Callable

from .errors import SheetsAutomationError

DEFAULT_WAIT_SECONDS = 10.0


class SheetBusyError(SheetsAutomationError):
    """Another process is writing this spreadsheet; this run was skipped."""


class RunDeferred(SheetBusyError):
    """Not now (the shared quota is spent): retry after ``wait`` seconds; nothing was read."""

    def __init__(self, message: str, wait: float):
        super().__init__(message)
        self.wait = wait


def lock_path(data_dir: Path, sheet_name: str) -> Path:
    """``<data_dir>/locks/<name>.lock``, the name reduced to safe file-name characters."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", sheet_name).strip("._") or "sheet"
    return Path(data_dir) / "locks" / f"{safe}.lock"


def lock_place(config, sheet) -> tuple[Path, str]:
    """Where the lock of a spreadsheet lives and its name: the thing written, not the config's name.

    A workbook is locked by its resolved path (symlinks and ``..`` followed), in a
    ``.sheets-automation/locks`` folder beside it, so ``--workbook`` and every config that
    names the same file share one lock whatever their ``data_dir``. A Google Sheet is locked
    by its spreadsheet id under ``data_dir``.
    """
    if config.backend == "google":
        return Path(config.data_dir), f"google-{sheet.spreadsheet_id}"
    real = Path(sheet.workbook).expanduser().resolve()
    digest = hashlib.sha1(str(real).encode()).hexdigest()[:12]
    return real.parent / ".sheets-automation", f"{real.name}-{digest}"


class SheetLock:
    """Exclusive lock on one spreadsheet; use as a context manager.

    ``sleep`` and ``monotonic`` are injectable so tests need not wait.
    """

    def __init__(self, data_dir: Path, sheet_name: str, *, wait_seconds: float = DEFAULT_WAIT_SECONDS,
                 poll_seconds: float = 0.2, holder: str = "", sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic, label: str = ""):
        self.path = lock_path(data_dir, sheet_name)
        self.sheet_name = label or sheet_name
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.holder = holder or "sheets-automation"
        self._sleep, self._monotonic = sleep, monotonic
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = self._monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if self._monotonic() >= deadline:
                    who = _read_holder(fd)
                    os.close(fd)
                    raise SheetBusyError(
                        f"spreadsheet {self.sheet_name!r} is being written by another process ({who}); "
                        f"waited {self.wait_seconds:g} s, skipped this run; it will run at its next time") from None
                self._sleep(self.poll_seconds)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({self.holder})".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> "SheetLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"
