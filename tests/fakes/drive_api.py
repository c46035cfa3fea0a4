"""Drive API v3 ``files.get`` as a ``requests`` transport adapter, beside the fake Sheets API.

Strict about what the change check must send (``fields`` naming ``version``), answers
``version`` and ``modifiedTime`` per file; ``bump(id)`` is a change (a person's edit or a
write), ``status`` forces an error answer (403 when the Drive API is not enabled).
"""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter


class FakeDrive(BaseAdapter):
    def __init__(self):
        super().__init__()
        self.versions: dict[str, int] = {}
        self.calls = 0
        self.status = 200

    def bump(self, file_id: str) -> None:
        self.versions[file_id] = self.versions.get(file_id, 1) + 1

    def send(self, request, **kwargs):
        self.calls += 1
        url = urlsplit(request.url)
        q = parse_qs(url.query)
        file_id = url.path.rsplit("/", 1)[-1]
        resp = requests.Response()
        if request.method != "GET" or not url.path.startswith("/drive/v3/files/") or "version" not in q.get("fields", [""])[0]:
            resp.status_code, body = 400, {"error": {"code": 400, "message": "bad request"}}
        elif self.status != 200:
            resp.status_code, body = self.status, {"error": {"code": self.status, "message": "Drive API disabled"}}
        else:
            resp.status_code = 200
            body = {"version": str(self.versions.get(file_id, 1)), "modifiedTime": "2025-03-09T02:00:00.000Z"}
        resp._content = json.dumps(body).encode()
        resp.url, resp.request = request.url, request
        return resp

    def close(self):
        pass
