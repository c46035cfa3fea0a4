"""Messages whose inputs did not change are not rendered again (issue #15: idle runs).

Beside a message's fingerprint, the row's state entry records ``~m``: a hash of
everything the text was rendered from (situation, language, time zone, context, and
:func:`render_digest`: the templates, the catalogues, the library versions and the time
zone database's). When a row's inputs hash to the recorded ``~m`` and its cell still holds
the text whose fingerprint was recorded with it, rendering again would give that same
text, so the cell's text is used as it is.

The two are recorded together (:func:`sheets_automation.writeplan.plan_tab`): whenever the
message's fingerprint is written, ``~m`` is set to the hash its text came from, or
removed. A cell a person typed over, a message a race moved to another row, or a state
entry someone edited does not match, and the row is rendered as on a clean run.

The hash covers the context values written as JSON (Timestamps: their instant and zone;
see :func:`inputs_hash`); a row with a value of a type that has no stable text is always
rendered.
When the inputs changed but the text did not, ``~m`` is updated in the hidden state tab
(once per change of inputs, and once for every row after an upgrade or a template edit).
"""
from __future__ import annotations

import hashlib
import math
import zoneinfo
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path

import orjson
import pandas as pd

from ..state import MEMO, StateTab, fingerprint, row_key
from ..table import own_keys
from .translations import hash_files, package_root


def render_digest(user_dir: Path | None) -> str:
    """Hash of what turns inputs into text besides the row: every shipped and user template
    and catalogue file, the versions of this package, Jinja2 and Babel, and the time zone
    database's (a zone's rules decide how a promised instant reads)."""
    h = hashlib.blake2b(digest_size=8)
    for dist in ("sheets-automation", "jinja2", "babel"):
        h.update(f"{dist}={_version(dist)};".encode())
    h.update(f"tz={_tz_version()};".encode())
    for root in (Path(str(package_root())), user_dir):
        if root is not None and root.is_dir():
            hash_files(h, root)
    return h.hexdigest()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def _tz_version() -> str:
    """The tzdata package's version, else the system database's (``# version 2025b``)."""
    if (found := _version("tzdata")) != "?":
        return found
    for root in zoneinfo.TZPATH:
        path = Path(root) / "tzdata.zi"
        if path.is_file():
            with path.open(encoding="utf-8", errors="replace") as fh:
                return fh.readline().strip()
    return "?"


def inputs_hash(digest: str, situation: str, language: str, tz: object, context: Mapping) -> str | None:
    """None when a value's type has no stable text (the row is then always rendered).

    Only the types in ``_STABLE``, exactly (no subclass, no list or dict), are hashed. The
    context is written as JSON with sorted keys (orjson: under half the time of the ``repr``
    it replaced, #15): strings, integers, booleans, None and finite floats as themselves; a
    Timestamp as its instant and zone, a date, datetime, Decimal or NaT as a tagged ``repr``.
    A non-finite float is tagged too (JSON would write NaN as null, like None)."""
    types = set(map(type, context.values()))
    if not types <= _STABLE:
        return None
    if float in types:  # an amount left blank is NaN
        context = {k: ("float", repr(v)) if type(v) is float and not math.isfinite(v) else v
                   for k, v in context.items()}
    try:
        blob = orjson.dumps((digest, situation, language, str(tz), context), default=_tagged, option=_JSON)
    except orjson.JSONEncodeError:  # a lone surrogate, an integer over 64 bits
        return None
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


_TAGGED = frozenset({date, datetime, Decimal, type(pd.NaT)})
_STABLE = frozenset({str, int, float, bool, type(None), pd.Timestamp, *_TAGGED})
_JSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS


def _tagged(value: object) -> tuple:
    """A context value JSON has no type for, as a tagged tuple; TypeError for any other."""
    kind = type(value)
    if kind is pd.Timestamp:
        return ("Timestamp", value.value, str(value.tz))  # its repr costs 11 µs
    if kind in _TAGGED:
        return (kind.__name__, repr(value))
    raise TypeError(kind.__name__)


def recorded(state: StateTab | None, tab, field: str) -> Iterator[tuple[str, str] | None]:
    """Per row of ``tab`` (a TypedTab): (the recorded ``~m``, the cell's text) when the row's
    key is its own and the cell holds the text last written there with that ``~m``; else None."""
    if state is None or field not in tab.raw.columns:
        yield from (None for _ in range(len(tab.raw)))
        return
    keys = tab.raw[tab.schema.key].astype(str).str.strip()
    usable = own_keys(keys).tolist()
    texts = tab.raw[field].astype(str).tolist()
    for key, ok, text in zip(keys.tolist(), usable, texts):
        if not ok or not text or (rk := row_key(tab.schema.tab, key)) not in state.raw:
            yield None
            continue
        entry = state.get(rk)
        memo = entry.get(MEMO)
        if isinstance(memo, str) and entry.get(field) == fingerprint(text):
            yield memo, text
        else:
            yield None
