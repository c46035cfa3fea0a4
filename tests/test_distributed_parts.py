"""The distributed mode's parts on a real redis-server: lock, quota buckets, beat, bad input.
(The whole thing with two worker processes: test_distributed_workers.py.)"""
import time
from datetime import datetime, timezone

import pytest
import redis

from sheets_automation.cli import main
from sheets_automation.config import config_from_dict
from sheets_automation.distributed.beat import due_slots, tick
from sheets_automation.distributed.redis_parts import QuotaBuckets, RedisSheetLock, broker_now
from sheets_automation.distributed.tasks import Defer, run_entry
from sheets_automation.errors import ConfigError
from sheets_automation.locks import SheetBusyError
from tests.redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def client(redis_url):
    c = redis.Redis.from_url(redis_url)
    c.flushdb()
    yield c
    c.close()


def test_one_holder_per_sheet_and_the_ttl_is_renewed_while_the_run_lasts(client):
    first = RedisSheetLock(client, "client-a", ttl_seconds=0.6)
    first.acquire()
    with pytest.raises(SheetBusyError, match="client-a"):
        RedisSheetLock(client, "client-a", ttl_seconds=0.6).acquire()
    other = RedisSheetLock(client, "client-b", ttl_seconds=0.6)
    other.acquire()  # other sheets are free
    time.sleep(1.0)  # longer than the TTL: renewal kept it
    assert client.pttl(first.key) > 0 and not first.lost
    with pytest.raises(SheetBusyError):
        RedisSheetLock(client, "client-a", ttl_seconds=0.6).acquire()
    first.release()
    other.release()
    again = RedisSheetLock(client, "client-a", ttl_seconds=0.6)
    again.acquire()
    again.release()


def test_a_dead_holders_lock_expires_after_its_ttl(client):
    dead = RedisSheetLock(client, "client-a", ttl_seconds=0.5)
    dead._lock.acquire(blocking=False)  # taken, never renewed: what a killed worker leaves
    with pytest.raises(SheetBusyError):
        RedisSheetLock(client, "client-a", ttl_seconds=0.5).acquire()
    time.sleep(0.6)
    heir = RedisSheetLock(client, "client-a", ttl_seconds=0.5)
    heir.acquire()
    heir.release()


def test_buckets_defer_instead_of_overspending_and_429_pauses_every_worker(client):
    quota = QuotaBuckets(client, {"read": 60, "write": 60, "tracking": 60})
    assert quota.take("a0", {"read": 60}) == 0  # the whole minute's budget, at once
    wait = quota.take("a0", {"read": 2, "write": 2})
    assert 1.0 < wait <= 2.5  # two reads come back in about 2 s: defer, do not sleep
    assert quota.take("a0", {"write": 2}) == 0  # nothing was half-taken
    assert quota.take("a1", {"read": 2}) == 0  # another account has its own budget
    quota.settle("a0", "read", -10)  # a run that used fewer calls than reserved refunds them
    assert quota.take("a0", {"read": 5}) == 0
    quota.backoff("a1", 5)
    assert 4 < quota.take("a1", {"read": 1}) <= 5


def test_two_beats_enqueue_each_slot_once(client, redis_url):
    config = config_from_dict({"backend": "google", "distributed": {"broker_url": redis_url},
                               "scheduler": {"tracking_every_minutes": 0, "cashback_check_at": "", "report_at": ""},
                               "spreadsheets": [{"name": f"s{i}", "spreadsheet_id": f"id{i}"} for i in range(3)]})

    class Sent:
        def __init__(self):
            self.tasks = []

        def send_task(self, name, args):
            self.tasks.append(tuple(args))

    one, two = Sent(), Sent()
    assert tick(one, client, config) == 3 and tick(two, client, config) == 0
    assert tick(one, client, config) == 0  # the same slot again: nothing
    slot = datetime.fromisoformat(one.tasks[0][2])
    assert slot.tzinfo == timezone.utc and slot <= broker_now(client) and slot.minute % 10 == 0
    assert {(s, e) for s, e, _ in due_slots(config, broker_now(client))} == {(f"s{i}", "rules") for i in range(3)}


def test_redis_down_one_line_at_start_and_tasks_never_run_without_the_lock(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[distributed]\nbroker_url = "redis://127.0.0.1:9/0"\n[[spreadsheets]]\nname = "a"\n'
                   'workbook = "a.xlsx"\n', encoding="utf-8")
    for command in ("worker", "beat"):
        assert main([command, "--config", str(cfg)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: cannot reach Redis at 127.0.0.1:9")
    from sheets_automation.distributed.runtime import Runtime

    from sheets_automation.config import load_config

    rt = Runtime.build(load_config(cfg))
    with pytest.raises(Defer, match="Redis unreachable"):
        run_entry(rt, "a", "rules", "2025-03-09T02:00:00+00:00")
    assert not (tmp_path / "a.xlsx").exists()


def test_config_refuses_a_spreadsheet_named_twice_or_an_unknown_service_account(tmp_path):
    with pytest.raises(ConfigError) as exc:
        config_from_dict({"backend": "google", "google": {"service_accounts": {"sa1": "k1.json"}},
                          "spreadsheets": [{"name": "a", "spreadsheet_id": "X"},
                                           {"name": "b", "spreadsheet_id": "X"},
                                           {"name": "c", "spreadsheet_id": "Y", "service_account": "sa9"}]})
    msg = str(exc.value)
    assert "spreadsheets[1].spreadsheet_id: 'b' names the same spreadsheet as 'a'" in msg
    assert "spreadsheets[2].service_account: 'sa9' is not in [google.service_accounts] (have: sa1)" in msg
    with pytest.raises(ConfigError, match="spreadsheets\\[1\\].workbook: 'y' names the same spreadsheet as 'x'"):
        config_from_dict({"spreadsheets": [{"name": "x", "workbook": "a/../b.xlsx"}, {"name": "y", "workbook": "b.xlsx"}]},
                         base_dir=tmp_path)
    for key, value in (("lock_ttl_seconds", 1), ("broker_url", "http://x"), ("broker_url", "redis://:pw@h/0"),
                       ("sheets_reads_per_minute", "60"), ("colour", 1)):
        with pytest.raises(ConfigError, match=f"distributed.{key}"):
            config_from_dict({"distributed": {key: value}, "spreadsheets": [{"name": "x", "workbook": "b.xlsx"}]})


def test_example_config_documents_the_distributed_audit_and_change_keys():
    from pathlib import Path

    from sheets_automation.distributed.settings import DISTRIBUTED_KEYS

    text = (Path(__file__).resolve().parents[1] / "config.example.toml").read_text(encoding="utf-8")
    for key in sorted(DISTRIBUTED_KEYS) + ["database_url", "keep_days", "values", "skip_unchanged", "max_skip_hours",
                                           "[google.service_accounts]", "service_account"]:
        assert key in text, key


def test_status_shows_sheets_calls_per_account_per_minute(client, redis_url, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'backend = "google"\ndata_dir = "data"\n[google.service_accounts]\nsa1 = "k.json"\n'
                   f'[distributed]\nbroker_url = "{redis_url}"\n[[spreadsheets]]\nname = "a"\nspreadsheet_id = "A"\n'
                   f'service_account = "sa1"\n', encoding="utf-8")
    quota = QuotaBuckets(client, {"read": 60, "write": 60, "tracking": 60})
    minute = int(broker_now(client).timestamp() // 60)
    for _ in range(7):
        quota.count("sa1", "read", minute)
    quota.count("sa1", "write", minute)
    assert main(["status", "--config", str(cfg)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("sa1"))
    assert line.split("reads")[1].split("writes")[0].split()[-1] == "7" and line.split()[-1] == "1"
