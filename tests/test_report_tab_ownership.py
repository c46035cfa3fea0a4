"""A team's own ``Weekly report`` / ``周报`` tab is never overwritten (issue #13): the report goes
only to a tab the automation created (marked in the state tab), else to a free name, said
in a note. Driven through the CLI (workbook) and the fake Sheets API (Google)."""
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from sheets_automation.backends.base import STATE_TAB
from sheets_automation.cli import main
from sheets_automation.report.layout import TITLE
from tests.test_report_backends import ChartingSheetsAPI, google_run, google_tabs
from tests.test_scheduler import NOW, small_workbook

TEAM_ROWS = [["Our own weekly notes", "owner: Mia"], ["Week 10", "3 refunds, call the supplier"], ["Week 11", "ok"]]


def cli_report(path, now):
    return main(["run", "report", "--workbook", str(path), "--now", now.isoformat(), "-q"])


@pytest.mark.parametrize("title", ["Weekly report", "周报"])
def test_workbook_team_tab_is_kept_and_the_report_goes_to_a_free_name(tmp_path, capsys, title):
    path = small_workbook(tmp_path / "ops.xlsx")
    wb = load_workbook(path)
    ws = wb["Weekly report"]
    ws.title = title
    for row in TEAM_ROWS:
        ws.append(row)
    wb.save(path)
    assert cli_report(path, NOW) == 0
    err = capsys.readouterr().err
    mine = f"{title} (automation)"
    assert f"note: report: tab {title!r} holds your team's own content" in err and repr(mine) in err
    wb = load_workbook(path)
    assert [[c.value for c in r] for r in wb[title].iter_rows()] == TEAM_ROWS
    assert wb[mine]["A1"].value == TITLE and wb[mine]["A4"].value == "Week starting"
    marks = [r[0].value for r in wb[STATE_TAB].iter_rows(min_row=2)]
    assert f"report/{mine}" in marks

    assert cli_report(path, NOW + timedelta(days=7)) == 0  # next week: the same tab again, no third one
    assert "holds your team's own content" not in capsys.readouterr().err
    wb = load_workbook(path)
    assert [[c.value for c in r] for r in wb[title].iter_rows()] == TEAM_ROWS
    assert [t for t in wb.sheetnames if "(automation" in t] == [mine]
    assert wb[mine]["B2"].value.startswith((NOW.date() - timedelta(days=NOW.weekday())).isoformat())


def test_workbook_report_tab_the_automation_created_is_still_rewritten(tmp_path, capsys):
    path = small_workbook(tmp_path / "ops.xlsx")  # `init` made an empty Weekly report tab
    assert cli_report(path, NOW) == 0
    assert "team's own" not in capsys.readouterr().err
    wb = load_workbook(path)
    assert wb["Weekly report"]["A1"].value == TITLE and not [t for t in wb.sheetnames if "(automation" in t]
    assert "report/Weekly report" in [r[0].value for r in wb[STATE_TAB].iter_rows(min_row=2)]
    wb["Weekly report"]["A1"] = "renamed by a colleague"  # marked: still ours, rewritten
    wb.save(path)
    assert cli_report(path, NOW + timedelta(days=7)) == 0
    assert load_workbook(path)["Weekly report"]["A1"].value == TITLE


def test_google_team_tab_is_kept_and_the_report_goes_to_a_free_name():
    api = ChartingSheetsAPI()
    tabs = google_tabs()
    tabs["周报"] = [list(r) for r in TEAM_ROWS]
    del tabs["Weekly report"]
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", tabs)
    result = google_run(api, NOW)
    assert any("'周报' holds your team's own content" in n for n in result.notes)
    assert api.grid("sheet-a", "周报") == TEAM_ROWS
    assert api.grid("sheet-a", "周报 (automation)")[0][0] == TITLE
    assert any(r and r[0] == "report/周报 (automation)" for r in api.grid("sheet-a", STATE_TAB))
    again = google_run(api, NOW + timedelta(days=7))
    assert again.applied is not None and not again.notes and api.grid("sheet-a", "周报") == TEAM_ROWS
