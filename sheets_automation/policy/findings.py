"""Findings: vectorised rule results folded into Alert, colour, Next action and Issues.

A rule returns :class:`Finding` values: a boolean mask over the rows plus what to say.
:func:`combine` ranks them by colour (``colours.URGENCY``: red > orange > yellow > blue >
green > grey; within a colour, the order the rules were listed) and gives each row

* ``alert``: the label of its most urgent finding (``""`` when it has none),
* ``next_action``: every finding's action, most urgent first, joined with ``" | "``,
* ``issues``: one :class:`Issue` per finding that has a code.

A finding with ``colour=None`` is a soft note: it is listed (last) but never sets the
alert. Texts are ``str.format`` templates filled per flagged row from ``values``
(full-length arrays), so only flagged rows cost Python time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache
from string import Formatter

import numpy as np
import pandas as pd

from .. import colours
from ..errors import Issue
from ..schema import shipped_schemas
from .times import fmt

_RANK = {c: i for i, c in enumerate(colours.URGENCY)}
_SOFT_RANK = len(colours.URGENCY)


@dataclass(slots=True)
class Finding:
    """One rule's result over all rows.

    :param mask: bool per row (positional, aligned with the frame).
    :param colour: colour name, or None for a soft note that never sets the alert.
    :param detail: alert detail after the colour prefix (``"S1 first reply"``); a template
        like the texts below when it names ``values`` (``"S8 no update for {days} days"``).
    :param code: Issue code (``"S1-overdue"``); None for a status line that is no issue.
    :param field: the field whose cell the Issue points at (None: the whole row).
    :param message: Issue message template.
    :param action: Next-action template (default: ``"<rule>: <message>"``).
    :param values: arrays the templates read, one value per row (an aware datetime Series is
        formatted "2025-03-09 00:00" lazily, only on flagged rows).
    :param severity: ``"error"`` for bad input, ``"warning"`` for everything else.
    """

    mask: np.ndarray
    colour: str | None
    detail: str
    code: str | None = None
    field: str | None = None
    message: str = ""
    action: str | None = None
    values: dict[str, np.ndarray] = dataclass_field(default_factory=dict)
    severity: str = "warning"


@dataclass(slots=True)
class Combined:
    alert: np.ndarray
    alert_colour: np.ndarray
    next_action: list[str]
    issues: list[list[Issue]]


def mask_of(values: pd.Series | np.ndarray) -> np.ndarray:
    """A bool ndarray from a Series that may hold NA."""
    if isinstance(values, pd.Series):
        return values.fillna(False).to_numpy(dtype=bool)
    return np.asarray(values, dtype=bool)


def _texts(template: str, values: dict[str, np.ndarray], idx: np.ndarray) -> list[str]:
    if not values or "{" not in template:
        return [template] * len(idx)
    names = [n for n in values if "{" + n in template]
    if not names:
        return [template] * len(idx)
    cols = [_take(values[n], idx) for n in names]
    positional = _positional(template, tuple(names))
    if positional is None:
        return [template.format(**dict(zip(names, row))) for row in zip(*cols)]
    return [positional.format(*row) for row in zip(*cols)]


@lru_cache(maxsize=1024)
def _positional(template: str, names: tuple[str, ...]) -> str | None:
    """``template`` with its named fields numbered by their place in ``names``
    (``"{days} days"`` → ``"{0} days"``), so that each row formats from a tuple: a third of
    the time of building keyword arguments per row (#15). None when a field names nothing in
    ``names``, nests fields in its format spec or is malformed: the row is then formatted by
    name, as before (and fails the same way)."""
    place = {n: i for i, n in enumerate(names)}
    out = []
    try:
        parsed = list(Formatter().parse(template))
    except ValueError:  # unbalanced braces
        return None
    for literal, name, spec, conversion in parsed:
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        head = re.match(r"[^.\[]*", name).group(0)
        if head not in place or "{" in (spec or ""):
            return None
        out.append("{" + str(place[head]) + name[len(head):] + (f"!{conversion}" if conversion else "")
                   + (f":{spec}" if spec else "") + "}")
    return "".join(out)


def _take(values: np.ndarray | pd.Series, idx: np.ndarray) -> np.ndarray:
    """Values at positions ``idx``; an aware datetime Series is formatted only there."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            return fmt(values.iloc[idx])
        return values.to_numpy()[idx]
    return values[idx]


def combine(findings: list[Finding], index: pd.Index, *, tab: str, letters: dict[str, str]) -> Combined:
    """Fold ``findings`` into per-row alert, colour, next action and issues (see module doc)."""
    n = len(index)
    ordered = sorted(findings, key=lambda f: _RANK.get(f.colour, _SOFT_RANK))  # stable
    best = np.full(n, -1)
    for k, f in enumerate(ordered):
        if f.colour is None:
            continue
        take = f.mask & (best == -1)
        best[take] = k
    labels = np.array([colours.label(f.colour, f.detail) if f.colour else "" for f in ordered] + [""], dtype=object)
    names = np.array([f.colour or "" for f in ordered] + [""], dtype=object)
    alert, alert_colour = labels[best], names[best]  # best == -1 picks the trailing ""
    for k, f in enumerate(ordered):  # per-row details, formatted only where the finding wins
        won = np.flatnonzero(best == k) if f.colour and f.values and "{" in f.detail else ()
        if len(won):
            alert[won] = [colours.label(f.colour, text) for text in _texts(f.detail, f.values, won)]
    actions: list[list[str]] = [[] for _ in range(n)]
    issues: list[list[Issue]] = [[] for _ in range(n)]
    rows = index.to_numpy()
    for f in ordered:
        idx = np.flatnonzero(f.mask)
        if not len(idx):
            continue
        if f.action is not None:
            action = f.action
        else:  # cite the rule when there is a code; a code-less finding's message already does
            action = f"{f.code.split('-', 1)[0]}: {f.message}" if f.code else f.message
        action_texts = _texts(action, f.values, idx) if action.strip(": ") else [""] * len(idx)
        for i, text in zip(idx, action_texts):
            if text:
                actions[i].append(text)
        if f.code is None:
            continue
        messages = _texts(f.message, f.values, idx)
        column = letters.get(f.field, "") if f.field else ""
        for i, msg in zip(idx, messages):
            issues[i].append(Issue(f.code, tab, int(rows[i]), f.field if column else None, msg, f.severity, column))
    return Combined(alert, alert_colour, [" | ".join(a) for a in actions], issues)


def header_of(stem: str, field_name: str) -> str:
    """The sheet header of a field (``"paid_at"`` → ``"Paid at"``), or the field name."""
    try:
        return shipped_schemas()[stem].column(field_name).header
    except KeyError:
        return field_name


def parse_issue_findings(parse_issues: list[Issue], index: pd.Index, stem: str) -> list[Finding]:
    """Fold the parser's Issues into findings on their rows (errors yellow, warnings soft).

    One finding per (code, column); an Issue whose row is not in ``index`` is ignored.
    """
    positions = pd.Series(np.arange(len(index)), index=index)
    positions = positions[~positions.index.duplicated()]
    groups: dict[tuple[str, str, str], list[tuple[int, Issue]]] = {}
    for issue in parse_issues:
        if issue.row not in positions.index:
            continue
        pos = int(positions[issue.row])
        groups.setdefault((issue.code, issue.field or "", issue.severity), []).append((pos, issue))
    out = []
    for (code, f, severity), hits in groups.items():
        mask = np.zeros(len(index), dtype=bool)
        msgs = np.full(len(index), "", dtype=object)
        cells = np.full(len(index), "", dtype=object)
        for pos, issue in hits:
            if mask[pos]:  # two issues with one code in one cell: keep both texts
                msgs[pos] = f"{msgs[pos]}; {issue.message}"
                continue
            mask[pos], msgs[pos], cells[pos] = True, issue.message, issue.cell
        rule = code.split("-", 1)[0]
        detail = f"{rule} {header_of(stem, f)}" if f else code
        out.append(Finding(mask, "yellow" if severity == "error" else None, detail, code, f or None,
                           "{msg}", f"{code} {{cell}}: {{msg}}", {"msg": msgs, "cell": cells}, severity))
    return out


def positions_by_field(parse_issues: list[Issue], index: pd.Index) -> dict[str, np.ndarray]:
    """Rows (bool per position) where the parser already reported a problem, by field.

    Used so that V1 does not call an unparseable cell "missing" a second time.
    """
    lookup = {row: i for i, row in enumerate(index.to_numpy().tolist())}
    out: dict[str, np.ndarray] = {}
    for issue in parse_issues:
        pos = lookup.get(issue.row)
        if issue.field is None or pos is None:
            continue
        out.setdefault(issue.field, np.zeros(len(index), dtype=bool))[pos] = True
    return out
