"""The fake Sheets API (and Drive ``files.get``) served over loopback HTTP, for worker processes.

Worker processes reach it through :class:`LoopbackAdapter`, mounted on their ``requests``
session in place of the internet: it rewrites ``https://<host>/<path>`` to
``http://127.0.0.1:<port>/<host>/<path>`` and tags each request with the worker's pid, the
Celery task id and the service account, so the server can tell who did what.

The server is strict like Google where the test needs it:

* quota: 60 reads and 60 writes per minute per service account (sliding window); one more
  gets Google's 429 body;
* ``files.get`` answers ``version`` (+1 on every successful write, and on :meth:`touch`:
  a person's edit) and ``modifiedTime``; ``fields`` is required;
* ``slow``: spreadsheet id → seconds to hold its first values write (a kill happens meanwhile;
  the write is still applied after the hold, as Google applies a request whose client died).

``log`` lists every request: (spreadsheet, kind, task, pid, start, end, status).
"""
from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from tests.fakes.sheets_api import QUOTA_BODY, FakeSheetsAPI


class LoopbackServer:
    def __init__(self, api: FakeSheetsAPI, accounts: dict[str, str], per_minute: int = 60):
        self.api, self.accounts, self.per_minute = api, accounts, per_minute  # accounts: spreadsheet → account
        self.lock = threading.Lock()
        self.log: list[tuple[str, str, str, int, float, float, int]] = []
        self.windows: dict[tuple[str, str], deque] = defaultdict(deque)
        self.slow: dict[str, float] = {}
        self.in_slow: dict[str, int] = {}  # spreadsheet → pid of the worker whose write is being held
        self.held: dict[str, tuple[int, str]] = {}  # spreadsheet → (pid, task id) of the held write
        self.versions: dict[str, int] = defaultdict(lambda: 1)  # Drive's version: +1 on every change
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server.handle(self)

            do_POST = do_PUT = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    # ------------------------------------------------------------------ serving

    def version(self, sid: str) -> str:
        return str(self.versions[sid])

    def touch(self, sid: str) -> None:
        """A person edited the sheet (Drive's version rises)."""
        with self.lock:
            self.versions[sid] += 1

    def _over_quota(self, account: str, kind: str, now: float) -> bool:
        window = self.windows[(account, kind)]
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return True
        window.append(now)
        return False

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        start = time.monotonic()
        host, _, path = h.path.lstrip("/").partition("/")
        url = urlsplit(f"https://{host}/{path}")
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        task, pid = h.headers.get("X-Test-Task", ""), int(h.headers.get("X-Test-Pid", "0"))
        sid = url.path.split("/")[4] if host == "www.googleapis.com" else (url.path.split("/") + [""] * 4)[3].split(":")[0]
        kind = "drive" if host == "www.googleapis.com" else ("read" if h.command == "GET" else "write")
        if kind == "drive":
            q = parse_qs(url.query)
            with self.lock:
                if sid not in self.api.spreadsheets:
                    status, payload = 404, {"error": {"code": 404, "message": "File not found"}}
                elif "fields" not in q:
                    status, payload = 400, {"error": {"code": 400, "message": "fields required by this test"}}
                else:
                    status, payload = 200, {"version": self.version(sid), "modifiedTime": "2025-03-09T02:00:00.000Z"}
            self._reply(h, status, json.dumps(payload).encode())
            self.log.append((sid, kind, task, pid, start, time.monotonic(), status))
            return
        hold = 0.0
        with self.lock:
            if self._over_quota(self.accounts.get(sid, "?"), kind, time.monotonic()):
                self._reply(h, 429, json.dumps(QUOTA_BODY).encode())
                self.log.append((sid, kind, task, pid, start, time.monotonic(), 429))
                return
            if kind == "write" and "values:batchUpdate" in url.path and sid in self.slow:
                hold = self.slow.pop(sid)
                self.in_slow[sid] = pid
                self.held[sid] = (pid, task)
        if hold:
            time.sleep(hold)
        with self.lock:
            prepared = requests.Request(h.command, url.geturl(), data=body,
                                        headers={"Content-Type": h.headers.get("Content-Type", "")}).prepare()
            resp = self.api.send(prepared)
            if kind == "write" and resp.status_code == 200:
                self.versions[sid] += 1
            if hold:
                self.in_slow.pop(sid, None)
        self._reply(h, resp.status_code, resp.content)
        self.log.append((sid, kind, task, pid, start, time.monotonic(), resp.status_code))

    @staticmethod
    def _reply(h, status: int, content: bytes) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json; charset=UTF-8")
            h.send_header("Content-Length", str(len(content)))
            h.end_headers()
            h.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):  # the worker was killed meanwhile
            pass


class LoopbackAdapter(BaseAdapter):
    """Sends ``https://host/path`` to the loopback server, tagged (see the module docstring)."""

    def __init__(self, port: int, account: str):
        super().__init__()
        self.port, self.account = port, account
        self.http = HTTPAdapter()

    def send(self, request, **kwargs):
        import os

        from celery import current_task

        url = urlsplit(request.url)
        request.url = f"http://127.0.0.1:{self.port}/{url.netloc}{url.path}" + (f"?{url.query}" if url.query else "")
        request.headers["X-Test-Pid"] = str(os.getpid())
        request.headers["X-Test-Task"] = getattr(getattr(current_task, "request", None), "id", None) or ""
        request.headers["X-Test-Account"] = self.account
        kwargs["proxies"] = {}
        return self.http.send(request, **kwargs)

    def close(self):
        self.http.close()


def session_factory(port: int):
    def make(config, sheet):
        s = requests.Session()
        s.trust_env = False
        s.mount("https://", LoopbackAdapter(port, config.account_for(sheet)))
        return s

    return make
