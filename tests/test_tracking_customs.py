"""V9 customs declaration checks (policy V9, seed 004)."""
import pytest

from sheets_automation.tracking.customs import check_declaration, convert, country_code

CUSTOMS = [
    # destination, value, currency, kg, contents, carrier, expected finding fragment ("" = none)
    ("US", 49.99, "USD", 1.0, "T-shirt", "China Post", ""),
    ("US", 50.00, "USD", 1.0, "T-shirt", "China Post", "below USD 50"),
    ("US", 60.00, "USD", 2.99, "T-shirt", "China Post", "below USD 50"),
    ("US", 60.00, "USD", 3.0, "T-shirt", "China Post", ""),  # 3 kg and over: no US threshold
    ("US", 60.00, "USD", None, "T-shirt", "China Post", "below USD 50"),  # weight unknown: checked
    ("US", 340.0, "CNY", 1.0, "T-shirt", "China Post", ""),  # ~USD 47.6
    ("US", 360.0, "CNY", 1.0, "T-shirt", "China Post", "below USD 50"),  # ~USD 50.4
    ("United States", 60.0, "", 1.0, "T-shirt", "", "below USD 50"),  # names and blank currency (USD)
    ("AU", 999.0, "USD", 1.0, "lamp", "DHL", ""),
    ("AU", 1000.0, "USD", 1.0, "lamp", "DHL", "below USD 1000"),
    ("AU", 20.0, "USD", 1.0, "wooden bowl", "DHL Express", "not go by DHL"),
    ("AU", 20.0, "USD", 1.0, "羽毛 pillow", "DHL", "not go by DHL"),
    ("AU", 20.0, "USD", 1.0, "wooden bowl", "China Post", ""),
    ("DE", 5.0, "EUR", 0.5, "socks", "China Post", ""),  # 0.5 kg or less: EUR 5
    ("DE", 5.5, "EUR", 0.5, "socks", "China Post", "about EUR 5"),
    ("DE", 10.0, "EUR", 0.51, "shoes", "China Post", ""),  # heavier: EUR 10-20
    ("DE", 9.0, "EUR", 0.8, "shoes", "China Post", "EUR 10-20"),
    ("DE", 19.99, "EUR", 0.8, "shoes", "China Post", ""),
    ("DE", 20.0, "EUR", 0.8, "shoes", "China Post", "below EUR 20"),
    ("DE", 15.0, "EUR", 0.8, "shoes", "DHL Paket", "by DHL"),
    ("DE", 15.0, "EUR", 0.8, "shoes", "China EMS", "by EMS"),
    ("DE", 15.0, "EUR", 0.8, "shoes", "Temsa Logistics", ""),  # "ems" inside a word is not EMS
    ("MX", 49.99, "USD", 1.0, "x", "", ""),
    ("BR", 50.0, "USD", 1.0, "x", "", "below USD 50"),
    ("CL", 50.0, "USD", 1.0, "x", "", "below USD 50"),
    ("NO", 29.99, "USD", 1.0, "x", "", ""),
    ("NO", 30.0, "USD", 1.0, "x", "", "below USD 30"),
    ("FI", 30.0, "USD", 1.0, "x", "", "below USD 30"),
    ("PL", 20.0, "USD", 1.0, "x", "", "below USD 20"),
    ("PL", 19.99, "USD", 1.0, "x", "", ""),
    ("DK", 13.0, "USD", 1.0, "x", "", "below USD 13"),
    ("DK", 12.99, "USD", 1.0, "x", "", ""),
    ("RU", 5.0, "USD", 1.0, "x", "EMS", "avoid EMS"),
    ("NZ", 5.0, "USD", 1.0, "x", "China EMS", "avoid EMS"),
    ("NZ", 5.0, "USD", 1.0, "x", "China Post", ""),
    ("FR", 500.0, "USD", 1.0, "x", "DHL", ""),  # no rule for FR
    ("US", None, "USD", 1.0, "x", "", ""),  # nothing declared: nothing to check
    ("US", 10.0, "XYZ", 1.0, "x", "", "no exchange rate for XYZ"),
    ("US", -5.0, "USD", 1.0, "x", "", "must be above 0"),
    ("", 500.0, "USD", 1.0, "x", "DHL", ""),
]


@pytest.mark.parametrize("dest, value, cur, kg, contents, carrier, expected", CUSTOMS)
def test_check_declaration(dest, value, cur, kg, contents, carrier, expected):
    problems = check_declaration(dest, value, cur, kg, contents, carrier)
    if expected:
        assert any(expected in p for p in problems), problems
        assert all(p.startswith("V9:") for p in problems)
    else:
        assert problems == []


def test_rates_are_overridable():
    rates = {"USD": 1.0, "CNY": 0.2}
    assert check_declaration("US", 260.0, "CNY", 1.0, "x", "", rates) != []  # USD 52 at this rate
    assert convert(10, "EUR", "USD", {"USD": 1.0}) is None


@pytest.mark.parametrize("text, code", [("de", "DE"), ("Germany", "DE"), ("德国", "DE"), ("usa", "US"),
                                        ("Narnia", ""), ("", "")])
def test_country_code(text, code):
    assert country_code(text) == code
