"""From desired bot values to a :class:`WritePlan`: only changed, owned, untouched cells.

For every bot cell of every row (sheet-layout.md owners and "Hand edits"):

====================================  ===================================================
situation                             what happens
====================================  ===================================================
``fill_if_blank`` column              written only while the cell is blank
cell already holds the desired value  nothing (a run that changes nothing writes nothing)
cell blank, or holds what we wrote    written (fingerprint updated)
cell holds a value we wrote elsewhere a displaced bot value (a race moved it): ours, rewritten
row unknown to the state tab, but     the automation processed the row before (its Checked
Checked at filled                     at is filled) and the record is gone (state tab deleted,
                                      data copied to a new sheet): no evidence of a hand
                                      edit, so rebuilt as a clean run computes it
row unknown, never processed          text there predates the automation: a person's, kept
cell holds anything else              a person wrote it: left alone until they clear it
``volatile`` column (Checked at)      written only when another bot cell of the row is
====================================  ===================================================
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from .backends.base import CellWrite, NewTab, RowAppend, RowRef, WritePlan
from .state import MEMO, TIMELINE, StateTab, encode, fingerprint, row_key
from .table import TypedTab, as_dict, as_lists, own_keys


@dataclass(slots=True)
class TabOutput:
    """What the jobs want in one tab's bot columns.

    ``values``: DataFrame indexed by sheet row, one column per bot field, cells are final
    text (None = no opinion, leave the cell as it is). ``colours``: policy colour per row
    for coloured columns. ``rules``: rule IDs per row, for the dry-run listing.
    """

    values: pd.DataFrame
    colours: pd.Series | None = None
    rules: pd.Series | None = None
    appends: list[dict[str, str]] = field(default_factory=list)
    timeline: dict[int, object] = field(default_factory=dict)
    memo: dict[int, str] = field(default_factory=dict)  # by row: inputs hash of memo_field's text (messages.memo)
    memo_field: str = "customer_message"


def id_numbers(id_prefix: str, values) -> list[int]:
    """The numbers of the values that are generated-style IDs (``CS-00017`` → 17)."""
    pattern = re.compile(rf"^{re.escape(id_prefix)}-(\d+)$")
    return [int(m.group(1)) for v in values if isinstance(v, str) and (m := pattern.match(v.strip()))]


def assign_keys(typed: TypedTab) -> tuple[pd.Series, pd.Series]:
    """Each row's key, generating ``<prefix>-00001``-style IDs for blank ones (in row order),
    numbered above every ID of the tab and above ``typed.id_floor`` (IDs other tabs refer to
    or the state tab recorded: a new case never takes the ID of a deleted one whose Cashback
    or Reships rows remain).

    Returns (keys, usable) where ``usable`` is False for rows whose key is blank (and cannot
    be generated) or shared with another row.
    """
    schema = typed.schema
    keys = typed.raw[schema.key].astype(str).str.strip()
    blank = keys.eq("")
    if schema.id_prefix and blank.any():
        prefix = schema.id_prefix + "-"
        nxt = max([*id_numbers(schema.id_prefix, keys.unique()), typed.id_floor]) + 1
        keys = keys.copy()
        keys[blank] = [f"{prefix}{n:05d}" for n in range(nxt, nxt + int(blank.sum()))]
    usable = own_keys(keys)
    return keys, usable


def _raw_cells(typed: TypedTab):
    """``cell(row, field)``: the raw text as read; each column turned into a dict on first use
    (one lookup per cell instead of a pandas ``.at`` each)."""
    columns: dict[str, dict[int, str]] = {}

    def cell(row: int, field: str) -> str:
        if field not in columns:
            columns[field] = as_dict(typed.raw[field])
        return columns[field][row]
    return cell


def _ref(typed: TypedTab, row: int, key: str, usable: bool, key_was_blank: bool, cell=None) -> RowRef:
    layout = typed.layout
    key_header = layout.header[typed.schema.key]
    if usable and not key_was_blank:
        return RowRef(key_header, key, row)
    cell = cell or _raw_cells(typed)
    anchor = tuple((layout.header[c.field], str(cell(row, c.field)))
                   for c in typed.schema.columns
                   if c.field in layout.col and (c.owner != "bot" or c.field == typed.schema.key))
    return RowRef(key_header=key_header, key="", row=row, anchor=anchor)


def ours(state: StateTab, rk: str, field: str, current: str) -> bool:
    """``current`` is what the automation last wrote at ``rk``, or a value it wrote to this
    column on another row (a write a race displaced, or a V7 row whose key moved, is ours to
    correct, not a hand edit: a person's own text does not hash like the automation's)."""
    fp = fingerprint(current)
    return state.get(rk).get(field) == fp or fp in state.written(field)


def hand_edited(state: StateTab, rk: str, field: str, current: str, processed: bool) -> bool:
    """Evidence that a person typed ``current`` (non-blank) into a bot cell: the state tab knows
    the row and the value is not :func:`ours`. A row the state tab does not know: a person's
    text if the automation never ``processed`` the row (no Checked at); else the record was
    lost (tab deleted, data copied to a new sheet), there is no evidence, and the cell is
    rebuilt (counted in ``state.rebuilt``)."""
    if rk not in state.raw:
        if processed:
            state.rebuilt += 1
        return not processed
    return not ours(state, rk, field, current)


def ours_keyless(state: StateTab, field: str, current: str, processed: bool) -> bool:
    """A bot cell on a row without a usable key (a Logistics row whose tracking number someone
    cleared) holds the automation's text: the automation processed the row (Checked at) and
    wrote exactly this text to this column on some row. Without both, it is a person's."""
    return processed and fingerprint(current) in state.written(field)


def plan_tab(typed: TypedTab, out: TabOutput, state: StateTab, plan: WritePlan, checked_at: str,
             created: dict[int, str] | None = None) -> int:
    """Add this tab's writes to ``plan``; return how many cells people edited and were kept.

    ``created``: sheet rows this run adds, with the rule that created each (see
    ``runner.create_rows``); each is written as one new row holding its given values and
    its bot values.
    """
    created = created or {}
    schema, layout = typed.schema, typed.layout
    tab = layout.title
    keys, usable = assign_keys(typed)
    raw_keys = typed.raw[schema.key].astype(str).str.strip()
    shared = keys.ne("") & keys.duplicated(keep=False)  # V7: fingerprints kept by row position
    state_key = {row: row_key(schema.tab, k if u else f"@{row}") if u or sh else ""
                 for row, k, u, sh in zip(keys.index.tolist(), keys.tolist(), usable.tolist(), shared.tolist())}
    desired = out.values.reindex(typed.raw.index)
    if schema.key in layout.col:  # generated IDs go in as fill-if-blank values
        gen = raw_keys.eq("") & keys.ne("")
        desired[schema.key] = desired.get(schema.key, pd.Series(None, index=desired.index, dtype=object)).astype(object)
        desired.loc[gen, schema.key] = keys[gen]
    volatile = [c for c in schema.columns if c.volatile and c.field in layout.col]
    processed = pd.Series(False, index=typed.raw.index)  # rows the automation stamped (Checked at)
    for v in volatile:
        processed |= typed.raw[v.field].astype(str).str.strip().ne("")
    fields = [c for c in schema.columns if c.field in desired.columns and c.field in layout.col and c.bot_writes and not c.volatile]
    kept = 0
    per_row: dict[int, list[tuple[str, str, str]]] = {}  # row -> [(field, old, new)]
    adopt: dict[int, dict[str, str]] = {}
    entries: dict[int, dict[str, str]] = {}  # row -> its state entry, for the cells that already agree
    for col in fields:
        want = desired[col.field]
        have = typed.raw[col.field].astype(str)
        has_opinion = want.notna()
        if col.fill_if_blank:
            todo = has_opinion & have.str.strip().eq("") & want.astype(str).ne("")
            for row, current, new in zip(*as_lists(todo.index[todo], have[todo], want[todo])):
                per_row.setdefault(row, []).append((col.field, current, str(new)))
            continue
        differs = has_opinion & have.ne(want.astype(str))
        for row, current, new in zip(*as_lists(differs.index[differs], have[differs], want[differs])):
            new = str(new)
            if current != "" and state_key[row]:
                if hand_edited(state, state_key[row], col.field, current, bool(processed.at[row])):
                    kept += 1
                    continue
            elif current != "" and not ours_keyless(state, col.field, current, bool(processed.at[row])):
                kept += 1  # no key and no evidence it is ours: leave people's text alone
                continue
            per_row.setdefault(row, []).append((col.field, current, new))
        same = has_opinion & ~differs & have.ne("") & usable
        for row, key, current in zip(*as_lists(same.index[same], keys[same], have[same])):
            if (fps := entries.get(row)) is None:  # one state lookup per row, not per cell
                fps = entries[row] = state.get(row_key(schema.tab, key))
            if fps.get(col.field) != (fp := fingerprint(current)):  # missing or stale: adopt
                adopt.setdefault(row, {})[col.field] = fp
            if col.field == out.memo_field and row in out.memo and fps.get(MEMO) != out.memo[row]:
                adopt.setdefault(row, {})[MEMO] = out.memo[row]  # same text from new inputs (messages.memo)
    cell = _raw_cells(typed)
    for v in volatile:
        for row, changes in per_row.items():
            have = str(cell(row, v.field))
            if have == "" or (state_key[row] and ours(state, state_key[row], v.field, have)):
                changes.append((v.field, have, checked_at))
    colours = out.colours
    rules = out.rules
    # by row, looked up once per tab rather than cell by cell
    colour_of = as_dict(colours) if colours is not None else {}
    rule_of = as_dict(rules[rules.notna()].astype(str)) if rules is not None else {}  # NA: no entry
    key_of, usable_of, raw_key_of = as_dict(keys), as_dict(usable), as_dict(raw_keys)
    header_of = layout.header
    coloured = {c.field for c in schema.columns if c.coloured}
    fill_if_blank = {c.field for c in schema.columns if c.fill_if_blank}
    key_header = header_of[schema.key]
    state_updates: dict[str, dict[str, str]] = {}
    timeline, memo_field = out.timeline, out.memo_field
    for row in sorted(set(per_row) | set(adopt) | {r for r in timeline if r in usable_of} | set(created)):
        changes = per_row.get(row, [])
        rule = rule_of.get(row, "")
        colour = colour_of.get(row)
        colour = (colour or None) if isinstance(colour, str) else None
        if row in created:
            plan.appends.append(_new_row(typed, row, changes, colour_of.get(row), created[row] or rule, cell))
        else:  # a row with its own key is found by it (_ref's first case, without the call)
            ref = (RowRef(key_header, key_of[row], row) if usable_of[row] and raw_key_of[row] != ""
                   else _ref(typed, row, key_of[row], bool(usable_of[row]), raw_key_of[row] == "", cell))
            for fname, old, new in changes:
                plan.cells.append(CellWrite(tab, ref, header_of[fname], old, new, colour if fname in coloured else None, rule))
        if rk := state_key[row]:
            fps = dict(before := state.get(rk))
            adopted = adopt.get(row, {})
            fps.update(adopted)
            memo_written = memo_field in adopted
            for fname, _old, new in changes:
                if fname == memo_field:
                    memo_written = True
                if fname in fill_if_blank:
                    continue
                if new == "":
                    fps.pop(fname, None)
                else:
                    fps[fname] = fingerprint(new)
            if row in timeline:
                fps[TIMELINE] = timeline[row]
            if memo_written:
                _pair_memo(fps, out, row)
            if fps != before:
                state_updates[rk] = fps
    _plan_state(state, state_updates, plan)
    for values in out.appends:
        plan.appends.append(RowAppend(tab=tab, values=tuple((layout.header[f], v) for f, v in values.items() if f in layout.header),
                                      rule=values.get("_rule", "")))
    return kept


def _pair_memo(fps: dict, out: TabOutput, row: int) -> None:
    """``~m`` is recorded with the fingerprint of ``out.memo_field`` (messages.memo): whenever
    that fingerprint is written (adopted or changed), ``~m`` is set to the hash its new text
    came from, or removed."""
    if row in out.memo and out.memo_field in fps:
        fps[MEMO] = out.memo[row]
    else:
        fps.pop(MEMO, None)


def _new_row(typed: TypedTab, row: int, changes: list[tuple[str, str, str]], colour: object,
             rule: str, cell=None) -> RowAppend:
    """A created row: its given values plus the bot values, by header; ``colour``: the row's
    policy colour (anything but a non-blank string: none)."""
    layout, schema = typed.layout, typed.schema
    cell = cell or _raw_cells(typed)
    values = {f: v for f in typed.raw.columns if isinstance(v := cell(row, f), str) and v.strip()}
    values.update({f: new for f, _old, new in changes})
    coloured = tuple((layout.header[c.field], colour) for c in schema.columns
                     if c.coloured and c.field in layout.header and isinstance(colour, str) and colour)
    return RowAppend(tab=layout.title, values=tuple((layout.header[f], v) for f, v in values.items() if f in layout.header),
                     colours=coloured, rule=rule)


def _plan_state(state: StateTab, updates: dict[str, dict[str, str]], plan: WritePlan) -> None:
    from .state import HEADERS, TITLE

    if updates and not state.exists and not any(t.title == TITLE for t in plan.new_tabs):
        plan.new_tabs.append(NewTab(title=TITLE, headers=HEADERS, hidden=True))
    for rk, fps in updates.items():
        text = encode(fps)
        if rk in state.raw:
            row, old = state.raw[rk]
            plan.cells.append(CellWrite(TITLE, RowRef(HEADERS[0], rk, row), HEADERS[1], old, text))
        else:
            plan.appends.append(RowAppend(TITLE, ((HEADERS[0], rk), (HEADERS[1], text))))
