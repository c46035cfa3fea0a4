"""Schemas are data: every shipped file loads, matches sheet-layout.md, and round-trips."""
import pytest

from sheets_automation.errors import SchemaFileError
from sheets_automation.schema import SHIPPED, schema_from_dict, schema_to_dict, shipped_schemas


def test_every_shipped_schema_loads():
    schemas = shipped_schemas()
    assert list(schemas) == list(SHIPPED)
    assert [s.tab for s in schemas.values()] == ["Cases", "Logistics", "Cashback", "Reships", "Weekly report"]


@pytest.mark.parametrize("stem", SHIPPED)
def test_round_trip(stem):
    s = shipped_schemas()[stem]
    assert schema_from_dict(schema_to_dict(s), source=s.source) == s


@pytest.mark.parametrize("stem, count, key", [("cases", 28, "case_id"), ("logistics", 21, "tracking_number"),
                                              ("cashback", 15, "cashback_id"), ("reships", 13, "reship_id")])
def test_layout_matches_the_spec(stem, count, key):
    s = shipped_schemas()[stem]
    assert len(s.columns) == count and s.key == key
    assert all(c.aliases or c.header == "SKU" for c in s.columns), "every header has its Chinese alias"


def test_owners_follow_the_layout():
    cases = shipped_schemas()["cases"]
    bot = [c.header for c in cases.columns if c.owner == "bot" and not c.fill_if_blank]
    assert bot == ["Window", "Due by", "Alert", "Next action", "Customer message", "Checked at"]
    assert cases.column("details").owner == "client" and cases.column("status").owner == "support"
    assert shipped_schemas()["cashback"].column("payee_account").personal


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d["columns"][0].update(type="float"), "columns[0] (case_id).type"),
    (lambda d: d["columns"][1].update(owner="robot"), "columns[1] (opened_at).owner"),
    (lambda d: d["columns"][2].pop("header"), "columns[2].header"),
    (lambda d: d["columns"][3].update(colour=True), "columns[3].colour"),
    (lambda d: d.update(key="nope"), "key"),
    (lambda d: d["columns"][13].update(values=[]), "columns[13] (issue_type).values"),
    (lambda d: d["columns"][4].update(aliases=["订单号"]), "column customer_language"),
])
def test_broken_schema_names_file_and_field(mutate, where):
    d = schema_to_dict(shipped_schemas()["cases"])
    mutate(d)
    with pytest.raises(SchemaFileError) as exc:
        schema_from_dict(d, source="cases.toml")
    assert "cases.toml" in str(exc.value) and where in str(exc.value)
