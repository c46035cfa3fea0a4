"""V1-V3, V5, V7, V8 on Cases: each finding has its code and its A1 cell; nothing crashes."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from sheets_automation.errors import Issue
from sheets_automation.policy import Policy, WorkCalendar, evaluate_cases
from sheets_automation.policy.cases import OUTPUT_COLUMNS
from sheets_automation.policy.frames import letters_for, typed_frame

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=SH)
# a sheet whose columns people reordered: letters are looked up, never assumed
LETTERS = {**letters_for("cases"), "order_id": "Z", "evidence_links": "AB"}
OK = {"order_id": "O1", "paid_at": "2025-03-01 10:00", "opened_at": "2025-03-10 09:00", "status": "investigating",
      "issue_type": "other"}


def evaluate(rows: list[dict], parse_issues: list[Issue] = ()) -> pd.DataFrame:
    return evaluate_cases(typed_frame("cases", rows, tz=SH, first_row=17), now=NOW, tz=SH, policy=Policy(),
                          calendar=WorkCalendar(), letters=LETTERS, parse_issues=list(parse_issues))


def found(out: pd.DataFrame, row: int = 17) -> list[tuple[str, str]]:
    return [(i.code, i.cell) for i in out.loc[row, "issues"] if not i.code.startswith(("S", "W"))]


@pytest.mark.parametrize("change, expected", [
    ({}, []),
    # V1 required fields
    ({"order_id": ""}, [("V1-required-missing", "Cases!Z17")]),
    ({"paid_at": ""}, [("V1-required-missing", "Cases!J17")]),
    # V2 order and future
    ({"shipped_at": "2025-02-28 10:00"}, [("V2-out-of-order", "Cases!K17")]),
    ({"shipped_at": "2025-03-02 10:00", "delivered_at": "2025-03-02 09:00"}, [("V2-out-of-order", "Cases!L17")]),
    ({"delivered_at": "2025-02-28 10:00"}, [("V2-out-of-order", "Cases!L17")]),
    ({"shipped_at": "2025-02-28"}, [("V2-out-of-order", "Cases!K17")]),  # the whole day is before
    ({"shipped_at": "2025-03-01"}, []),  # a date only counts as its whole day: may be after 10:00
    ({"delivered_at": "2025-03-10 12:06"}, [("V2-in-the-future", "Cases!L17")]),
    ({"delivered_at": "2025-03-10 12:04"}, []),  # within 5 minutes of now
    # V3 evidence
    ({"issue_type": "damaged", "evidence_links": "a.jpg, b.jpg"}, [("V3-evidence-missing", "Cases!AB17")]),
    ({"issue_type": "quality", "evidence_links": "a.jpg,b.jpg\nc.jpg"}, []),
    ({"issue_type": "quality", "evidence_links": "a.jpg；b.jpg c.jpg d e f g"}, []),  # more than 5 is fine
    ({"issue_type": "size"}, [("V3-evidence-missing", "Cases!AB17")]),
    ({"issue_type": "wrong_item", "evidence_links": "video.mp4"}, []),
    ({"issue_type": "missing_item", "status": "resolved"}, []),  # only while undecided
    # V5 amounts
    ({"order_amount": 0}, [("V5-not-positive", "Cases!H17")]),
    ({"order_amount": 10, "refund_amount": 10.01}, [("V5-refund-exceeds-order", "Cases!R17")]),
    ({"order_amount": 10, "refund_amount": 10}, []),
    ({"currency": "RMB"}, [("V5-currency-unknown", "Cases!I17")]),
    ({"currency": "CNY"}, []),
    # V8 refund-only after a normal receipt
    ({"issue_type": "no_reason_return", "requested_resolution": "refund", "delivered_at": "2025-03-05 10:00"},
     [("V8-refund-only-after-receipt", "Cases!Q17")]),
    ({"issue_type": "no_reason_return", "requested_resolution": "refund"}, []),  # not received
    ({"issue_type": "damaged", "requested_resolution": "refund", "delivered_at": "2025-03-05 10:00",
      "evidence_links": "a b c"}, []),
])
def test_each_v_rule_gives_its_code_and_cell(change, expected):
    out = evaluate([{**OK, **change}])
    assert [f for f in found(out) if f[0] != "V2-time-missing"] == expected
    if expected:
        assert out.loc[17, "alert_colour"] == "yellow" and expected[0][0].split("-")[0] in out.loc[17, "next_action"]


def test_v2_time_missing_is_a_soft_note_not_a_colour():
    out = evaluate([{**OK, "paid_at": "2025-03-01"}])
    (issue,) = [i for i in out.loc[17, "issues"] if i.code == "V2-time-missing"]
    assert (issue.cell, issue.severity) == ("Cases!J17", "warning")
    assert issue.message.startswith("time missing")
    assert out.loc[17, "alert_colour"] == ""


def test_v7_same_order_and_issue_open_twice():
    rows = [{**OK, "order_id": "A"}, {**OK, "order_id": "A", "issue_type": "quality", "evidence_links": "a b c"},
            {**OK, "order_id": "A"}, {**OK, "order_id": "B", "status": "closed"}, {**OK, "order_id": "B"}]
    out = evaluate(rows)
    assert [found(out, r) for r in (17, 18, 19, 20, 21)] == [[], [], [("V7-duplicate-case", "Cases!Z19")], [], []]
    assert "row 17" in out.loc[19, "next_action"]


def test_parse_issues_are_folded_in_and_not_reported_twice():
    bad = Issue("V2-unparseable-date", "Cases", 17, "paid_at", "Paid at '32/13/2025' is not a date", column="J")
    out = evaluate([{**OK, "paid_at": ""}], [bad, Issue("V6-unknown-country", "Cases", 99, "destination_country",
                                                       "nowhere", column="F")])
    assert [(i.code, i.cell) for i in out.loc[17, "issues"]] == [("V2-unparseable-date", "Cases!J17")]
    assert out.loc[17, "alert"] == "Needs input · V2 Paid at"
    assert out.loc[17, "next_action"] == "V2-unparseable-date Cases!J17: Paid at '32/13/2025' is not a date"


def test_never_crashes_and_never_drops_a_row():
    blank = typed_frame("cases", [{}, {"status": "new", "issue_type": "damaged"}], tz=SH)
    only_some = pd.DataFrame({"order_id": ["X", ""], "status": ["new", None]}, index=[5, 9])
    empty = typed_frame("cases", [], tz=SH)
    for frame in (blank, only_some, empty):
        out = evaluate_cases(frame, now=NOW, tz=SH, policy=Policy(), calendar=WorkCalendar(),
                             letters=LETTERS, parse_issues=[])
        assert list(out.index) == list(frame.index)
        assert tuple(out.columns) == OUTPUT_COLUMNS
    out = evaluate_cases(only_some, now=NOW, tz=SH, policy=Policy(), calendar=WorkCalendar(), letters=LETTERS,
                         parse_issues=[])
    assert out.loc[9, "alert"] == "Needs input · V1 Order ID"
    assert np.all(out["window"] == "")


def test_text_columns_as_pandas_str_dtype_give_the_same_result():
    rows = [{**OK, "issue_type": "damaged", "evidence_links": "a b"}, {**OK, "order_id": "", "status": "new"}]
    frame = typed_frame("cases", rows, tz=SH)
    as_str = frame.astype({c: "str" for c in frame.columns if frame[c].dtype == object})
    assert as_str["status"].dtype != object
    kw = dict(now=NOW, tz=SH, policy=Policy(), calendar=WorkCalendar(), letters=LETTERS, parse_issues=[])
    a, b = evaluate_cases(frame, **kw), evaluate_cases(as_str, **kw)
    assert a.drop(columns="message_context").equals(b.drop(columns="message_context"))
    assert list(a["alert"]) == ["Needs input · V3 evidence", "Due soon · S1 first reply"]
