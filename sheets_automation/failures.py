"""Failures from outside the program (the network, the file system) as one line naming the fix.

The CLI and the scheduler turn these into a one-line error instead of a traceback
(DEVELOPERS.md non-negotiable 4: only configuration, credentials or a missing sheet stop a
run, and they say how to fix it). The line names the path or the host, never a cell value.
"""
from __future__ import annotations

import re

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_HOST = re.compile(r"host='([^']+)'")


def _network_types() -> tuple[type, ...]:
    import requests
    from google.auth.exceptions import TransportError

    return requests.exceptions.ConnectionError, requests.exceptions.Timeout, TransportError


def one_line(exc: BaseException) -> str | None:
    """The one-line message for a network or file-system failure, or None for anything else."""
    if isinstance(exc, _network_types()):
        text = str(exc)
        reason = "timed out" if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower() else (
            "name not resolved (DNS)" if "resolution" in text.lower() or "resolve" in text.lower() else
            (m.group(1).strip() if (m := _ERRNO.search(text)) else type(exc).__name__))
        host = m.group(1) if (m := _HOST.search(text)) else ""
        who = "Google" if not host or "google" in host or host in ("127.0.0.1", "localhost") else host
        return f"cannot reach {who}: {reason}; check the network or proxy (HTTPS_PROXY) and try again"
    if isinstance(exc, PermissionError):
        return (f"permission denied on {exc.filename or 'a file'}: give this user write access to that folder, "
                "or choose another one (demo --dir, data_dir in the config)")
    if isinstance(exc, OSError) and exc.filename:
        return f"cannot use {exc.filename}: {exc.strerror or exc}; check the disk and the folder"
    return None
