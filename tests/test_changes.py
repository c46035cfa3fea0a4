"""Run only when something changed (#12 item 4): the skip decision, the next-change instant,
and the single-process scheduler skipping unchanged sheets at zero Sheets calls."""
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from openpyxl import load_workbook

from sheets_automation.audit import AuditStore, SheetState
from sheets_automation.changes import skip_reason, skippable
from sheets_automation.config import workbook_config
from sheets_automation.nextchange import next_change_at, stamps_in
from sheets_automation.writeplan import TabOutput
from sheets_automation.scheduler import SheetScheduler
from tests.test_scheduler import NOW, FakeClock, small_workbook

UTC = timezone.utc
T = datetime(2025, 3, 9, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)
SIX = timedelta(hours=6)


@pytest.mark.parametrize("state, version, now, expected", [
    (SheetState(), "v1", T, None),  # never ran: run
    (SheetState("v1", T, T + H, T), "", T, None),  # version unknown (check failed): run
    (SheetState("v1", T, T + H, T), "v2", T + 0.5 * H, None),  # changed: run
    (SheetState("v1", T, T + H, T), "v1", T + 0.5 * H, "skip"),  # unchanged, before the next change
    (SheetState("v1", T, T + H, T), "v1", T + H, None),  # the next change has come
    (SheetState("v1", T, None, T), "v1", T + 5 * H, "skip"),  # nothing time-driven pending
    (SheetState("v1", T, None, T), "v1", T + SIX, None),  # safety net: a full read every max_skip_hours
    (SheetState("v1", T, None, None), "v1", T + H, None),  # never read in full
])
def test_skip_reason(state, version, now, expected):
    reason = skip_reason(state, version, now, SIX)
    assert (reason and "skip") == expected or (reason is None and expected is None)


def test_only_rules_and_messages_runs_are_skippable():
    assert skippable(("rules", "messages")) and skippable(("rules",))
    assert not skippable(("tracking",)) and not skippable(("rules", "report")) and not skippable(())


def test_next_change_is_the_earliest_deadline_or_due_soon_threshold_after_now():
    tz = "Asia/Shanghai"
    now = datetime(2025, 3, 9, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    values = pd.DataFrame({"due_by": ["2025-03-10 20:00", "", None, "2025-03-09 12:00"],
                           "window": ["W2 until 2025-03-11 00:00", "closed", "", ""]})
    out = {"cases": [TabOutput(values=values)]}
    got = next_change_at(out, {}, now, tz, {"due_soon_hours": 24})
    # 2025-03-10 20:00 +08 minus 24 h = 2025-03-09 20:00 +08 = 12:00 UTC: the earliest after now
    assert got == datetime(2025, 3, 9, 12, 0, tzinfo=UTC)
    assert next_change_at({"cases": [TabOutput(values=pd.DataFrame({"due_by": ["2025-03-01 10:00"]}))]}, {}, now, tz,
                          {}) is None  # everything already passed: nothing pending
    utc = pd.Timestamp(0).tz_localize("UTC").tzinfo
    assert stamps_in(["2025-13-40 99:99", 5, None], utc) == []
    assert stamps_in(["due 2025-03-09", "10:00 sharp"], utc) == []  # a date and a time from two cells are no stamp
    assert stamps_in(["2025-03-09 10:00", "2025-03-08 09:00 and 2025-03-09 10:00"], utc) == [
        datetime(2025, 3, 9, 10, 0, tzinfo=utc), datetime(2025, 3, 8, 9, 0, tzinfo=utc)]  # each once, in order
    assert stamps_in(["at 12:00, then 2025-03-09 10:00:30 (x:2025-03-10 11:00)2025-03-11 12:00"], utc) == [
        datetime(2025, 3, 9, 10, 0, tzinfo=utc), datetime(2025, 3, 10, 11, 0, tzinfo=utc),
        datetime(2025, 3, 11, 12, 0, tzinfo=utc)]  # stamps among other colons, back to back
    assert stamps_in(["2025-03-09 10:0012-01-01 10:00"], utc) == [
        datetime(2025, 3, 9, 10, 0, tzinfo=utc)]  # a second stamp overlapping the first is not one


def rules_runs(path):
    store = AuditStore.in_dir(workbook_config(path).data_dir)
    return [r for r in reversed(store.runs()) if r.entry == "rules"]


def test_the_scheduler_skips_an_unchanged_workbook_and_runs_after_an_edit(tmp_path):
    path = small_workbook(tmp_path / "ops.xlsx")

    def once(at):  # the scheduler process as `scheduler --once` runs it, on a test clock
        SheetScheduler(workbook_config(path), clock=FakeClock(at)).once(at)

    once(NOW)
    once(NOW + timedelta(minutes=10))  # our own write changed the file: read once more, it settles
    state = AuditStore.in_dir(workbook_config(path).data_dir).sheet_state("ops", "rules")
    assert state.next_change is None or state.next_change > NOW + timedelta(minutes=30)
    mtime = path.stat().st_mtime_ns
    once(NOW + timedelta(minutes=20))
    assert [r.status for r in rules_runs(path)] == ["ok", "ok", "unchanged"]
    assert rules_runs(path)[-1].api_calls == 0 and path.stat().st_mtime_ns == mtime
    wb = load_workbook(path)  # a person edits a cell
    ws = wb["Cases"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("Support notes") + 1, value="called the customer")
    wb.save(path)
    once(NOW + timedelta(minutes=30))
    assert [r.status for r in rules_runs(path)][-1] == "ok"


def test_google_idle_sheet_costs_one_drive_call_and_no_sheets_call_and_a_failed_check_reads_in_full(tmp_path):
    from sheets_automation.backends.gsheets import open_google_backend
    from sheets_automation.backends.gsheets_drive import version_checker
    from sheets_automation.config import Config, SpreadsheetConfig
    from tests.fakes.drive_api import FakeDrive
    from tests.fakes.sheets_api import FakeSheetsAPI
    from tests.test_google_end_to_end import tabs_with

    api, drive = FakeSheetsAPI(), FakeDrive()
    api.add_spreadsheet("sheet-a", "Client A", "Asia/Shanghai", tabs_with(6), row_count=50)
    session = api.session()
    session.mount("https://www.googleapis.com/", drive)
    api.between_calls = lambda _api, n: drive.bump("sheet-a") if _api.calls[n][2] == "write" else None
    sheet = SpreadsheetConfig(name="client-a", spreadsheet_id="sheet-a", timezone="Asia/Shanghai")
    config = Config(backend="google", data_dir=tmp_path / "data", spreadsheets=(sheet,),
                    scheduler={"tracking_every_minutes": 0, "cashback_check_at": "", "report_at": ""})

    def once(minutes):
        at = NOW + timedelta(minutes=minutes)
        SheetScheduler(config, clock=FakeClock(at), versions=lambda c, s: version_checker("sheet-a", session),
                       open_backend=lambda c, s: open_google_backend("sheet-a", session=session,
                                                                     sleep=lambda s: None)).once(at)
        return AuditStore.for_config(config).runs(limit=1)[0]

    for minutes in (0, 10, 20, 30):  # first runs write; each write moves the version, so the next one reads
        once(minutes)
    before, checks = len(api.calls), drive.calls
    assert once(40).status == "unchanged"
    assert len(api.calls) == before and drive.calls == checks + 1  # zero Sheets calls, one Drive call
    drive.status = 403  # the Drive API switched off: never a skip
    assert once(50).status == "ok" and len(api.calls) > before


def test_a_changed_policy_in_the_config_is_applied_at_the_next_slot(tmp_path):
    from dataclasses import replace

    path = small_workbook(tmp_path / "ops.xlsx")
    config = workbook_config(path)
    for minutes in (0, 10, 20):
        SheetScheduler(config, clock=FakeClock(NOW + timedelta(minutes=minutes))).once(NOW + timedelta(minutes=minutes))
    assert rules_runs(path)[-1].status == "unchanged"
    longer = replace(config, policy={"w2_days": 14})
    at = NOW + timedelta(minutes=30)
    SheetScheduler(longer, clock=FakeClock(at)).once(at)
    assert rules_runs(path)[-1].status == "ok"
