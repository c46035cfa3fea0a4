"""A message whose inputs did not change is not rendered again (issue #15), and that never
shows: through `sheets-automation run` on a workbook, every change of a message's inputs
(language, status, tracking number, a template edit, the state tab edited or from an older
version, messages moved between rows) still gives exactly what a clean run writes.
"""
import json
import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sheets_automation.backends.base import STATE_TAB
from sheets_automation.cli import main
from sheets_automation.messages.memo import inputs_hash
from tests.test_end_to_end_timeline import QUALITY, edit, rows, snapshot, workbook

NOW = "2025-03-06T10:00+08:00"
LATER = "2025-03-06T10:30+08:00"


def cases(tmp_path: Path, n: int = 2) -> Path:
    return workbook(tmp_path, cases=[dict(QUALITY, case_id=f"CS-{i:05d}", order_id=f"#10{i:02d}",
                                          opened_at="2025-03-06 09:00", status="new") for i in range(1, n + 1)])


def run(path: Path, now: str, config: Path | None = None) -> None:
    where = ["--config", str(config)] if config else ["--workbook", str(path)]
    assert main(["run", "rules", "messages", *where, "--now", now, "-q"]) == 0


def clean_run_messages(tmp_path: Path, path: Path, now: str) -> list[str]:
    """What a first run writes on a copy of the sheet without its state tab and messages."""
    wb = openpyxl.load_workbook(path)
    del wb[STATE_TAB]
    ws = wb["Cases"]
    col = [c.value for c in ws[1]].index("Customer message") + 1
    for r in range(2, ws.max_row + 1):
        ws.cell(r, col).value = None
    fresh = tmp_path / "clean" / "ops.xlsx"
    fresh.parent.mkdir(exist_ok=True)
    wb.save(fresh)
    run(fresh, now)
    return [r["Customer message"] for r in rows(fresh)]


def state_entries(path: Path) -> dict[str, dict]:
    ws = openpyxl.load_workbook(path)[STATE_TAB]
    return {r[0]: json.loads(r[1]) for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}


def set_state(path: Path, change) -> None:
    wb = openpyxl.load_workbook(path)
    for r in wb[STATE_TAB].iter_rows(min_row=2):
        if r[0].value:
            entry = json.loads(r[1].value)
            change(r[0].value, entry)
            r[1].value = json.dumps(entry)
    wb.save(path)


def config_with_templates(tmp_path: Path, path: Path, templates: Path) -> Path:
    config = tmp_path / "sheets-automation.toml"
    config.write_text(f'backend = "workbook"\ntimezone = "Asia/Shanghai"\ndata_dir = "data"\n\n'
                      f'[messages]\ntemplates_dir = "{templates}"\n\n'
                      f'[[spreadsheets]]\nname = "client"\nworkbook = "{path}"\n')
    return config


def test_each_message_records_its_inputs_and_an_idle_run_writes_nothing(tmp_path):
    path = cases(tmp_path)
    run(path, NOW)
    entries = state_entries(path)
    assert all(len(e["~m"]) == 16 and "customer_message" in e for k, e in entries.items() if k.startswith("Cases/"))
    before = snapshot(path)
    run(path, LATER)
    assert snapshot(path) == before


@pytest.mark.parametrize("change, expect", [
    (dict(**{"Customer language": "de"}), "Guten Tag"),  # W/S messages in the customer's language
    (dict(Status="waiting_client"), None),
    (dict(**{"Order ID": "#7777"}), "#7777"),
])
def test_a_changed_input_gives_the_message_a_clean_run_writes(tmp_path, change, expect):
    path = cases(tmp_path)
    run(path, NOW)
    first = [r["Customer message"] for r in rows(path)]
    edit(path, 1, **change)
    run(path, LATER)
    now = [r["Customer message"] for r in rows(path)]
    assert now == clean_run_messages(tmp_path, path, LATER)
    assert now[0] != first[0] and now[1] == first[1]
    if expect:
        assert expect in now[0]


def test_an_input_changed_and_changed_back_gives_the_first_message_again(tmp_path):
    path = cases(tmp_path)
    run(path, NOW)
    run(path, "2025-03-06T10:10+08:00")  # the scheduler's next slot, nothing changed
    first = rows(path)[0]["Customer message"]
    edit(path, 1, **{"Customer language": "de"})
    run(path, LATER)
    assert rows(path)[0]["Customer message"] != first
    edit(path, 1, **{"Customer language": "en"})
    run(path, "2025-03-06T11:00+08:00")
    assert rows(path)[0]["Customer message"] == first


def test_a_template_edit_reaches_rows_whose_inputs_did_not_change(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "case_received.j2").write_text("Dear customer, case {{ case_id }} is open.\n")
    path = cases(tmp_path)
    config = config_with_templates(tmp_path, path, templates)
    run(path, NOW, config)
    assert [r["Customer message"] for r in rows(path)] == ["Dear customer, case CS-00001 is open.",
                                                           "Dear customer, case CS-00002 is open."]
    (templates / "case_received.j2").write_text("Hello, case {{ case_id }} is registered.\n")
    run(path, LATER, config)
    assert [r["Customer message"] for r in rows(path)] == ["Hello, case CS-00001 is registered.",
                                                           "Hello, case CS-00002 is registered."]


def test_messages_swapped_between_rows_go_back_to_their_rows(tmp_path):
    """A race (or a sort of one column) moved our messages: each row's recorded inputs still
    match, but its cell holds another row's text, which is never taken for this row's."""
    path = cases(tmp_path)
    run(path, NOW)
    first = [r["Customer message"] for r in rows(path)]
    edit(path, 1, **{"Customer message": first[1]})
    edit(path, 2, **{"Customer message": first[0]})
    run(path, LATER)
    assert [r["Customer message"] for r in rows(path)] == first


def test_state_from_before_the_memo_gains_it_once_without_a_visible_change(tmp_path):
    path = cases(tmp_path)
    run(path, NOW)
    set_state(path, lambda key, entry: entry.pop("~m", None))
    sheet = {k: v for k, v in snapshot(path).items() if k[0] != STATE_TAB}
    run(path, LATER)
    assert {k: v for k, v in snapshot(path).items() if k[0] != STATE_TAB} == sheet
    assert all("~m" in e for k, e in state_entries(path).items() if k.startswith("Cases/"))
    before = snapshot(path)
    run(path, "2025-03-06T11:00+08:00")
    assert snapshot(path) == before


def test_a_tampered_record_costs_a_render_never_a_wrong_message(tmp_path):
    """A person copies one row's state entry over another's: row 2 now claims row 1's
    inputs and text fingerprint, which match neither its inputs nor its cell."""
    path = cases(tmp_path)
    run(path, NOW)
    entries = state_entries(path)
    set_state(path, lambda key, entry: entry.update(entries["Cases/CS-00001"]) if key == "Cases/CS-00002" else None)
    edit(path, 1, **{"Customer language": "fr"})
    run(path, LATER)
    assert [r["Customer message"] for r in rows(path)] == clean_run_messages(tmp_path, path, LATER)


def test_a_message_typed_over_stays_until_cleared(tmp_path):
    path = cases(tmp_path)
    run(path, NOW)
    edit(path, 1, **{"Customer message": "Hi, we are on it. Anna"})
    run(path, LATER)
    assert rows(path)[0]["Customer message"] == "Hi, we are on it. Anna"
    edit(path, 1, **{"Customer message": ""})
    run(path, "2025-03-06T11:00+08:00")
    assert rows(path)[0]["Customer message"] == clean_run_messages(tmp_path, path, "2025-03-06T11:00+08:00")[0]


# --------------------------------------------------------------------------- the inputs hash itself

def _hash(**context):
    return inputs_hash("digest", "W1", "en", "Asia/Shanghai", context)


SHANGHAI_NOON = "2025-03-06 12:00"


@pytest.mark.parametrize("a, b", [
    ({"x": 1}, {"x": 1.0}),
    ({"x": 1}, {"x": True}),
    ({"x": 1}, {"x": "1"}),
    ({"x": None}, {"x": ""}),
    ({"x": None}, {"x": 0}),
    ({"x": "a"}, {"y": "a"}),
    ({"x": 0.1}, {"x": math.nextafter(0.1, 1)}),
    # the same instant in two zones reads differently in a message
    ({"x": pd.Timestamp(SHANGHAI_NOON, tz="Asia/Shanghai")},
     {"x": pd.Timestamp(SHANGHAI_NOON, tz="Asia/Shanghai").tz_convert("Asia/Hong_Kong")}),
    ({"x": pd.Timestamp(SHANGHAI_NOON, tz="Asia/Shanghai")},
     {"x": pd.Timestamp(SHANGHAI_NOON, tz="Asia/Shanghai") + pd.Timedelta(seconds=1)}),
    ({"x": datetime(2025, 3, 6)}, {"x": date(2025, 3, 6)}),
    ({"x": Decimal("1.0")}, {"x": Decimal("1.00")}),
    ({"x": pd.NaT}, {"x": None}),
    ({"x": float("nan")}, {"x": None}),  # a blank amount
    ({"x": float("nan")}, {"x": float("inf")}),
    ({"x": float("inf")}, {"x": float("-inf")}),
])
def test_inputs_that_differ_hash_differently(a, b):
    assert _hash(**a) is not None and _hash(**b) is not None
    assert _hash(**a) != _hash(**b)


def test_the_same_inputs_hash_the_same_whatever_their_order():
    stamp = pd.Timestamp(SHANGHAI_NOON, tz="Asia/Shanghai")
    assert _hash(a="x", b=2, c=stamp, d=None) == _hash(d=None, c=pd.Timestamp(stamp.value, tz="Asia/Shanghai"), b=2, a="x")


class _Text(str):
    pass


@pytest.mark.parametrize("value", [_Text("a"), object(), 2 ** 70, "\udc80", [object()], ["a"], {"a": 1}, ("a",)])
def test_a_value_without_a_stable_text_means_always_render(value):
    assert _hash(x=value) is None
