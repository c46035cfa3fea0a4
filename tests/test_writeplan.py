"""Only changed, owned, untouched cells are written (sheet-layout.md "Hand edits")."""
import pandas as pd

from sheets_automation.backends.base import STATE_TAB, Grid, WritePlan
from sheets_automation.schema import shipped_schemas
from sheets_automation.state import StateTab, encode, fingerprint
from sheets_automation.table import typed_tab
from sheets_automation.writeplan import TabOutput, plan_tab

SCHEMA = shipped_schemas()["reships"]
HEAD = tuple(SCHEMA.headers)
COL = {c.field: i for i, c in enumerate(SCHEMA.columns)}


def row(**values):
    cells = [""] * len(HEAD)
    for k, v in values.items():
        cells[COL[k]] = v
    return tuple(cells)


def run(rows, desired: dict[int, dict[str, str]], state_rows=None, colours=None):
    typed = typed_tab(Grid("Reships", (HEAD, *rows)), SCHEMA, "Asia/Shanghai")
    values = pd.DataFrame.from_dict(desired, orient="index")
    state = StateTab.from_grid(Grid(STATE_TAB, (("Row key", "Fingerprints"), *state_rows))) if state_rows is not None else StateTab(False)
    plan = WritePlan()
    kept = plan_tab(typed, TabOutput(values=values, colours=pd.Series(colours) if colours else None), state, plan, "2025-03-01 10:00")
    return plan, kept


def cells(plan, tab="Reships"):
    return [(w.ref.key or w.ref.row, w.header, w.old, w.new) for w in plan.cells if w.tab == tab]


def test_first_write_fills_bot_cells_and_checked_at_and_records_fingerprints():
    plan, kept = run([row(reship_id="RS-00001", original_order_id="#1")], {2: {"alert": "Overdue · S11 no tracking"}},
                     colours={2: "red"})
    assert cells(plan) == [("RS-00001", "Alert", "", "Overdue · S11 no tracking"),
                           ("RS-00001", "Checked at", "", "2025-03-01 10:00")]
    assert plan.cells[0].colour == "red"
    state = [a for a in plan.appends if a.tab == STATE_TAB]
    assert state and dict(state[0].values)["Row key"] == "Reships/RS-00001"
    assert plan.new_tabs and plan.new_tabs[0].hidden and kept == 0


def test_nothing_changed_means_nothing_written():
    fps = encode({"alert": fingerprint("Overdue · S11"), "checked_at": fingerprint("2025-02-28 09:00")})
    plan, _ = run([row(reship_id="RS-00001", original_order_id="#1", alert="Overdue · S11", checked_at="2025-02-28 09:00")],
                  {2: {"alert": "Overdue · S11"}}, state_rows=[("Reships/RS-00001", fps)])
    assert not plan


def test_a_hand_edited_cell_is_left_alone_until_cleared():
    fps = encode({"alert": fingerprint("Overdue · S11")})
    edited = row(reship_id="RS-00001", original_order_id="#1", alert="Done · called the carrier")
    plan, kept = run([edited], {2: {"alert": "Overdue · S11 again"}}, state_rows=[("Reships/RS-00001", fps)])
    assert cells(plan) == [] and kept == 1
    cleared = row(reship_id="RS-00001", original_order_id="#1", alert="")
    plan, kept = run([cleared], {2: {"alert": "Overdue · S11 again"}}, state_rows=[("Reships/RS-00001", fps)])
    assert ("RS-00001", "Alert", "", "Overdue · S11 again") in cells(plan) and kept == 0


def test_our_own_previous_value_is_updated():
    fps = encode({"alert": fingerprint("Due soon · S11")})
    plan, _ = run([row(reship_id="RS-00001", original_order_id="#1", alert="Due soon · S11")],
                  {2: {"alert": "Overdue · S11"}}, state_rows=[("Reships/RS-00001", fps)])
    assert ("RS-00001", "Alert", "Due soon · S11", "Overdue · S11") in cells(plan)
    update = [w for w in plan.cells if w.tab == STATE_TAB]
    assert update and fingerprint("Overdue · S11") in update[0].new


def test_text_in_a_bot_cell_without_a_fingerprint_is_treated_as_a_persons():
    plan, kept = run([row(reship_id="RS-00001", original_order_id="#1", alert="my own note")], {2: {"alert": "Overdue · S11"}})
    assert cells(plan) == [] and kept == 1


def test_fill_if_blank_never_overwrites():
    plan, _ = run([row(reship_id="RS-00001", original_order_id="#1", cost_bearer="client"),
                   row(reship_id="RS-00002", original_order_id="#2")],
                  {2: {"cost_bearer": "carrier"}, 3: {"cost_bearer": "carrier"}})
    assert [c for c in cells(plan) if c[1] == "Cost bearer"] == [("RS-00002", "Cost bearer", "", "carrier")]


def test_blank_keys_get_the_next_id_and_rows_are_found_by_anchor():
    plan, _ = run([row(reship_id="RS-00007", original_order_id="#1"), row(original_order_id="#2"), row(original_order_id="#3")], {})
    new_ids = [(c[0], c[3]) for c in cells(plan) if c[1] == "Reship ID"]
    assert new_ids == [(3, "RS-00008"), (4, "RS-00009")]
    ref = next(w.ref for w in plan.cells if w.new == "RS-00008")
    assert ref.key == "" and ("Original order ID", "#2") in ref.anchor


def test_none_means_no_opinion():
    plan, _ = run([row(reship_id="RS-00001", original_order_id="#1", alert="x")], {2: {"alert": None}})
    assert not plan


def test_a_row_the_automation_stamped_but_the_state_tab_forgot_is_rebuilt():
    """Issue #13: the hidden tab deleted (or data copied to a new sheet). A row with Checked at
    was processed by the automation: its bot cells are rebuilt, and the count is reported."""
    stamped = row(reship_id="RS-00001", original_order_id="#1", alert="Due soon · S11", checked_at="2025-02-28 09:00")
    for state_rows in (None, [("Reships/RS-00099", encode({"alert": fingerprint("x")}))]):
        typed = typed_tab(Grid("Reships", (HEAD, stamped)), SCHEMA, "Asia/Shanghai")
        state = (StateTab.from_grid(Grid(STATE_TAB, (("Row key", "Fingerprints"), *state_rows)))
                 if state_rows is not None else StateTab(False))
        plan = WritePlan()
        kept = plan_tab(typed, TabOutput(values=pd.DataFrame.from_dict({2: {"alert": "Overdue · S11"}}, orient="index")),
                        state, plan, "2025-03-01 10:00")
        assert ("RS-00001", "Alert", "Due soon · S11", "Overdue · S11") in cells(plan) and kept == 0
        assert state.rebuilt == 1


def test_a_bot_value_displaced_onto_another_row_is_not_taken_for_a_hand_edit():
    """Issue #11 self-healing: row 1's message landed on row 2 (a race moved it); the state
    tab recorded it for row 1, so on row 2 it is ours to correct, not a person's."""
    mine, theirs = "Hello, your parcel is on its way", "您好，您的包裹已丢失"
    state_rows = [("Reships/RS-00001", encode({"alert": fingerprint(mine)})),
                  ("Reships/RS-00002", encode({"alert": fingerprint(theirs)}))]
    rows = [row(reship_id="RS-00001", original_order_id="#1", alert=mine),
            row(reship_id="RS-00002", original_order_id="#2", alert=mine)]
    plan, kept = run(rows, {2: {"alert": mine}, 3: {"alert": theirs}}, state_rows=state_rows)
    assert ("RS-00002", "Alert", mine, theirs) in cells(plan) and kept == 0
    typed_by_hand = [rows[0], row(reship_id="RS-00002", original_order_id="#2", alert="called, fine")]
    plan, kept = run(typed_by_hand, {2: {"alert": mine}, 3: {"alert": theirs}}, state_rows=state_rows)
    assert cells(plan) == [] and kept == 1


def test_a_value_equal_to_ours_refreshes_a_stale_fingerprint():
    """A run cut off between its values write and its state write: the cell holds what we
    computed but the fingerprint is the previous one. It is adopted, so the cell keeps updating."""
    state_rows = [("Reships/RS-00001", encode({"alert": fingerprint("Due soon · S11")}))]
    plan, _ = run([row(reship_id="RS-00001", original_order_id="#1", alert="Overdue · S11")],
                  {2: {"alert": "Overdue · S11"}}, state_rows=state_rows)
    update = [w for w in plan.cells if w.tab == STATE_TAB]
    assert cells(plan) == [] and update and fingerprint("Overdue · S11") in update[0].new
