"""#12, cost per edited sheet on Google, driven through the scheduler as it runs in production
(the fake Sheets API and a fake Drive ``files.get`` behind real gspread and requests):

* a run's read is one ``values:batchGet`` when the tab layout kept from an earlier run is
  younger than ``max_skip_hours`` (no ``spreadsheets.get``);
* a write proven settled (the verification read, taken after the Drive version was asked,
  shows exactly what was read plus what was written) needs no follow-up read: the next
  slot is skipped at zero Sheets calls;
* a person's edit at any moment of the write is never taken for settled: the next slot
  reads again and the rules see the edit;
* a kept layout gone stale (a tab deleted, a tab made again) costs one more call, not an
  error.
"""
from datetime import timedelta
from typing import Callable

import pytest

from sheets_automation.audit import AuditStore
from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.backends.gsheets_drive import version_checker
from sheets_automation.config import Config, SpreadsheetConfig
from sheets_automation.scheduler import SheetScheduler
from tests.fakes.drive_api import FakeDrive
from tests.fakes.sheets_api import FakeSheetsAPI, col_letters
from tests.test_google_end_to_end import tabs_with
from tests.test_scheduler import NOW, FakeClock

SID = "sheet-a"


class Client:
    """One client sheet on the fake APIs, and the scheduler serving it every 10 minutes."""

    def __init__(self, tmp_path, max_skip_hours: int = 6):
        self.api, self.drive = FakeSheetsAPI(), FakeDrive()
        self.api.add_spreadsheet(SID, "Client A", "Asia/Shanghai", tabs_with(12), row_count=60)
        self.session = self.api.session()
        self.session.mount("https://www.googleapis.com/", self.drive)
        self.edits: dict[int, Callable[[], None]] = {}  # call index -> a person's edit played before that call
        self.api.between_calls = self._between
        sheet = SpreadsheetConfig(name="client-a", spreadsheet_id=SID, timezone="Asia/Shanghai")
        self.config = Config(backend="google", data_dir=tmp_path / "data", spreadsheets=(sheet,),
                             scheduler={"tracking_every_minutes": 0, "cashback_check_at": "", "report_at": "",
                                        "max_skip_hours": max_skip_hours})
        self.minutes = 0

    def _between(self, api, n: int) -> None:
        if api.calls[n][2] == "write":
            self.drive.bump(SID)  # every change moves the Drive version, ours included
        if n in self.edits:
            self.edits.pop(n)()

    def person(self, edit) -> None:
        edit()
        self.drive.bump(SID)

    def slot(self, minutes: int = 10):
        """The next rules slot; returns (run record, Sheets calls it made)."""
        self.minutes += minutes
        at = NOW + timedelta(minutes=self.minutes)
        before = len(self.api.calls)
        SheetScheduler(self.config, clock=FakeClock(at), versions=lambda c, s: version_checker(SID, self.session),
                       open_backend=lambda c, s: open_google_backend(SID, session=self.session,
                                                                     sleep=lambda s: None)).once(at)
        return AuditStore.for_config(self.config).runs(limit=1)[0], self.api.calls[before:]

    def settle(self) -> None:
        for _ in range(6):
            record, _calls = self.slot()
            if record.status == "unchanged":
                return
        raise AssertionError("the sheet never settled")

    def cell(self, tab: str, header: str, row: int) -> str:
        grid = self.api.grid(SID, tab)
        value = grid[row - 1][grid[0].index(header)] if len(grid[row - 1]) > grid[0].index(header) else ""
        return "" if value is None else str(value)

    def a1(self, tab: str, header: str, row: int) -> str:
        return f"{col_letters(self.api.grid(SID, tab)[0].index(header) + 1)}{row}"


def metadata_reads(calls) -> int:
    return sum(1 for method, path, _kind in calls if method == "GET" and path.endswith(f"/spreadsheets/{SID}"))


def test_after_an_edit_one_run_reads_three_times_and_the_next_slot_costs_nothing(tmp_path):
    client = Client(tmp_path)
    client.settle()
    before = client.cell("Cases", "Alert", 3)
    client.person(lambda: client.api.human_set("Cases", client.a1("Cases", "Status", 3), "resolved"))
    record, calls = client.slot()
    assert record.status == "ok" and record.written > 0 and client.cell("Cases", "Alert", 3) != before
    # read (values alone, the layout is kept), re-read, verification read; no spreadsheets.get
    assert [kind for _m, _p, kind in calls].count("read") == 3 and metadata_reads(calls) == 0
    assert record.api_calls == len(calls) == 4  # what `status` shows: every Sheets call, reads included
    record, calls = client.slot()
    assert record.status == "unchanged" and calls == []  # our own write was proven settled


def edit_status(client, row: int):
    return lambda: client.api.human_set("Cases", client.a1("Cases", "Status", row), "resolved")


@pytest.mark.parametrize("moment", ["before the re-read", "before the write", "before the verification read"])
def test_a_person_editing_at_any_moment_of_a_write_is_seen_by_the_next_slot(tmp_path, moment):
    client = Client(tmp_path)
    client.settle()
    client.person(edit_status(client, 2))  # an edit the rules answer with a write
    n = len(client.api.calls)
    # the run after an edit: read (n), re-read (n+1), values write (n+2), verification read (n+3)
    at = {"before the re-read": n + 1, "before the write": n + 2, "before the verification read": n + 3}[moment]
    alert = client.cell("Cases", "Alert", 4)

    def edit():
        edit_status(client, 4)()
        client.drive.bump(SID)

    client.edits[at] = edit
    record, _calls = client.slot()
    assert record.status == "ok" and not client.edits  # the edit was played
    record, calls = client.slot()
    assert record.status == "ok" and calls  # not skipped: the sheet is read again
    assert client.cell("Cases", "Status", 4) == "resolved"  # the person's value stands
    assert client.cell("Cases", "Alert", 4) != alert  # and the rules saw it
    client.settle()


def test_a_kept_layout_is_used_only_while_younger_than_max_skip_hours(tmp_path):
    client = Client(tmp_path, max_skip_hours=1)
    client.settle()
    client.person(lambda: client.api.human_set("Cases", client.a1("Cases", "Support notes", 2), "called"))
    _record, calls = client.slot()
    assert metadata_reads(calls) == 0
    _record, calls = client.slot(61)  # the safety net: read in full, tabs learnt again
    assert metadata_reads(calls) == 1 and calls


def test_a_tab_deleted_since_the_layout_was_kept_costs_one_more_call_and_comes_back(tmp_path):
    client = Client(tmp_path)
    client.settle()
    client.person(lambda: client.api.human_delete_tab("_automation"))
    record, calls = client.slot()
    assert record.status == "ok" and metadata_reads(calls) >= 1
    assert "_automation" in [s.title for s in client.api.spreadsheets[SID].sheets]
    client.settle()


def test_a_stale_sheet_id_in_a_kept_layout_is_learnt_again_at_the_layout_write():
    from sheets_automation.backends.base import RowAppend, WritePlan
    from sheets_automation.backends.gsheets_meta import layout_from_text, layout_text

    api = FakeSheetsAPI()
    api.add_spreadsheet(SID, "Client A", "Asia/Shanghai", tabs_with(12), row_count=60)
    backend = open_google_backend(SID, session=api.session(), sleep=lambda s: None)
    rows = len(backend.read().grids["Cases"].rows)
    meta, tz, title = layout_from_text(backend.layout())
    # kept when Cases was another tab of the same title (deleted and made again since), and full
    meta["Cases"].sheet_id, meta["Cases"].size = 999, (rows, meta["Cases"].size[1])
    later = open_google_backend(SID, session=api.session(), sleep=lambda s: None)
    assert later.use_layout(layout_text(meta, tz, title))
    later.read()
    assert metadata_reads(api.calls[-1:]) == 0  # the kept layout served the read
    result = later.apply(WritePlan(appends=[RowAppend("Cases", (("Case ID", "CS-09999"), ("Order ID", "#9999")))]))
    assert result.appended == 1 and not result.skipped
    grid = api.grid(SID, "Cases")
    assert [grid[rows][grid[0].index(h)] for h in ("Case ID", "Order ID")] == ["CS-09999", "#9999"]
    assert metadata_reads(api.calls) == 2  # the first read, and once more when Google named the stale id
