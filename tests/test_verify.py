"""backends/verify.py: repairs for writes a person's move displaced during the write (issue #11)."""
import pytest

from sheets_automation.backends.base import Grid
from sheets_automation.backends.verify import repairs

HEAD = ("Case ID", "Notes", "Alert")
FRESH = Grid("Cases", (HEAD, ("CS-1", "n1", "old1"), ("CS-2", "n2", "old2"), ("CS-3", "n3", "old3")))
WRITES = {"Cases": [(2, 3, "new1", None), (3, 3, "new2", None)]}  # Alert of CS-1 and CS-2, by position


def land(grid: Grid, cells) -> Grid:
    """``cells`` written by address into ``grid``, as the values write does."""
    rows = [list(r) for r in grid.rows]
    for r, c, v, _ in cells:
        while len(rows) < r:
            rows.append([])
        rows[r - 1] += [""] * (c - len(rows[r - 1]))
        rows[r - 1][c - 1] = v
    return Grid(grid.title, tuple(tuple(r) for r in rows))


@pytest.mark.parametrize("edit, expected", [
    ("nothing", {}),
    ("row inserted at the top", {(2, 3): "", (3, 3): "new1", (4, 3): "new2"}),
    ("column inserted before Alert", {(2, 3): "", (3, 3): "", (2, 4): "new1", (3, 4): "new2"}),
    ("rows sorted descending", {(2, 3): "old3", (3, 3): "new2", (4, 3): "new1"}),
])
def test_displaced_writes_are_put_where_key_and_header_are_now(edit, expected):
    moved = {
        "nothing": FRESH.rows,
        "row inserted at the top": (HEAD, ()) + FRESH.rows[1:],
        "column inserted before Alert": tuple(r[:2] + ("",) + r[2:] for r in FRESH.rows),
        "rows sorted descending": (HEAD,) + tuple(reversed(FRESH.rows[1:])),
    }[edit]
    after = land(Grid("Cases", moved), WRITES["Cases"])
    fix = repairs({"Cases": FRESH}, {"Cases": after}, WRITES, {"Cases": "Case ID"})
    assert {(r, c): v for r, c, v, _ in fix.cells.get("Cases", [])} == {k: v for k, v in expected.items()
                                                                          if after.cell(*k) != v}
    healed = land(after, fix.cells.get("Cases", []))
    if edit != "nothing":
        alert = healed.rows[0].index("Alert") + 1
        notes = healed.rows[0].index("Notes") + 1
        by_key = {healed.cell(r, 1): (healed.cell(r, notes), healed.cell(r, alert)) for r in range(2, len(healed.rows) + 1)
                  if healed.cell(r, 1)}
        assert by_key == {"CS-1": ("n1", "new1"), "CS-2": ("n2", "new2"), "CS-3": ("n3", "old3")}


def test_an_appended_row_that_landed_on_peoples_row_moves_below_and_their_row_comes_back():
    appended = {"Cases": [(5, 1, "CS-4", None), (5, 3, "new4", None)]}
    people_added = Grid("Cases", FRESH.rows[:2] + (("CS-9", "typed", ""),) + FRESH.rows[2:])  # row 3 inserted
    after = land(people_added, appended["Cases"])
    fix = repairs({"Cases": FRESH}, {"Cases": after}, {}, {"Cases": "Case ID"}, appended)
    healed = land(after, fix.cells["Cases"])
    assert healed.rows[4] == ("CS-3", "n3", "old3") and healed.rows[5] == ("CS-4", "", "new4")
    assert fix.displaced == 2 and fix.unresolved == []


def test_a_header_renamed_during_the_write_is_not_a_move():
    """A rename moves nothing: the values landed in their column; nothing to repair."""
    renamed = Grid("Cases", (("Case ID", "Notes", "Alert (old)"),) + FRESH.rows[1:])
    after = land(renamed, WRITES["Cases"])
    fix = repairs({"Cases": FRESH}, {"Cases": after}, WRITES, {"Cases": "Case ID"})
    assert (fix.cells, fix.displaced, fix.unresolved) == ({}, 0, [])


def test_a_deleted_row_gives_one_line_per_column_not_one_per_cell():
    deleted = Grid("Cases", (HEAD, FRESH.rows[2], FRESH.rows[3]))  # CS-1 deleted during the write
    after = land(deleted, WRITES["Cases"])
    fix = repairs({"Cases": FRESH}, {"Cases": after}, WRITES, {"Cases": "Case ID"})
    healed = land(after, fix.cells["Cases"])
    assert healed.rows[1:] == (("CS-2", "n2", "new2"), ("CS-3", "n3", "old3"))
    assert fix.unresolved == ["Cases Alert: 1 written values whose row or column moved away during the write "
                              "(deleted, renamed or no longer unique); retried next run"]
