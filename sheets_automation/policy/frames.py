"""Build typed frames in the policy's input contract, for tests, the benchmark and examples.

This is not the sheet parser (that reads raw cells and reports V2/V6 issues); it turns
plain Python values into the contract the policy engine reads:

* index = sheet row number (first data row 2 by default);
* one column per schema field; timestamps ``datetime64[ns, tz]`` plus ``<field>__date_only``
  (True for a ``"2025-03-01"`` string or a ``date``); numbers float64; integers Int64;
  everything else str, ``""`` when blank.

Example::

    >>> from zoneinfo import ZoneInfo
    >>> f = typed_frame("cases", [{"order_id": "A1", "paid_at": "2025-03-01 14:00"}], tz=ZoneInfo("Asia/Shanghai"))
    >>> f.loc[2, "paid_at"], bool(f.loc[2, "paid_at__date_only"])
    (Timestamp('2025-03-01 14:00:00+0800', tz='Asia/Shanghai'), False)
"""
from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

import numpy as np
import pandas as pd

from .. import a1
from ..schema import shipped_schemas

_DATE_ONLY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def letters_for(stem: str) -> dict[str, str]:
    """Field → column letter when the tab's columns are in schema order from column A."""
    return {c.field: a1.column_letter(i + 1) for i, c in enumerate(shipped_schemas()[stem].columns)}


def _stamp(value: object, tz: tzinfo) -> tuple[pd.Timestamp, bool]:
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return pd.NaT, False
    if isinstance(value, date) and not isinstance(value, datetime):
        return pd.Timestamp(value).tz_localize(tz), True
    if isinstance(value, str):
        only = bool(_DATE_ONLY.match(value.strip()))
        ts = pd.Timestamp(value.strip())
    else:
        only, ts = False, pd.Timestamp(value)
    ts = ts.tz_localize(tz, nonexistent="shift_forward", ambiguous=True) if ts.tzinfo is None else ts.tz_convert(tz)
    return ts, only


def typed_frame(stem: str, rows: list[dict], *, tz: tzinfo, first_row: int = 2,
                index: list[int] | None = None) -> pd.DataFrame:
    """A typed frame for tab ``stem`` (``"cases"``, ``"cashback"``, ...) from dicts of field values.

    Unknown keys are ignored; missing fields are blank.
    """
    schema = shipped_schemas()[stem]
    idx = pd.Index(index if index is not None else range(first_row, first_row + len(rows)), dtype="int64")
    data: dict[str, object] = {}
    for col in schema.columns:
        values = [r.get(col.field) for r in rows]
        if col.type == "timestamp":
            pairs = [_stamp(v, tz) for v in values]
            data[col.field] = pd.Series([p[0] for p in pairs], index=idx, dtype=pd.DatetimeTZDtype("ns", tz))
            data[f"{col.field}__date_only"] = pd.Series([p[1] for p in pairs], index=idx, dtype=bool)
        elif col.type == "number":
            data[col.field] = pd.Series([np.nan if v in (None, "") else float(v) for v in values], index=idx,
                                        dtype="float64")
        elif col.type == "integer":
            data[col.field] = pd.Series([None if v in (None, "") else int(v) for v in values], index=idx,
                                        dtype="Int64")
        else:
            data[col.field] = pd.Series(["" if v is None else str(v) for v in values], index=idx, dtype=object)
    return pd.DataFrame(data, index=idx)
