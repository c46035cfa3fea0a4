"""Bad input never crashes a run, always gets a specific visible note, never stops other rows.

Hypothesis types arbitrary text, numbers, dates in many spellings, formulas and very long
strings into one person-owned cell of a small, otherwise clean tab (every column type of
every tab), and the run (through the fake Sheets API, dry run) must:

* finish without an exception;
* turn every cell the parser rejects into an Issue with a code and an A1 cell, shown in the
  row's Next action (``"V2-bad-date Cases!J2: …"``) or, on tabs without one, its Alert;
* evaluate the other rows exactly as it does without the bad cell.
"""
from __future__ import annotations

import string
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.backends.base import Grid
from sheets_automation.config import Config, SpreadsheetConfig
from sheets_automation.demo import sample_rows
from sheets_automation.runner import run_once
from sheets_automation.schema import shipped_schemas
from sheets_automation.table import typed_tab
from tests.fakes.sheets_api import FakeSheetsAPI, col_letters

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TZ = "Asia/Shanghai"
SID = "sheet-props"
SHEET = SpreadsheetConfig(name="props", spreadsheet_id=SID)
CONFIG = Config(backend="google", spreadsheets=(SHEET,))
STEMS = ("cases", "logistics", "cashback", "reships")
GOOD_ROWS = 3
SCHEMAS = shipped_schemas()


def clean_rows() -> dict[str, list[list[str]]]:
    """Per tab: header plus the first sample rows the parser accepts without an Issue."""
    rows = sample_rows(NOW)
    out = {}
    for stem in STEMS:
        schema = SCHEMAS[stem]
        table = [list(schema.headers)]
        for r in rows[stem]:
            candidate = table + [[r.get(f, "") for f in schema.fields]]
            if not typed_tab(Grid(schema.tab, tuple(map(tuple, candidate))), schema, TZ).issues:
                table = candidate
            if len(table) > GOOD_ROWS:
                break
        out[stem] = table
    return out


CLEAN = clean_rows()
PEOPLE_CELLS = [(stem, c.field) for stem in STEMS for c in SCHEMAS[stem].columns if c.owner != "bot"]


def run_with(stem: str, field: str, value: str):
    """Dry run with ``value`` typed into ``field`` of the first data row of ``stem``'s tab."""
    tabs = {SCHEMAS[s].tab: [list(r) for r in CLEAN[s]] for s in STEMS}
    schema = SCHEMAS[stem]
    tabs[schema.tab][1][schema.fields.index(field)] = value
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, "Props", TZ, tabs, row_count=20)
    backend = open_google_backend(SID, session=api.session(), sleep=lambda s: None)
    jobs = ["tracking"] if stem == "logistics" else ["rules"]
    result = run_once(backend, CONFIG, SHEET, jobs, NOW, dry_run=True)
    grid = Grid(schema.tab, tuple(tuple(str(v) for v in r) for r in tabs[schema.tab]))
    return result, typed_tab(grid, schema, TZ).issues


def planned(result, tab: str, row: int) -> dict[str, str]:
    return {w.header: w.new for w in result.plan.cells if w.tab == tab and w.ref.row == row}


BASELINE = {stem: run_with(stem, "order_id" if stem != "reships" else "original_order_id",
                           CLEAN[stem][1][SCHEMAS[stem].fields.index("order_id" if stem != "reships"
                                                                      else "original_order_id")])[0]
            for stem in STEMS}

dates = st.datetimes(min_value=datetime(1899, 1, 1), max_value=datetime(2200, 1, 1))
SPELLINGS = ["%Y-%m-%d %H:%M", "%d/%m/%Y", "%m/%d/%Y %I:%M %p", "%Y年%m月%d日", "%d.%m.%y", "%Y-%m-%dT%H:%M:%S",
             "%b %d %Y", "%Y%m%d"]
values = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=string.printable, min_size=1, max_size=20),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10 ** 20, max_value=10 ** 20).map(str),
    st.builds(lambda d, f: d.strftime(f), dates, st.sampled_from(SPELLINGS)),
    st.text(max_size=30).map(lambda t: "=" + t),
    st.sampled_from(["=HYPERLINK(\"http://x\",\"y\")", "=1/0", "+1-1", "@SUM(A1)", "-", "　", "\u200b", "NaN",
                     "inf", "1e400", "0x1F", "２０２５-０３-０１", "2025-02-30 10:00", "24:00", "TRUE", "None"]),
    st.text(min_size=5000, max_size=6000, alphabet="ab 中"),
)
FAST = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def shown(result, stem: str, issue) -> bool:
    """The Issue is visible on its row: code and cell in Next action, or its rule in Alert."""
    schema = SCHEMAS[stem]
    row = int("".join(ch for ch in issue.cell.split("!")[1] if ch.isdigit()))
    cells = planned(result, schema.tab, row)
    next_action = cells.get(schema.column("next_action").header, "") if "next_action" in schema.fields else None
    if next_action is not None:
        return f"{issue.code} {issue.cell}" in next_action
    return issue.rule in cells.get(schema.column("alert").header, "")




def check(stem: str, field: str, value: str) -> None:
    result, issues = run_with(stem, field, value)
    schema = SCHEMAS[stem]
    for issue in issues:
        assert issue.code and "-" in issue.code and issue.cell.startswith(f"{schema.tab}!"), issue
        assert shown(result, stem, issue), (issue, planned(result, schema.tab, 2))
    for row in range(3, GOOD_ROWS + 2):
        assert planned(result, schema.tab, row) == planned(BASELINE[stem], schema.tab, row), f"row {row} changed"


@FAST
@given(cell=st.sampled_from(PEOPLE_CELLS), value=values)
def test_any_text_in_any_person_cell_never_crashes_and_every_rejected_cell_is_shown(cell, value):
    check(*cell, value)


TYPED = [(stem, c.field, c.type) for stem in STEMS for c in SCHEMAS[stem].columns
         if c.owner != "bot" and c.type in ("timestamp", "number", "integer", "enum", "country", "currency", "language")]
EXPECTED_RULE = {"timestamp": "V2", "number": "V5", "integer": "V5", "enum": "V1", "country": "V6",
                 "currency": "V5", "language": "V1"}


@FAST
@given(cell=st.sampled_from(TYPED), junk=st.text(alphabet="qxz#?!", min_size=4, max_size=30))
def test_junk_in_a_typed_column_gets_that_column_s_own_note(cell, junk):
    stem, field, kind = cell
    result, issues = run_with(stem, field, junk)
    cell_a1 = f"{SCHEMAS[stem].tab}!{col_letters(SCHEMAS[stem].fields.index(field) + 1)}2"
    mine = [i for i in issues if i.code.startswith(EXPECTED_RULE[kind] + "-") and i.cell == cell_a1]
    assert mine, f"{stem}.{field} = {junk!r} got no {EXPECTED_RULE[kind]} issue on {cell_a1}: {issues}"
    assert all(shown(result, stem, i) for i in mine), planned(result, SCHEMAS[stem].tab, 2)


def test_the_clean_tabs_really_are_clean_and_evaluated():
    for stem in STEMS:
        assert len(CLEAN[stem]) == GOOD_ROWS + 1, stem
        for row in range(2, GOOD_ROWS + 2):
            assert planned(BASELINE[stem], SCHEMAS[stem].tab, row), f"{stem} row {row} got no bot values"
