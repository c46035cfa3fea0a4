"""Google credentials: a service-account key or an OAuth authorized-user JSON, else ADC.

Where they come from, in order: ``credentials_file`` (a path), ``credentials_env`` (the
name of an environment variable holding a path *or* the JSON itself), then
application-default credentials (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud, metadata
server). The JSON's ``"type"`` field says which kind it is. Nothing from inside the JSON
except the service account's email ever reaches a message.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import google.auth
from google.auth.exceptions import DefaultCredentialsError, GoogleAuthError
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from ..errors import CredentialsError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)  # Sheets only: we open by key, no Drive
_REQUIRED = {
    "service_account": ("client_email", "private_key", "token_uri"),
    "authorized_user": ("client_id", "client_secret", "refresh_token"),
}
_FIX_NEW_KEY = "download a new key from the Google Cloud console (IAM > Service accounts > Keys)"


@dataclass(frozen=True)
class LoadedCredentials:
    credentials: Any  # google.auth.credentials.Credentials
    account: str | None  # the service account's email when known (not a secret), for 403 hints
    source: str  # where they came from, e.g. "credentials file /etc/sa.json"


def load_credentials(credentials_file: str | None = None, credentials_env: str | None = None,
                     *, environ: Mapping[str, str] | None = None) -> LoadedCredentials:
    """Load credentials as the module docstring says; raise :class:`CredentialsError` naming the fix."""
    env = os.environ if environ is None else environ
    if credentials_file:
        return credentials_from_info(_read_json_file(Path(credentials_file), "credentials file"),
                                     f"credentials file {credentials_file}")
    if credentials_env:
        raw = env.get(credentials_env, "").strip()
        source = f"environment variable {credentials_env}"
        if not raw:
            raise CredentialsError(f"{source} is not set: set it to the path of a service-account JSON key "
                                   f"or to the JSON itself")
        if raw.startswith("{"):
            try:
                info = json.loads(raw)
            except json.JSONDecodeError:
                raise CredentialsError(f"{source} holds text that is not valid JSON: paste the whole key "
                                       f"file, or set the variable to its path") from None
            return credentials_from_info(info, source)
        return credentials_from_info(_read_json_file(Path(raw), f"file named by {source}"), f"{source} ({raw})")
    try:
        creds, _project = google.auth.default(scopes=SCOPES)
    except DefaultCredentialsError:
        raise CredentialsError("no Google credentials found: set `credentials_file` in the config to a "
                               "service-account JSON key, or set GOOGLE_APPLICATION_CREDENTIALS") from None
    email = getattr(creds, "service_account_email", None)
    return LoadedCredentials(creds, email if isinstance(email, str) and "@" in email else None,
                             "application-default credentials")


def credentials_from_info(info: Any, source: str) -> LoadedCredentials:
    """Build credentials from parsed JSON, checking its ``type`` and required fields first."""
    if not isinstance(info, dict):
        raise CredentialsError(f"{source} is not a JSON object: use the key file exactly as downloaded")
    kind = info.get("type")
    if kind is None and ("installed" in info or "web" in info):
        raise CredentialsError(f"{source} is an OAuth client secret, not credentials: use a service-account "
                               f"key, or an authorized-user JSON from `gcloud auth application-default login`")
    if kind not in _REQUIRED:
        raise CredentialsError(f"{source} has type {kind!r}, expected 'service_account' or 'authorized_user': "
                               f"point the config at a service-account key")
    missing = [k for k in _REQUIRED[kind] if not info.get(k)]
    if missing:
        raise CredentialsError(f"{source} lacks {', '.join(missing)}: the file is incomplete, {_FIX_NEW_KEY}")
    try:
        if kind == "service_account":
            creds = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
            return LoadedCredentials(creds, info["client_email"], source)
        creds = user_credentials.Credentials.from_authorized_user_info(info, scopes=list(SCOPES))
        return LoadedCredentials(creds, None, source)
    except (ValueError, GoogleAuthError):  # the message may quote key material: not repeated
        raise CredentialsError(f"{source} cannot be used (the private key or a field is malformed): "
                               f"{_FIX_NEW_KEY}") from None


def _read_json_file(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CredentialsError(f"{what} {path} not found: fix the path in the config "
                               f"(`credentials_file`) or the environment variable") from None
    except OSError as exc:
        raise CredentialsError(f"{what} {path} cannot be read ({exc.strerror}): check its permissions") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise CredentialsError(f"{what} {path} is not valid JSON: {_FIX_NEW_KEY}") from None
