"""Config: every key documented in config.example.toml; every problem reported at once, by key."""
import tomllib
from pathlib import Path

import pytest
import requests

from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.config import config_from_dict, load_config, workbook_config
from sheets_automation.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_is_valid_and_documents_every_key():
    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    cfg = config_from_dict(data, base_dir=ROOT)
    assert cfg.backend == "workbook" and cfg.spreadsheets
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for key in ("backend", "timezone", "day_first", "data_dir", "credentials_file", "credentials_env",
                "timeout_seconds", "max_retries", "provider", "api_key_env", "templates_dir", "spreadsheet_id",
                "workbook", "[spreadsheets.policy]", "tracking_every_minutes", "rules_every_minutes",
                "cashback_check_at", "report_at", "make_up_missed", "lock_wait_seconds", "log_tab", "log_rows",
                "log_tab_name", "orders_per_week", "rate_target_percent", "top_n", "weeks"):
        assert key in text, f"config.example.toml does not document {key}"


def test_all_problems_reported_at_once_each_naming_its_key():
    with pytest.raises(ConfigError) as exc:
        config_from_dict({"backend": "excel", "timezone": "Mars/Base", "colour": 1, "google": {"timeout_seconds": -1},
                          "tracking": {"api_key": "abc"},
                          "spreadsheets": [{"name": "a"}, {"name": "a", "workbook": "x.csv"}]}, source="c.toml")
    msg = str(exc.value)
    for fragment in ("backend: 'excel'", "timezone: unknown time zone 'Mars/Base'", "colour: unknown key",
                     "google.timeout_seconds", "tracking.api_key: never put an API key",
                     "spreadsheets[1].name: 'a' is used twice", "spreadsheets[1].workbook"):
        assert fragment in msg
    assert "abc" not in msg  # a secret is never echoed back


def test_google_backend_needs_spreadsheet_id_and_accepts_a_url():
    with pytest.raises(ConfigError, match=r"spreadsheets\[0\].spreadsheet_id: required"):
        config_from_dict({"backend": "google", "spreadsheets": [{"name": "a"}]})
    cfg = config_from_dict({"backend": "google", "spreadsheets": [
        {"name": "a", "spreadsheet_id": "https://docs.google.com/spreadsheets/d/1AbCdEf/edit#gid=0"}]})
    url = cfg.spreadsheets[0].spreadsheet_id
    assert open_google_backend(url, session=requests.Session()).spreadsheet_id == "1AbCdEf"  # no call made
    with pytest.raises(ConfigError, match="link without a spreadsheet"):
        open_google_backend("https://docs.google.com/document/x", session=requests.Session())


def test_per_spreadsheet_policy_overrides_the_top_level():
    cfg = config_from_dict({"policy": {"w2_days": 7, "s1_hours": 24},
                            "spreadsheets": [{"name": "a", "workbook": "a.xlsx", "policy": {"w2_days": 14}}]})
    assert cfg.policy_for(cfg.spreadsheets[0]) == {"w2_days": 14, "s1_hours": 24}


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="copy config.example.toml"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("backend = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_workbook_default_needs_no_file(tmp_path):
    cfg = workbook_config(tmp_path / "ops.xlsx")
    assert cfg.spreadsheets[0].workbook == tmp_path / "ops.xlsx" and cfg.timezone == "Asia/Shanghai"
