"""A real PostgreSQL server on loopback for tests (``.ci/run`` installs it from Debian's packages).

``POSTGRES_URL`` set: use that server. Otherwise ``initdb`` a throwaway cluster in a
temporary folder (as the ``postgres`` user when the tests run as root: PostgreSQL refuses to
run as root), start it on a free port, and stop and remove it afterwards. No server binaries
and no URL: the tests that need PostgreSQL are skipped locally, but ``CI=true`` makes that a
failure.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager

import pytest

from tests.redis_server import _free_port


def _binaries() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    path = found[-1] if found else shutil.which("initdb")
    return os.path.dirname(path) if path else None


@contextmanager
def postgres_server():
    """Yields a SQLAlchemy URL (``postgresql://user@127.0.0.1:port/db``) of an empty database."""
    if os.environ.get("POSTGRES_URL"):
        yield os.environ["POSTGRES_URL"]
        return
    bindir = _binaries()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run installs it (apt-get install postgresql)")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = tempfile.mkdtemp(prefix="sa-pg-")
    if as_user:
        shutil.chown(folder, "postgres")
    data, port = os.path.join(folder, "data"), _free_port()

    def run(*cmd: str) -> None:
        subprocess.run(as_user + list(cmd), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    try:
        run(f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "sa", "--no-sync")
        run(f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(folder, "log"), "-w", "start", "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off")
        run(f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "sa", "audit")
        yield f"postgresql://sa@127.0.0.1:{port}/audit"
    finally:
        subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)
