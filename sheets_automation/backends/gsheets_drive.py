"""Has a Google spreadsheet changed? One Drive API ``files.get`` (#12 item 4).

``GET https://www.googleapis.com/drive/v3/files/<id>?fields=modifiedTime,version`` costs
Drive quota (12,000 queries a minute per project), not the Sheets quota of 60 reads a
minute per account: a sheet nobody touched is checked for free and skipped.

``version`` rises on every change to the file, a person's or ours; ``modifiedTime`` is
kept beside it for logs. The call goes through google-auth's ``AuthorizedSession`` (a
``requests`` session) with the read-only Drive metadata scope added to the service
account's Sheets scope; share the sheet with the account as before, and enable the Drive
API in the Cloud project. Any failure (API not enabled, 403, network) is raised as
:class:`ChangeCheckError`, and the caller then does the full read: a failed check never
skips a run.
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import quote

import requests

from ..errors import SheetsAutomationError
from .gsheets_auth import SCOPES, load_credentials

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive.metadata.readonly"
FILES_GET = "https://www.googleapis.com/drive/v3/files/{id}"


class ChangeCheckError(SheetsAutomationError):
    """The Drive check failed; run in full instead."""


def drive_session(credentials_file: str | None = None, credentials_env: str | None = None) -> requests.Session:
    """An ``AuthorizedSession`` whose token also carries :data:`DRIVE_SCOPE`."""
    from google.auth.transport.requests import AuthorizedSession

    creds = load_credentials(credentials_file, credentials_env).credentials
    if hasattr(creds, "with_scopes"):
        creds = creds.with_scopes([*SCOPES, DRIVE_SCOPE])
    return AuthorizedSession(creds)


def drive_version(session: requests.Session, file_id: str, timeout: float = 30.0) -> str:
    """``"<version>@<modifiedTime>"`` of the file, from one ``files.get``."""
    try:
        resp = session.get(FILES_GET.format(id=quote(file_id, safe="")), timeout=timeout,
                           params={"fields": "modifiedTime,version", "supportsAllDrives": "true"})
    except requests.RequestException as exc:
        raise ChangeCheckError(f"Drive files.get failed ({type(exc).__name__})") from None
    if resp.status_code != 200:
        raise ChangeCheckError(f"Drive files.get answered {resp.status_code}: enable the Drive API in the project "
                               f"and share the sheet with the service account")
    body = resp.json()
    if "version" not in body:
        raise ChangeCheckError("Drive files.get gave no version")
    return f"{body['version']}@{body.get('modifiedTime', '')}"


def version_checker(spreadsheet_id: str, session: requests.Session, timeout: float = 30.0) -> Callable[[], str]:
    return lambda: drive_version(session, spreadsheet_id, timeout)
