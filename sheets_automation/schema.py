"""Sheet schemas as data: ``sheet_schemas/*.toml`` loaded into frozen dataclasses.

One file per tab (shared/sheet-layout.md). A broken file is reported with its file name
and the field at fault (:class:`SchemaFileError`), at load time, never mid-job.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from .errors import SchemaFileError

OWNERS = ("client", "support", "bot")
TYPES = ("text", "id", "timestamp", "number", "integer", "enum", "language", "country", "currency", "links")
_COLUMN_KEYS = {"field", "header", "aliases", "owner", "type", "values", "required", "unique",
                "fill_if_blank", "coloured", "volatile", "personal", "wrap", "width"}
_TAB_KEYS = {"tab", "aliases", "key", "id_prefix", "kind", "columns"}


def normalise_header(text: str) -> str:
    """Header comparison form: case-folded, all white space removed (``" Order  ID"`` → ``"orderid"``)."""
    return re.sub(r"\s+", "", str(text)).casefold()


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a tab, found by ``header`` or any of ``aliases``."""

    field: str
    header: str
    type: str
    owner: str
    aliases: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    required: bool = False
    unique: bool = False
    fill_if_blank: bool = False  # the bot writes it only while blank (IDs, suggestions)
    coloured: bool = False  # the cell's fill carries the alert colour (policy colours)
    volatile: bool = False  # refreshed only when another bot cell of the row changes
    personal: bool = False  # personal data: never logged
    wrap: bool = False  # long text: wrapped, top-aligned, in a wide column (how the tab looks)
    width: int = 0  # typical length in characters; 0 = from the type (see :mod:`.appearance`)

    @property
    def names(self) -> tuple[str, ...]:
        """Every accepted header, normalised."""
        return tuple(normalise_header(n) for n in (self.header, *self.aliases))

    @property
    def bot_writes(self) -> bool:
        """True when the automation may write this column (always or while blank)."""
        return self.owner == "bot" or self.fill_if_blank


@dataclass(frozen=True, slots=True)
class TabSchema:
    """A tab: its title, aliases, key column and columns."""

    tab: str
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()
    key: str | None = None
    id_prefix: str | None = None
    kind: str = "table"  # "table" or "report" (written whole)
    source: str = ""  # file it came from, for messages

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(normalise_header(n) for n in (self.tab, *self.aliases))

    def column(self, field_name: str) -> Column:
        for col in self.columns:
            if col.field == field_name:
                return col
        raise KeyError(f"{self.tab} has no column {field_name!r}")

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


def _fail(source: str, where: str, problem: str) -> SchemaFileError:
    return SchemaFileError(f"schema file {source}: {where}: {problem}; fix the file and run again")


def _column_from_dict(d: object, source: str, index: int) -> Column:
    where = f"columns[{index}]"
    if not isinstance(d, dict):
        raise _fail(source, where, "must be a table")
    unknown = set(d) - _COLUMN_KEYS
    if unknown:
        raise _fail(source, f"{where}.{sorted(unknown)[0]}", "unknown key")
    for key in ("field", "header", "type", "owner"):
        if not isinstance(d.get(key), str) or not d[key]:
            raise _fail(source, f"{where}.{key}", "required text is missing")
    where = f"columns[{index}] ({d['field']})"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", d["field"]):
        raise _fail(source, f"{where}.field", "must be snake_case")
    if d["type"] not in TYPES:
        raise _fail(source, f"{where}.type", f"{d['type']!r} is not one of {', '.join(TYPES)}")
    if d["owner"] not in OWNERS:
        raise _fail(source, f"{where}.owner", f"{d['owner']!r} is not one of {', '.join(OWNERS)}")
    values = d.get("values", [])
    if d["type"] == "enum" and not values:
        raise _fail(source, f"{where}.values", "an enum column needs its values")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _fail(source, f"{where}.values", "must be a list of text")
    aliases = d.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise _fail(source, f"{where}.aliases", "must be a list of text")
    width = d.get("width", 0)
    if not isinstance(width, int) or isinstance(width, bool) or not 0 <= width <= 100:
        raise _fail(source, f"{where}.width", "must be a whole number of characters from 0 to 100")
    flags = {}
    for key in ("required", "unique", "fill_if_blank", "coloured", "volatile", "personal", "wrap"):
        value = d.get(key, False)
        if not isinstance(value, bool):
            raise _fail(source, f"{where}.{key}", "must be true or false")
        flags[key] = value
    return Column(field=d["field"], header=d["header"], type=d["type"], owner=d["owner"],
                  aliases=tuple(aliases), values=tuple(values), width=width, **flags)


def schema_from_dict(d: dict, source: str = "<dict>") -> TabSchema:
    """Build and check a :class:`TabSchema`; raise :class:`SchemaFileError` naming the field."""
    unknown = set(d) - _TAB_KEYS
    if unknown:
        raise _fail(source, sorted(unknown)[0], "unknown key")
    if not isinstance(d.get("tab"), str) or not d["tab"]:
        raise _fail(source, "tab", "required text is missing")
    kind = d.get("kind", "table")
    if kind not in ("table", "report"):
        raise _fail(source, "kind", "must be 'table' or 'report'")
    raw_columns = d.get("columns", [])
    if not isinstance(raw_columns, list):
        raise _fail(source, "columns", "must be a list of tables")
    columns = tuple(_column_from_dict(c, source, i) for i, c in enumerate(raw_columns))
    seen: dict[str, str] = {}
    for col in columns:
        for name in col.names:
            if name in seen:
                raise _fail(source, f"column {col.field}", f"header or alias {name!r} also names {seen[name]}")
            seen[name] = col.field
    key = d.get("key")
    if kind == "table":
        if not key:
            raise _fail(source, "key", "a table needs a key column")
        if key not in {c.field for c in columns}:
            raise _fail(source, "key", f"{key!r} is not a column field")
    return TabSchema(tab=d["tab"], columns=columns, aliases=tuple(d.get("aliases", [])), key=key,
                     id_prefix=d.get("id_prefix"), kind=kind, source=source)


def schema_to_dict(schema: TabSchema) -> dict:
    """Inverse of :func:`schema_from_dict` (defaults left out)."""
    out: dict = {"tab": schema.tab, "aliases": list(schema.aliases)}
    if schema.key:
        out["key"] = schema.key
    if schema.id_prefix:
        out["id_prefix"] = schema.id_prefix
    if schema.kind != "table":
        out["kind"] = schema.kind
    cols = []
    for c in schema.columns:
        cd = {"field": c.field, "header": c.header, "aliases": list(c.aliases), "owner": c.owner, "type": c.type}
        if c.values:
            cd["values"] = list(c.values)
        for flag in ("required", "unique", "fill_if_blank", "coloured", "volatile", "personal", "wrap"):
            if getattr(c, flag):
                cd[flag] = True
        if c.width:
            cd["width"] = c.width
        cols.append(cd)
    out["columns"] = cols
    return out


def load_schema_file(path: Path) -> TabSchema:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _fail(Path(path).name, "TOML", str(exc)) from None
    return schema_from_dict(data, source=Path(path).name)


# Tab order used everywhere (init creates tabs in this order).
SHIPPED = ("cases", "logistics", "cashback", "reships", "weekly_report")


@cache
def shipped_schemas() -> dict[str, TabSchema]:
    """The schemas shipped inside the package, by file stem (``"cases"``, ...)."""
    base = resources.files("sheets_automation.sheet_schemas")
    out = {}
    for stem in SHIPPED:
        text = (base / f"{stem}.toml").read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _fail(f"{stem}.toml", "TOML", str(exc)) from None
        out[stem] = schema_from_dict(data, source=f"{stem}.toml")
    return out
