"""Rows by key, columns by header, people's edits win (DEVELOPERS.md non-negotiable 3)."""
from sheets_automation.backends.base import CellWrite, Grid, RowAppend, RowRef, WritePlan
from sheets_automation.backends.placement import append_rows, place

HEAD = ("Case ID", "Order ID", "Alert")


def grid(*rows):
    return {"Cases": Grid("Cases", (HEAD, *rows))}


def write(key, new, old="", row=2, anchor=()):
    return CellWrite(tab="Cases", ref=RowRef("Case ID", key, row, anchor), header="Alert", old=old, new=new)


def test_found_by_key_after_rows_were_inserted_above_and_columns_moved():
    fresh = {"Cases": Grid("Cases", (("Alert", "Order ID", "Case ID"), ("", "#9", "CS-9"), ("", "#1", "CS-1")))}
    placed = place(WritePlan(cells=[write("CS-1", "Overdue · S1")]), fresh)
    assert placed.cells == {"Cases": [(3, 1, "Overdue · S1", None)]} and not placed.skipped


def test_deleted_row_is_skipped_not_written_elsewhere():
    placed = place(WritePlan(cells=[write("CS-1", "x")]), grid(("CS-2", "#2", "")))
    assert placed.cells == {} and "deleted" in placed.skipped[0]


def test_a_person_edit_made_meanwhile_wins():
    placed = place(WritePlan(cells=[write("CS-1", "Overdue · S1", old="")]), grid(("CS-1", "#1", "handled by Lily")))
    assert placed.cells == {} and "someone edited" in placed.skipped[0]


def test_keyless_row_found_by_anchor_after_a_sort():
    anchor = (("Case ID", ""), ("Order ID", "#1"))
    fresh = grid(("CS-7", "#7", ""), ("", "#1", ""))
    placed = place(WritePlan(cells=[write("", "CS-00008", row=2, anchor=anchor)]), fresh)
    assert placed.cells == {"Cases": [(3, 3, "CS-00008", None)]}


def test_ambiguous_keyless_row_is_skipped():
    anchor = (("Case ID", ""), ("Order ID", "#1"))
    placed = place(WritePlan(cells=[write("", "x", row=9, anchor=anchor)]), grid(("", "#1", ""), ("", "#1", "")))
    assert placed.cells == {} and placed.skipped


def test_duplicated_key_is_never_guessed():
    placed = place(WritePlan(cells=[write("CS-1", "x")]), grid(("CS-1", "#1", ""), ("CS-1", "#2", "")))
    assert placed.cells == {} and "several rows" in placed.skipped[0]


def test_appends_go_below_the_last_non_empty_row():
    plan = WritePlan(appends=[RowAppend("Cases", (("Order ID", "#5"), ("Nope", "dropped"))),
                              RowAppend("Cases", (("Order ID", "#6"),))])
    cells = append_rows(plan, grid(("CS-1", "#1", ""), ("", "", "")))
    assert cells == {"Cases": [(3, 2, "#5", None), (4, 2, "#6", None)]}
