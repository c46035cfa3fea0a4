"""A generated ID never names something else already: not a case other tabs still refer to,
not a case people deleted (found by the race convergence count, bench/race_convergence.py:
a new case that took the ID a Reships row pointed at inherited that reship and its
customer's language)."""
from __future__ import annotations

from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.runner import run_once
from tests.fakes.sheets_api import FakeSheetsAPI
from tests.test_google_end_to_end import CONFIG, NOW, SHEET, tabs_with

SID = "sheet-a"
JOBS = ["tracking", "rules", "messages"]


def _run(api: FakeSheetsAPI):
    return run_once(open_google_backend(SID, session=api.session(), sleep=lambda s: None), CONFIG, SHEET, JOBS, NOW)


def _sheet(cases: int) -> tuple[FakeSheetsAPI, dict[str, list[list]]]:
    tabs = tabs_with(cases)
    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, "Client A", "Asia/Shanghai", tabs, row_count=cases + 40)
    return api, tabs


def _ids(api: FakeSheetsAPI) -> list[str]:
    grid = api.grid(SID, "Cases")
    col = grid[0].index("Case ID")
    return [str(r[col]) for r in grid[1:] if len(r) > col and r[col]]


def _new_case(api: FakeSheetsAPI, row: int, order: str) -> None:
    grid = api.grid(SID, "Cases")
    for header, value in (("Order ID", order), ("Opened at", "2025-03-09 09:00"), ("Store", "Kaiyo Outdoor"),
                          ("Issue type", "not_received"), ("Status", "new")):
        api.human_set("Cases", f"{chr(65 + grid[0].index(header))}{row}", value)


def _highest_reference(tabs: dict[str, list[list]]) -> int:
    """The highest case number the other tabs' Case ID columns name."""
    out = 0
    for title, rows in tabs.items():
        if title != "Cases" and rows and "Case ID" in rows[0]:
            col = rows[0].index("Case ID")
            out = max([out] + [int(r[col][3:]) for r in rows[1:] if str(r[col]).startswith("CS-")])
    return out


def test_a_new_case_skips_an_id_another_tab_still_refers_to():
    api, tabs = _sheet(14)  # CS-00001 … CS-00014; the sample rows of the other tabs name later cases
    referenced = _highest_reference(tabs)
    assert referenced > 14
    _new_case(api, 16, "#90001")
    _run(api)
    assert _ids(api)[-1] == f"CS-{referenced + 1:05d}"  # was CS-00015 (the highest in Cases + 1)


def test_a_new_case_never_takes_the_id_of_a_case_people_deleted():
    api, tabs = _sheet(250)
    assert _highest_reference(tabs) < 250  # so only the state tab remembers CS-00250
    _run(api)
    api.human_delete_rows("Cases", 251)  # CS-00250, deleted by a person
    _new_case(api, 251, "#90002")
    _run(api)
    ids = _ids(api)
    assert "CS-00250" not in ids and ids[-1] == "CS-00251"
