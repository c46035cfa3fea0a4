"""Saving a workbook without ever leaving a broken or half-written file (issue #13).

- Atomic: a temporary file beside the *real* file (a symlink is followed, so the link keeps
  pointing at a workbook that is updated), flushed, then renamed over it.
- A workbook without write permission (``chmod 444``) is respected: nothing is written, and
  the run stops with one line, even when the process runs as root.
- A full disk or a folder that cannot be written: one line naming the path; the workbook
  is left as it was and the temporary file removed.
"""
from __future__ import annotations

import gc
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Callable

from ..errors import SpreadsheetAccessError


def real_path(path: Path) -> Path:
    """The file a (possibly symlinked) workbook path stands for: writes go there."""
    return Path(os.path.realpath(path))


def check_writable(path: Path) -> None:
    """Refuse a workbook whose permission bits say no one may write it."""
    target = real_path(path)
    if target.exists() and not target.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise SpreadsheetAccessError(f"workbook {path} is read-only (no write permission); nothing was written; "
                                     f"make it writable (chmod u+w {target}) to let the automation write")


def temp_pattern(path: Path) -> str:
    return f".{real_path(path).stem}.*.xlsx.tmp"


def remove_stale_temp_files(path: Path) -> None:
    """Temp files left by a save that was killed hold customer data: remove them. The
    spreadsheet lock guarantees no other save of this workbook is under way."""
    target = real_path(path)
    for stale in target.parent.glob(temp_pattern(path)):
        stale.unlink(missing_ok=True)


def atomic_save(write: Callable[[str], None], path: Path, mtime_before: int, check: Callable[[], None]) -> None:
    """Write the workbook with ``write(temp_path)``, then replace the real file in one rename.

    ``check`` runs just before the rename (e.g. "Excel opened it meanwhile"); the file must
    still have ``mtime_before`` (0: it did not exist), else another program changed it and
    nothing is written.
    """
    target = real_path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".xlsx.tmp", dir=target.parent)
    except OSError as exc:
        raise _save_error(path, target.parent, exc) from None
    os.close(fd)
    try:
        failure = None
        try:
            write(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        except OSError as exc:
            failure = _save_error(path, target.parent, exc)
        if failure is not None:
            _collect_quietly()
            raise failure
        check()
        if target.exists() and target.stat().st_mtime_ns != mtime_before:
            raise SpreadsheetAccessError(f"{path} was changed by another program while the job ran; "
                                         "nothing was written; run again")
        try:
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o777)
            os.replace(tmp, target)
        except OSError as exc:
            raise _save_error(path, target.parent, exc) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _collect_quietly() -> None:
    """A writer that failed mid-file (openpyxl's sheet writers are generators) retries its
    write when it is garbage-collected and prints a second traceback; finish them now, silently,
    so the run's one line stays the only output."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _save_error(path: Path, folder: Path, exc: OSError) -> SpreadsheetAccessError:
    why = exc.strerror or type(exc).__name__
    return SpreadsheetAccessError(f"cannot save workbook {path}: {why} in folder {folder}; the workbook was left "
                                  "as it was; free disk space or make the folder writable, then run again")
