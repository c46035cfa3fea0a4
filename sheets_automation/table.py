"""From a raw :class:`Grid` to a typed tab: headers → fields, cells → typed columns.

Columns are found by header text or alias (case- and space-insensitive), so people may
reorder, insert, hide and add columns. A missing needed column or a duplicated header
stops that tab (:class:`TabError`, naming tab and header). Bad cells become
:class:`Issue` values (V1, V2, V5, V6); the row is still evaluated.

Typed frame contract (what the rules receive), index = sheet row number::

    timestamp   datetime64[ns, <merchant tz>] (NaT when blank/bad) + bool "<field>__date_only"
    number      float64 (NaN when blank/bad)
    integer     Int64
    enum        canonical value or ''
    country     ISO 3166 alpha-2 or ''     currency  ISO 4217 or ''    language  code or ''
    other       str ('' when blank)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from . import codes, parse
from .a1 import column_letter
from .backends.base import Grid, Snapshot
from .errors import Issue, TabError
from .schema import Column, TabSchema, normalise_header


@dataclass(frozen=True, slots=True)
class TabLayout:
    """Where each schema field sits in this sheet (1-based columns)."""

    schema: TabSchema
    title: str
    col: dict[str, int]
    header: dict[str, str]  # field -> header text as written in the sheet

    @property
    def letters(self) -> dict[str, str]:
        return {f: column_letter(c) for f, c in self.col.items()}

    def issue(self, code: str, field: str, row: int, message: str) -> Issue:
        """An :class:`Issue` about the cell of ``field`` on sheet row ``row`` of this tab."""
        return Issue(code, self.title, row, field, message, column=column_letter(self.col[field]))


def as_lists(*columns) -> list[list]:
    """Each Series or Index as a list, for loops over rows: zipping lists is many times faster
    than iterating pandas string arrays element by element (the same values either way)."""
    return [c.tolist() for c in columns]


def own_keys(keys: pd.Series) -> pd.Series:
    """Rows whose (stripped) key is non-blank and on no other row: their state entry
    (fingerprints, timeline, message hash) is their own."""
    return keys.ne("") & ~keys.duplicated(keep=False)


def as_dict(series: pd.Series) -> dict:
    """``series.to_dict()`` built from two lists (several times faster on 100k rows, same values)."""
    return dict(zip(series.index.tolist(), series.tolist()))


def find_grid(snapshot: Snapshot, schema: TabSchema) -> Grid | None:
    """The tab whose title is the schema's tab name or one of its aliases."""
    names = set(schema.names)
    for title, grid in snapshot.grids.items():
        if normalise_header(title) in names:
            return grid
    return None


def needed(col: Column, schema: TabSchema) -> bool:
    """A column the tab cannot work without: the key, a required value, or a bot output."""
    return col.field == schema.key or col.required or col.owner == "bot"


def layout_of(grid: Grid, schema: TabSchema) -> TabLayout:
    header_row = grid.rows[0] if grid.rows else ()
    by_name = {n: c for c in schema.columns for n in c.names}
    col: dict[str, int] = {}
    header: dict[str, str] = {}
    for i, text in enumerate(header_row, start=1):
        c = by_name.get(normalise_header(text))
        if c is None:
            continue
        if c.field in col:
            raise TabError(f"tab {grid.title!r}: header {c.header!r} appears twice (columns "
                           f"{column_letter(col[c.field])} and {column_letter(i)}); rename or delete one")
        col[c.field] = i
        header[c.field] = text
    missing = [c.header for c in schema.columns if c.field not in col and needed(c, schema)]
    if missing:
        raise TabError(f"tab {grid.title!r}: missing column {missing[0]!r}"
                       + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                       + "; add the header (or run `sheets-automation init`)")
    return TabLayout(schema=schema, title=grid.title, col=col, header=header)


@dataclass(slots=True)
class TypedTab:
    layout: TabLayout
    grid: Grid
    raw: pd.DataFrame  # str cells by field, index = sheet row
    df: pd.DataFrame  # typed, see module docstring
    issues: list[Issue] = field(default_factory=list)
    id_floor: int = 0  # generated IDs start above this: numbers other tabs or the state tab already name

    @property
    def schema(self) -> TabSchema:
        return self.layout.schema


_TYPE_PROBLEMS = {
    "timestamp": ("V2-bad-date", "{h} {date}"),
    "number": ("V5-bad-number", "{h} {number}"),
    "integer": ("V5-bad-number", "{h} {v!r} is not a whole number"),
    "enum": ("V1-unknown-choice", "{h} {v!r} is not one of: {choices}"),
    "country": ("V6-unknown-country", "{h} {v!r} is not a country; use a name or ISO code like US"),
    "currency": ("V5-unknown-currency", "{h} {v!r} is not an ISO 4217 currency like USD"),
    "language": ("V1-unknown-language", "{h} {v!r} is not a language; use a code like en, zh, es"),
}


def _map_distinct(s: pd.Series, fn) -> pd.Series:
    distinct = {v: fn(v) for v in s.unique()}
    return s.map(distinct)


def _parse_distinct(s: pd.Series, parser, *args):
    """``parser(s, *args)`` run over the distinct texts of ``s`` only, its result columns then
    spread back to every row. The parsers read each cell on its own, so this is the same
    result; columns repeat a lot (statuses, currencies, amounts, days), so it is cheaper."""
    codes_, distinct = pd.factorize(s)
    parsed = parser(pd.Series(distinct, dtype=s.dtype), *args)
    return tuple(col.take(codes_).set_axis(s.index) for col in parsed)


def _date_note(text: str) -> str:
    """A bad date's note; a year outside :data:`parse.YEARS` (2520, 0001) says so."""
    years = [int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", text)]
    if years and not all(parse.YEARS[0] <= y <= parse.YEARS[1] for y in years):
        return f"{text[:60]!r} has a year outside {parse.YEARS[0]}-{parse.YEARS[1]}; check the year"
    return f"{text[:60]!r} is not a date/time; write it like 2025-03-01 14:00"


def _number_note(text: str) -> str:
    """A bad amount's note; an implausibly large one is not repeated (it may be a card number)."""
    if parse.too_large(text):
        return f"is implausibly large (over {parse.MAX_AMOUNT:,.0f}): a card or order number pasted here?"
    return f"{text[:60]!r} is not a number"


def raw_frame(grid: Grid, layout: TabLayout) -> pd.DataFrame:
    """Non-blank data rows as str cells by field; index = sheet row number."""
    cols = [(f, c - 1) for f, c in layout.col.items()]
    width = max((c for _, c in cols), default=-1) + 1
    index, kept = [], []
    for i, r in enumerate(grid.rows[1:], start=2):
        if any(v.strip() for v in r):
            index.append(i)
            kept.append(r if len(r) >= width else (*r, *("",) * (width - len(r))))
    # one transpose in C rather than one Python step per cell (grid cells are all str: no NaN)
    by_column = list(zip(*kept)) if kept else [()] * width
    rows = pd.Index(index, name="row", dtype="int64")
    frame = pd.DataFrame({f: pd.Series(by_column[c], index=rows, dtype=object) for f, c in cols},
                         index=rows, columns=[f for f, _ in cols])
    for c in layout.schema.columns:  # optional columns absent from the sheet read as blank
        if c.field not in frame.columns:
            frame[c.field] = ""
    return frame


# A date people type is implausible (V2) before EARLIEST, or more than a year before the row's
# anchor (the case's Opened at, the cashback's Agreed at ...; blank anchor: now). It is then
# read as blank, so no rule declines a claim on a typo (Paid at 2002 on a 2026 sheet, or
# ``20000`` read as a 1954 serial). Dates after now are V2-in-the-future (policy/validation.py).
EARLIEST = pd.Timestamp("2000-01-01")
ANCHORS = {"Cases": "opened_at", "Cashback": "agreed_at", "Reships": "requested_at"}
_SLACK = pd.Timedelta(days=366)


def implausible(values: pd.Series, anchor: pd.Series, now: datetime | None) -> pd.Series:
    """V2: bool per row, a timestamp before 2000 or more than a year before ``anchor``
    (``anchor`` blank: ``now``; no ``now``: only the 2000 floor)."""
    floor = EARLIEST.tz_localize(values.dt.tz)
    too_old = values < floor
    if now is not None:
        reference = anchor.fillna(pd.Timestamp(now).tz_convert(values.dt.tz)) if len(anchor) else anchor
        too_old |= values < reference - _SLACK
    return too_old.fillna(False)


def type_frame(raw: pd.DataFrame, layout: TabLayout, tz_name: str, day_first: bool = False,
               now: datetime | None = None):
    """Typed frame and parse issues (see module docstring); ``now`` enables the anchor check."""
    out: dict[str, pd.Series] = {}
    issues: list[Issue] = []
    for c in layout.schema.columns:
        s = raw[c.field].astype(str)
        if c.type == "timestamp":
            values, date_only, bad = _parse_distinct(s, parse.parse_timestamps, tz_name, day_first)
            out[c.field + "__date_only"] = date_only
        elif c.type == "number":
            values, bad = _parse_distinct(s, parse.parse_numbers)
        elif c.type == "integer":
            values, bad = _parse_distinct(s, parse.parse_integers)
        elif c.type == "enum":
            values, bad = _parse_distinct(s, parse.canonical_enum, c.values)
        elif c.type in ("country", "currency", "language"):
            fn = {"country": codes.country_code, "currency": codes.currency_code, "language": codes.language_code}[c.type]
            values = _map_distinct(s, fn).astype(object)
            bad = s.str.strip().ne("") & values.eq("")
        else:
            values, bad = s.str.strip() if c.type == "id" else s, None
        out[c.field] = values
        if c.type == "timestamp" and c.owner != "bot" and c.field in layout.col:
            values, late = _plausible(values, out, layout, now)
            out[c.field] = values
            issues += [layout.issue("V2-implausible-date", c.field, row, f"{c.header} {note}; check the year")
                       for row, note in late]
        if bad is not None and bad.any() and c.field in layout.col and c.owner != "bot":
            code, template = _TYPE_PROBLEMS[c.type]
            for row in bad.index[bad]:
                v = s.at[row]
                issues.append(layout.issue(code, c.field, row, template.format(
                    h=c.header, v=v[:60], number=_number_note(v) if c.type == "number" else "",
                    date=_date_note(v) if c.type == "timestamp" else "",
                    choices=", ".join(c.values[:8]) + (" …" if len(c.values) > 8 else ""))))
    df = pd.DataFrame(out, index=raw.index)
    return df, issues + duplicate_keys(raw, layout)


def duplicate_keys(raw: pd.DataFrame, layout: TabLayout) -> list[Issue]:
    """V7: a value of a ``unique`` column (Case ID, tracking number …) on two or more rows; each
    such row gets an Issue naming the other rows, so neither silently stops updating."""
    issues: list[Issue] = []
    for c in layout.schema.columns:
        if not c.unique or c.field not in layout.col:
            continue
        values = raw[c.field].astype(str).str.strip()
        dup = values.ne("") & values.duplicated(keep=False)
        if not dup.any():
            continue
        rows_of = values[dup].groupby(values[dup], sort=False).groups  # value -> rows, only the duplicated ones
        for value, rows in rows_of.items():
            for row in rows:
                others = [str(r) for r in rows if r != row]
                shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
                issues.append(layout.issue("V7-duplicate-key", c.field, row,
                                    f"{c.header} {value[:40]!r} is also in row{'s' if len(others) > 1 else ''} {shown}; "
                                    f"give each row its own {c.header} (clear it to get a new one)"))
    return issues


def _plausible(values, out, layout, now):
    """``values`` with implausible dates blanked, and (row, note) for each (see :func:`implausible`)."""
    anchor_field = ANCHORS.get(layout.schema.tab)
    anchor = out.get(anchor_field)  # schemas list the anchor before the dates checked against it
    # (the anchor column itself is compared with itself, so it gets only the 2000 floor)
    if anchor is None:
        anchor = pd.Series(pd.NaT, index=values.index, dtype=values.dtype)
    mask = implausible(values, anchor, now)
    if not mask.any():
        return values, []
    anchor_header = layout.schema.column(anchor_field).header if anchor_field else ""
    notes = []
    for row in mask.index[mask]:
        day = values.at[row].strftime("%Y-%m-%d")
        if values.at[row] < EARLIEST.tz_localize(values.dt.tz):
            notes.append((row, f"{day} is before 2000"))
        elif pd.notna(anchor.at[row]):
            notes.append((row, f"{day} is more than a year before {anchor_header} {anchor.at[row]:%Y-%m-%d}"))
        else:
            notes.append((row, f"{day} is more than a year ago"))
    return values.mask(mask), notes


def typed_tab(grid: Grid, schema: TabSchema, tz_name: str, day_first: bool = False,
              now: datetime | None = None) -> TypedTab:
    layout = layout_of(grid, schema)
    raw = raw_frame(grid, layout)
    df, issues = type_frame(raw, layout, tz_name, day_first, now)
    return TypedTab(layout=layout, grid=grid, raw=raw, df=df, issues=issues)
