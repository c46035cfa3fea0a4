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

from dataclasses import dataclass, field

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

    @property
    def schema(self) -> TabSchema:
        return self.layout.schema


_TYPE_PROBLEMS = {
    "timestamp": ("V2-bad-date", "{h} {v!r} is not a date/time; write it like 2025-03-01 14:00"),
    "number": ("V5-bad-number", "{h} {v!r} is not a number"),
    "integer": ("V5-bad-number", "{h} {v!r} is not a whole number"),
    "enum": ("V1-unknown-choice", "{h} {v!r} is not one of: {choices}"),
    "country": ("V6-unknown-country", "{h} {v!r} is not a country; use a name or ISO code like US"),
    "currency": ("V5-unknown-currency", "{h} {v!r} is not an ISO 4217 currency like USD"),
    "language": ("V1-unknown-language", "{h} {v!r} is not a language; use a code like en, zh, es"),
}


def _map_distinct(s: pd.Series, fn) -> pd.Series:
    distinct = {v: fn(v) for v in s.unique()}
    return s.map(distinct)


def raw_frame(grid: Grid, layout: TabLayout) -> pd.DataFrame:
    """Non-blank data rows as str cells by field; index = sheet row number."""
    rows = grid.rows[1:]
    index, data = [], []
    cols = [(f, c - 1) for f, c in layout.col.items()]
    for i, r in enumerate(rows, start=2):
        if not any(v.strip() for v in r):
            continue
        index.append(i)
        data.append([r[c] if c < len(r) else "" for _, c in cols])
    frame = pd.DataFrame(data, index=pd.Index(index, name="row", dtype="int64"), columns=[f for f, _ in cols], dtype=object)
    for c in layout.schema.columns:  # optional columns absent from the sheet read as blank
        if c.field not in frame.columns:
            frame[c.field] = ""
    return frame.fillna("")


def type_frame(raw: pd.DataFrame, layout: TabLayout, tz_name: str, day_first: bool = False):
    """Typed frame and parse issues (see module docstring)."""
    out: dict[str, pd.Series] = {}
    issues: list[Issue] = []
    for c in layout.schema.columns:
        s = raw[c.field].astype(str)
        if c.type == "timestamp":
            values, date_only, bad = parse.parse_timestamps(s, tz_name, day_first)
            out[c.field + "__date_only"] = date_only
        elif c.type == "number":
            values, bad = parse.parse_numbers(s)
        elif c.type == "integer":
            values, bad = parse.parse_integers(s)
        elif c.type == "enum":
            values, bad = parse.canonical_enum(s, c.values)
        elif c.type in ("country", "currency", "language"):
            fn = {"country": codes.country_code, "currency": codes.currency_code, "language": codes.language_code}[c.type]
            values = _map_distinct(s, fn).astype(object)
            bad = s.str.strip().ne("") & values.eq("")
        else:
            values, bad = s.str.strip() if c.type == "id" else s, None
        out[c.field] = values
        if bad is not None and bad.any() and c.field in layout.col and c.owner != "bot":
            code, template = _TYPE_PROBLEMS[c.type]
            column = column_letter(layout.col[c.field])
            for row in bad.index[bad]:
                v = s.at[row]
                issues.append(Issue(code, layout.title, row, c.field, template.format(
                    h=c.header, v=v[:60], choices=", ".join(c.values[:8]) + (" …" if len(c.values) > 8 else "")),
                    column=column))
    df = pd.DataFrame(out, index=raw.index)
    return df, issues


def typed_tab(grid: Grid, schema: TabSchema, tz_name: str, day_first: bool = False) -> TypedTab:
    layout = layout_of(grid, schema)
    raw = raw_frame(grid, layout)
    df, issues = type_frame(raw, layout, tz_name, day_first)
    return TypedTab(layout=layout, grid=grid, raw=raw, df=df, issues=issues)
