"""The tracking state store: one SQLite file (WAL) in the data directory.

It is what makes the hourly job cheap and safe to restart:

* registration is remembered, so a restart never registers (and pays for) a number twice;
* the last good result of every number is kept as JSON, so a failed fetch never blanks
  or overwrites the status shown in the sheet;
* ``final_since`` records when a parcel reached Delivered / Returned / Expired, so it
  stops being polled after a grace period (:meth:`TrackingStore.due_for_refresh`);
* ``retracked_at`` records the one retrack 17TRACK allows per number.

Use ``TrackingStore(":memory:")`` in tests. Times are stored as UTC ISO text.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable

from .provider import GOOD_STATES, TrackResult, result_from_dict, result_to_dict
from ..isotime import parse, to_text

FILE_NAME = "tracking.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS parcels (
    number TEXT PRIMARY KEY,
    carrier_key INTEGER,        -- provider's carrier key returned at registration
    registered_at TEXT,
    last_fetch_at TEXT,
    last_fetch_state TEXT,
    last_good TEXT,             -- JSON of the last TrackResult that was not a failure
    last_good_at TEXT,
    retracked_at TEXT,
    final_since TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


class TrackingStore:
    """Per-number tracking state on SQLite (stdlib ``sqlite3``)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._db.commit()

    @classmethod
    def in_data_dir(cls, data_dir: str | Path) -> "TrackingStore":
        """The store file inside the configured data directory."""
        return cls(Path(data_dir) / FILE_NAME)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "TrackingStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _ensure(self, number: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO parcels (number) VALUES (?)", (number,))

    # registration -------------------------------------------------------------------
    def registered(self, numbers: Iterable[str]) -> set[str]:
        """The subset of ``numbers`` already registered with the provider."""
        wanted = list(dict.fromkeys(numbers))
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            rows = self._db.execute(
                f"SELECT number FROM parcels WHERE registered_at IS NOT NULL AND number IN "
                f"({','.join('?' * len(chunk))})", chunk)
            found.update(r[0] for r in rows)
        return found

    def is_registered(self, number: str) -> bool:
        return bool(self.registered([number]))

    def mark_registered(self, number: str, carrier_key: int | None, now: datetime) -> None:
        self._ensure(number)
        self._db.execute("UPDATE parcels SET registered_at = ?, carrier_key = COALESCE(?, carrier_key) "
                         "WHERE number = ?", (to_text(now), carrier_key, number))
        self._db.commit()

    def forget_registration(self, number: str) -> None:
        """The provider says it does not know the number: register it again next time."""
        self._db.execute("UPDATE parcels SET registered_at = NULL WHERE number = ?", (number,))
        self._db.commit()

    def carrier_key(self, number: str) -> int | None:
        row = self._db.execute("SELECT carrier_key FROM parcels WHERE number = ?", (number,)).fetchone()
        return row[0] if row else None

    # results ------------------------------------------------------------------------
    def record_fetch(self, result: TrackResult, now: datetime) -> None:
        """Remember a fetch. Only good results replace ``last_good``; finals start the grace clock."""
        self._ensure(result.number)
        self._db.execute("UPDATE parcels SET last_fetch_at = ?, last_fetch_state = ? WHERE number = ?",
                         (to_text(now), result.provider_state, result.number))
        if result.provider_state in GOOD_STATES and result.status:
            self._db.execute(
                "UPDATE parcels SET last_good = ?, last_good_at = ?, final_since = CASE "
                "WHEN ? THEN COALESCE(final_since, ?) ELSE NULL END WHERE number = ?",
                (json.dumps(result_to_dict(result)), to_text(now), result.is_final, to_text(now), result.number))
        self._db.commit()

    def last_good(self, number: str) -> TrackResult | None:
        row = self._db.execute("SELECT last_good FROM parcels WHERE number = ?", (number,)).fetchone()
        if not row or not row[0]:
            return None
        try:
            return result_from_dict(json.loads(row[0]))
        except (ValueError, TypeError):
            return None

    def last_fetch_at(self, number: str) -> datetime | None:
        row = self._db.execute("SELECT last_fetch_at FROM parcels WHERE number = ?", (number,)).fetchone()
        return parse(row[0]) if row else None

    def final_since(self, number: str) -> datetime | None:
        row = self._db.execute("SELECT final_since FROM parcels WHERE number = ?", (number,)).fetchone()
        return parse(row[0]) if row else None

    # retrack ------------------------------------------------------------------------
    def was_retracked(self, number: str) -> bool:
        row = self._db.execute("SELECT retracked_at FROM parcels WHERE number = ?", (number,)).fetchone()
        return bool(row and row[0])

    def mark_retracked(self, number: str, now: datetime) -> None:
        self._ensure(number)
        self._db.execute("UPDATE parcels SET retracked_at = ? WHERE number = ?", (to_text(now), number))
        self._db.commit()

    # polling ------------------------------------------------------------------------
    def due_for_refresh(self, numbers: Iterable[str], now: datetime, grace: timedelta,
                        min_interval: timedelta = timedelta(0)) -> list[str]:
        """Numbers to poll now, in input order.

        Not due: a final parcel whose ``final_since + grace`` has passed, and a parcel
        fetched successfully less than ``min_interval`` ago (its last good result is
        reused). A number whose last fetch failed or was rejected is always due.
        """
        out = []
        for number in dict.fromkeys(numbers):
            row = self._db.execute("SELECT final_since, last_fetch_at, last_fetch_state, last_good IS NOT NULL "
                                   "FROM parcels WHERE number = ?", (number,)).fetchone()
            if row is None:
                out.append(number)
                continue
            final_since, fetched_at, state, has_good = parse(row[0]), parse(row[1]), row[2], row[3]
            if final_since is not None and now - final_since >= grace:
                continue
            if has_good and state in GOOD_STATES and fetched_at is not None and now - fetched_at < min_interval:
                continue
            out.append(number)
        return out

    # small key/value notes (e.g. "registration blocked until") ------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        self._db.commit()
