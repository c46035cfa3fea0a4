"""The scheduler: the right entries at the right merchant times, failures contained, missed
runs made up once. Time comes from an injected clock whose ``sleep`` moves it forward, so
a simulated day takes well under a second plus the real runs on a small workbook."""
import io
import json
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sheets_automation import logs
from sheets_automation.audit import AuditStore, RunRecord
from sheets_automation.backends.base import RowAppend, WritePlan
from sheets_automation.backends.workbook import WorkbookBackend
from sheets_automation.config import Config, SpreadsheetConfig, config_from_dict
from sheets_automation.demo import sample_rows
from sheets_automation.errors import ConfigError
from sheets_automation.scheduler import SheetScheduler
from sheets_automation.timetable import Trigger, schedule_settings_from_mapping
from sheets_automation.schema import SHIPPED, shipped_schemas

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
NOW = datetime(2025, 3, 9, 10, 0, tzinfo=SH)  # a Sunday
ONLY = {"tracking_every_minutes": 0, "rules_every_minutes": 0, "cashback_check_at": "", "report_at": ""}


def small_workbook(path: Path, now: datetime = NOW, cases: int = 12) -> Path:
    """A workbook with every tab and a dozen realistic rows per tab (from the demo's generator)."""
    backend = WorkbookBackend(path)
    backend.init_layout([shipped_schemas()[s] for s in SHIPPED])
    rows = sample_rows(now)
    plan = WritePlan()
    for stem, n in (("cases", cases), ("logistics", cases), ("cashback", 3), ("reships", 3)):
        schema = shipped_schemas()[stem]
        for r in rows[stem][:n]:
            plan.appends.append(RowAppend(schema.tab, tuple((c.header, r.get(c.field, "")) for c in schema.columns)))
    backend.apply(plan)
    return path


class FakeClock:
    """The :class:`~sheets_automation.scheduler.Clock` for tests: ``sleep`` advances ``now``."""

    def __init__(self, start: datetime):
        self.t = start

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def workbook_master(tmp_path_factory) -> Path:
    return small_workbook(tmp_path_factory.mktemp("small") / "master.xlsx")


@pytest.fixture
def workbook(workbook_master, tmp_path) -> Path:
    target = tmp_path / "shop.xlsx"
    target.write_bytes(workbook_master.read_bytes())
    return target


def config_for(tmp_path, *sheets: SpreadsheetConfig, **top) -> Config:
    return Config(backend="workbook", data_dir=tmp_path / "data", spreadsheets=sheets, **top)


def runs(config) -> list[tuple[str, str, str, str]]:
    """(sheet, entry, status, started in the sheet's merchant time) oldest first."""
    out = []
    for r in reversed(AuditStore.in_dir(config.data_dir).runs()):
        tz = ZoneInfo(config.spreadsheet(r.sheet).timezone or config.timezone)
        out.append((r.sheet, r.entry, r.status, r.started.astimezone(tz).strftime("%a %H:%M")))
    return out


# --------------------------------------------------------------------------- when (pure)

def at(text: str, tz=SH) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


@pytest.mark.parametrize("trigger, now, latest, following", [
    (Trigger(every_minutes=10), at("2025-03-10 09:03"), at("2025-03-10 09:00"), at("2025-03-10 09:10")),
    (Trigger(every_minutes=10), at("2025-03-10 09:10"), at("2025-03-10 09:10"), at("2025-03-10 09:20")),
    (Trigger(every_minutes=10), at("2025-03-10 23:59:59"), at("2025-03-10 23:50"), at("2025-03-11 00:00")),
    # hourly on the merchant's wall clock, even where the offset is not whole hours
    (Trigger(every_minutes=60), at("2025-03-10 10:45", ZoneInfo("Asia/Kolkata")),
     at("2025-03-10 10:00", ZoneInfo("Asia/Kolkata")), at("2025-03-10 11:00", ZoneInfo("Asia/Kolkata"))),
    # the 18:00 cashback check (S5 end of business), just before and exactly at
    (Trigger(at=time(18)), at("2025-03-10 17:59:59"), at("2025-03-09 18:00"), at("2025-03-10 18:00")),
    (Trigger(at=time(18)), at("2025-03-10 18:00"), at("2025-03-10 18:00"), at("2025-03-11 18:00")),
    # the weekly report, Monday 09:00
    (Trigger(at=time(9), weekday=0), at("2025-03-10 08:59"), at("2025-03-03 09:00"), at("2025-03-10 09:00")),
    (Trigger(at=time(9), weekday=0), at("2025-03-10 09:00"), at("2025-03-10 09:00"), at("2025-03-17 09:00")),
    (Trigger(at=time(9), weekday=0), at("2025-03-16 23:00"), at("2025-03-10 09:00"), at("2025-03-17 09:00")),
    # New York moves to summer time on Sunday 2025-03-09: 09:00 stays 09:00 on the wall clock
    (Trigger(at=time(9)), at("2025-03-08 10:00", NY), at("2025-03-08 09:00", NY), at("2025-03-09 09:00", NY)),
])
def test_trigger_slots_are_in_merchant_time(trigger, now, latest, following):
    tz = now.tzinfo
    assert trigger.latest(now, tz) == latest
    assert trigger.next_after(now, tz) == following
    assert trigger.next_after(now.astimezone(ZoneInfo("UTC")), tz) == following  # whatever zone ``now`` is in


def test_dst_day_slot_is_at_the_right_utc_instant():
    slot = Trigger(at=time(9)).next_after(at("2025-03-08 10:00", NY), NY)
    assert slot.astimezone(ZoneInfo("UTC")).hour == 13  # EDT (UTC-4), not EST


# --------------------------------------------------------------------------- settings

@pytest.mark.parametrize("mapping, problem", [
    ({"tracking_every_minutes": 7}, "tracking_every_minutes"),
    ({"rules_every_minutes": -10}, "rules_every_minutes"),
    ({"cashback_check_at": "25:00"}, "cashback_check_at"),
    ({"report_at": "funday 09:00"}, "report_at"),
    ({"report_at": "monday"}, "report_at"),
    ({"lock_wait_seconds": -1}, "lock_wait_seconds"),
    ({"make_up_missed": "yes"}, "make_up_missed"),
    ({"every": 5}, "unknown key"),
])
def test_scheduler_settings_problems_are_named_by_key(mapping, problem):
    _s, errors = schedule_settings_from_mapping(mapping)
    assert len(errors) == 1 and problem in errors[0]


def test_defaults_are_the_documented_schedule():
    settings, errors = schedule_settings_from_mapping({})
    assert not errors
    assert [(e.name, e.jobs, e.trigger.describe()) for e in settings.entries()] == [
        ("tracking", ("tracking",), "every 60 min"), ("rules", ("rules", "messages"), "every 10 min"),
        ("cashback", ("rules",), "daily 18:00"), ("report", ("report",), "Monday 09:00")]


def test_config_checks_scheduler_report_and_audit_tables_per_spreadsheet():
    base = {"spreadsheets": [{"name": "a", "workbook": "a.xlsx", "scheduler": {"rules_every_minutes": 7}}],
            "scheduler": {"report_at": "monday 09:00"}, "audit": {"log_rows": 3}, "report": {"top_n": 0}}
    with pytest.raises(ConfigError) as exc:
        config_from_dict(base)
    text = str(exc.value)
    assert "spreadsheets[0].scheduler.rules_every_minutes" in text and "audit.log_rows" in text and "report.top_n" in text
    ok = config_from_dict({"spreadsheets": [{"name": "a", "workbook": "a.xlsx", "scheduler": {"rules_every_minutes": 5},
                                             "report": {"orders_per_week": 4000}}],
                           "scheduler": {"tracking_every_minutes": 30}, "audit": {"log_tab": True}})
    sheet = ok.spreadsheets[0]
    assert ok.scheduler_for(sheet) == {"tracking_every_minutes": 30, "rules_every_minutes": 5}
    assert ok.report_for(sheet) == {"orders_per_week": 4000} and ok.audit == {"log_tab": True}


# --------------------------------------------------------------------------- the loop

def test_interval_entries_run_on_the_merchant_clock(tmp_path, workbook):
    sheet = SpreadsheetConfig(name="shop", workbook=workbook, timezone="Asia/Shanghai",
                              scheduler={**ONLY, "tracking_every_minutes": 60, "rules_every_minutes": 30})
    config = config_for(tmp_path, sheet)
    clock = FakeClock(at("2025-03-10 09:20"))
    SheetScheduler(config, clock=clock, max_sleep=3600).serve(until=at("2025-03-10 10:00:30"))
    assert runs(config) == [("shop", "rules", "ok", "Mon 09:30"), ("shop", "tracking", "ok", "Mon 10:00"),
                            ("shop", "rules", "ok", "Mon 10:00")]


def test_cashback_check_at_1800_and_report_monday_0900_in_new_york(tmp_path, workbook):
    sheet = SpreadsheetConfig(name="shop", workbook=workbook, timezone="America/New_York",
                              scheduler={**ONLY, "cashback_check_at": "18:00", "report_at": "monday 09:00"})
    config = config_for(tmp_path, sheet)
    clock = FakeClock(at("2025-03-09 17:00", NY))  # Sunday, the day New York moves to summer time
    SheetScheduler(config, clock=clock, max_sleep=3600).serve(until=at("2025-03-10 17:59", NY))
    assert runs(config) == [("shop", "cashback", "ok", "Sun 18:00"), ("shop", "report", "ok", "Mon 09:00")]
    report = AuditStore.in_dir(config.data_dir).runs()[0]
    assert report.jobs == ("report",) and report.started == at("2025-03-10 09:00", NY)


def test_a_failing_spreadsheet_or_job_never_stops_the_others(tmp_path, workbook):
    daily = {**ONLY, "cashback_check_at": "18:00", "report_at": "monday 09:00"}
    broken = SpreadsheetConfig(name="broken", workbook=tmp_path / "gone.xlsx", scheduler=daily)
    shop = SpreadsheetConfig(name="shop", workbook=workbook, scheduler=daily,
                             report={"top_n": 0})  # bypasses config checks: the report job itself fails
    config = config_for(tmp_path, broken, shop)
    stream = io.StringIO()
    logs.setup_logging("json", stream=stream)
    SheetScheduler(config, clock=FakeClock(at("2025-03-09 17:00")), max_sleep=3600).serve(until=at("2025-03-10 18:30"))
    assert runs(config) == [
        ("broken", "cashback", "failed", "Sun 18:00"), ("shop", "cashback", "ok", "Sun 18:00"),
        ("broken", "report", "failed", "Mon 09:00"), ("shop", "report", "failed", "Mon 09:00"),
        ("broken", "cashback", "failed", "Mon 18:00"), ("shop", "cashback", "ok", "Mon 18:00")]
    failures = [json.loads(line) for line in stream.getvalue().splitlines() if '"run failed"' in line]
    assert len(failures) == 4 and {f["sheet"] for f in failures} == {"broken", "shop"}
    assert all(f["level"] == "ERROR" and "error" in f for f in failures)
    logs.setup_logging("plain")


def seed_last_run(config, entry: str, started: datetime) -> None:
    AuditStore.in_dir(config.data_dir).record_run(RunRecord("seed", "shop", entry, (entry,), started, "ok", "schedule"))


@pytest.mark.parametrize("last_run, made_up", [
    (at("2025-03-03 09:00"), 1),  # missed Monday 2025-03-10 09:00 while down: made up once
    (at("2025-02-17 09:00"), 1),  # missed three Mondays: still made up once
    (at("2025-03-10 09:00"), 0),  # nothing missed
    (None, 0),  # never ran: nothing to make up
])
def test_missed_run_is_made_up_once_at_start(tmp_path, workbook, last_run, made_up):
    sheet = SpreadsheetConfig(name="shop", workbook=workbook, scheduler={**ONLY, "report_at": "monday 09:00"})
    config = config_for(tmp_path, sheet)
    if last_run:
        seed_last_run(config, "report", last_run)
    start = at("2025-03-12 12:00")  # Wednesday
    SheetScheduler(config, clock=FakeClock(start), max_sleep=3600).serve(until=at("2025-03-13 12:00"))
    new = [r for r in AuditStore.in_dir(config.data_dir).runs() if r.run_id != "seed"]
    assert [(r.trigger, r.started) for r in new] == [("make-up", start)] * made_up


def test_make_up_can_be_turned_off(tmp_path, workbook):
    sheet = SpreadsheetConfig(name="shop", workbook=workbook,
                              scheduler={**ONLY, "report_at": "monday 09:00", "make_up_missed": False})
    config = config_for(tmp_path, sheet)
    seed_last_run(config, "report", at("2025-03-03 09:00"))
    assert SheetScheduler(config, clock=FakeClock(at("2025-03-12 12:00"))).make_up() == 0


def test_once_at_runs_what_is_due_then_nothing_more(tmp_path, workbook):
    sheet = SpreadsheetConfig(name="shop", workbook=workbook, scheduler={**ONLY, "report_at": "monday 09:00"})
    config = config_for(tmp_path, sheet)
    scheduler = SheetScheduler(config, clock=FakeClock(at("2025-03-10 09:05")))
    assert scheduler.once(at("2025-03-10 09:05")) == 1
    assert scheduler.once(at("2025-03-10 09:06")) == 0  # already ran since Monday 09:00
    assert scheduler.once(at("2025-03-17 09:00")) == 1  # the next Monday slot
    assert [r[1:3] for r in runs(config)] == [("report", "ok"), ("report", "ok")]


def test_stop_lets_the_current_run_finish_and_starts_no_new_one(tmp_path, workbook):
    sheet = SpreadsheetConfig(name="shop", workbook=workbook, scheduler={**ONLY, "rules_every_minutes": 10})
    config = config_for(tmp_path, sheet)
    clock = FakeClock(at("2025-03-10 09:05"))
    scheduler = SheetScheduler(config, clock=clock, max_sleep=3600)
    scheduler.stop("test")
    assert scheduler.serve(until=at("2025-03-10 12:00")) == 0
    assert runs(config) == []


def test_json_logs_carry_names_and_counts_never_personal_fields():
    stream = io.StringIO()
    logs.setup_logging("json", stream=stream)
    logs.event("run finished", sheet="shop", cells=3, payee_account="6222 0000", phone="+1 555", api_key="k")
    logs.setup_logging("plain")
    doc = json.loads(stream.getvalue())
    assert doc["message"] == "run finished" and doc["sheet"] == "shop" and doc["cells"] == 3
    assert not {"payee_account", "phone", "api_key"} & set(doc)
    assert "6222" not in stream.getvalue() and "555" not in stream.getvalue()
