"""What the automation last wrote, kept in the spreadsheet itself (hidden tab ``_automation``).

One row per evaluated sheet row: ``Row key`` = ``"<Tab>/<key>"`` and ``Fingerprints`` =
compact JSON ``{field: hash of the value last written}``. It is read in the run's one
batched read and written in the same batched write as the values, so values and
fingerprints never disagree after a crash.

Why: a person may type over a bot cell (sheet-layout.md "Hand edits"). When a bot cell no
longer matches its fingerprint, a person wrote it, and the automation leaves it alone
until the person clears it.

The same JSON object also carries the row's timeline under the reserved field ``~t``
(no sheet field starts with ``~``): the status changes the automation observed
(:mod:`sheets_automation.policy.timeline`). It is written in the same cell, so it costs
no extra call, and only when it changes.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

import orjson

from .backends.base import STATE_HEADERS, STATE_TAB, Grid


def fingerprint(value: str) -> str:
    """Short, stable hash of a cell's text (not reversible: no personal data is stored).
    Short texts are cached: a run hashes every bot cell, and those repeat (alerts, dates)."""
    return _short_fingerprint(value) if len(value) <= 64 else _hash(value)


def _hash(value: str) -> str:
    return hashlib.blake2b(value.encode("utf-8"), digest_size=6).hexdigest()


_short_fingerprint = lru_cache(maxsize=1 << 16)(_hash)  # at most ~6 MB held


def row_key(tab: str, key: str) -> str:
    return f"{tab}/{key}"


@dataclass(slots=True)
class StateTab:
    """Fingerprints by row key, parsed lazily."""

    exists: bool
    raw: dict[str, tuple[int, str]] = field(default_factory=dict)  # row key -> (sheet row, json text)
    _parsed: dict[str, dict[str, str]] = field(default_factory=dict)
    _written: dict[str, set[str]] | None = None  # field -> every fingerprint recorded for it
    rebuilt: int = 0  # bot cells planned without a row here (no evidence of a hand edit)

    @classmethod
    def from_grid(cls, grid: Grid | None) -> "StateTab":
        if grid is None:
            return cls(exists=False)
        raw: dict[str, tuple[int, str]] = {}
        for i, r in enumerate(grid.rows[1:], start=2):
            if r and r[0].strip():
                raw.setdefault(r[0].strip(), (i, r[1] if len(r) > 1 else ""))
        return cls(exists=True, raw=raw)

    def get(self, key: str) -> dict[str, str]:
        if key not in self._parsed:
            text = self.raw.get(key, (0, ""))[1]
            try:  # orjson: 3x json's speed, and its key cache shares field names between rows (memory)
                value = orjson.loads(text) if text else {}
            except orjson.JSONDecodeError:
                value = {}
            self._parsed[key] = value if isinstance(value, dict) else {}
        return self._parsed[key]


    def written(self, name: str) -> set[str]:
        """Fingerprints recorded for field ``name`` on any row (one pass, built on first use;
        reserved fields such as the timeline ``~t`` are not fingerprints)."""
        if self._written is None:
            self._written = {}
            for key in self.raw:
                for f, fp in self.get(key).items():
                    if not f.startswith("~") and isinstance(fp, str):
                        self._written.setdefault(f, set()).add(fp)
        return self._written.get(name, set())


TIMELINE = "~t"  # reserved field: the row's timeline (policy.timeline), not a fingerprint
MEMO = "~m"  # reserved field: hash of the inputs the row's message was rendered from (messages.memo)


def stored_timeline(state: "StateTab", key: str) -> tuple[object | None, bool]:
    """(the row's stored timeline value or None, whether its entry was unreadable JSON)."""
    if key not in state.raw:  # a row the automation never recorded (a first run: every row)
        return None, False
    entry = state.get(key)
    text = state.raw[key][1].strip()
    unreadable = bool(text) and not entry and text != "{}"
    return entry.get(TIMELINE), unreadable


def encode(fps: dict) -> str:
    """A row's entry as the state tab holds it: compact JSON, the keys of every object in
    order (orjson: the same text as ``json.dumps(…, separators=(",", ":"), sort_keys=True)``
    for ASCII other than DEL, a tenth of the CPU; DEL and other text are kept as they are
    rather than ``\\u`` escapes, which parses the same). Entries are compared as parsed
    objects, never as text, so an entry written before the timeline's promises were sorted
    reads the same."""
    return orjson.dumps(fps, option=orjson.OPT_SORT_KEYS).decode()


TITLE = STATE_TAB
HEADERS = STATE_HEADERS
