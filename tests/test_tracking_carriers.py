"""V4: tracking-number formats and carrier detection (reference tracking-apis.md §4)."""
import pytest

from sheets_automation.tracking.carriers import (detect, infer_service, normalise_number, s10_check_digit,
                                                 seventeen_track_key, validate_number)

DETECT = [
    # number, carrier, service, valid
    ("RR123456785CN", "China Post", "postal", True),  # S10, check digit 5
    ("RR123456784CN", "China Post", "postal", False),  # S10, wrong check digit
    ("RR123456789CN", "China Post", "postal", False),  # 17TRACK docs' own example fails the check
    ("rr 1234 5678 5cn", "China Post", "postal", True),  # spaces and lower case are normalised
    ("EA123456785CN", "China EMS", "postal", True),
    ("LX605713265CN", "China Post", "postal", True),  # the samples' numbers are valid
    ("RB123456785US", "USPS", "postal", True),
    ("RB123456785GB", "Royal Mail", "postal", True),
    ("RB123456785CV", "CV Post", "postal", True),
    ("RB123456785ZZ", "", "postal", False),  # ZZ is not a country
    ("1Z5R89390357567127", "UPS", "express", True),
    ("1Z879E930346834440", "UPS", "express", True),
    ("1Z5R89390357567128", "UPS", "express", False),  # check digit changed
    ("986578788855", "FedEx", "express", True),  # 12 digits
    ("123456789012345", "FedEx", "express", True),  # 15 digits
    ("12345678901234567890", "FedEx", "express", True),  # 20 digits not starting with 9
    ("3318810025", "DHL Express", "express", True),  # mod 7 holds
    ("3318810026", "", "", True),  # 10 digits failing mod 7: unknown, let the provider detect
    ("9400111206206406260787", "USPS", "postal", True),  # 22 digits starting with 9
    ("92612903398765123456", "USPS", "postal", True),  # 20 digits starting with 9
    ("LP00612345678901", "Cainiao", "line", True),
    ("CNUSUP00012345678", "Cainiao", "line", True),
    ("YT2613521207384156", "YunExpress", "line", True),
    ("YT26135212073841", "", "", True),  # YT + 14 digits: not YunExpress
    ("4PX3002261845917CN", "4PX", "line", True),
    ("ABCDE12345", "", "", True),  # unknown format is not invalid
    ("1234", "", "", False),  # too short
    ("A" * 51, "", "", False),  # too long
    ("RR12345678#CN", "", "", False),  # bad character
    ("", "", "", False),
]


@pytest.mark.parametrize("number, carrier, service, valid", DETECT)
def test_detect(number, carrier, service, valid):
    guess = detect(number)
    assert (guess.carrier, guess.service, guess.valid) == (carrier, service, valid)
    assert bool(guess.problem) == (not valid)


@pytest.mark.parametrize("serial, digit", [("47312482", 9), ("12345678", 5), ("00000000", 5)])
def test_s10_check_digit_worked_examples(serial, digit):
    assert s10_check_digit(serial) == digit


def test_normalise_number():
    assert normalise_number(" rr-1234.5678 5cn ") == "RR123456785CN"
    assert normalise_number(None) == ""


VALIDATE = [
    # number, sheet carrier, problem expected
    ("RR123456785CN", "China Post", False),
    ("RR123456784CN", "China Post", True),  # S10 check digit fails, whatever the carrier
    ("RR123456784CN", "", True),
    ("RR123456785CN", "UPS", True),  # not a UPS number
    ("1Z5R89390357567127", "UPS", False),
    ("1Z5R89390357567128", "ups", True),
    ("3318810025", "DHL", False),
    ("3318810026", "DHL Express", True),  # mod 7 fails for a stated DHL Express number
    ("986578788855", "FedEx", False),
    ("98657878885", "FedEx", True),  # 11 digits
    ("YT2613521207384156", "YunExpress", False),
    ("YT261352120738415", "云途 YunExpress", True),
    ("9400111206206406260787", "USPS", False),
    ("ABC12345", "Some Local Courier", False),  # unknown carrier: only the basics
    ("AB", "Some Local Courier", True),
]


@pytest.mark.parametrize("number, carrier, bad", VALIDATE)
def test_validate_number(number, carrier, bad):
    assert bool(validate_number(number, carrier)) == bad


@pytest.mark.parametrize("name, service", [
    ("China Post", "postal"), ("USPS", "postal"), ("China EMS", "postal"), ("Royal Mail", "postal"),
    ("DHL Express", "express"), ("UPS", "express"), ("FedEx", "express"), ("SF Express", "express"),
    ("YunExpress", "line"), ("4PX", "line"), ("Cainiao", "line"), ("燕文专线", "line"), ("", ""), ("Acme", ""),
])
def test_infer_service(name, service):
    assert infer_service(name) == service


def test_seventeen_track_keys_only_for_known_names():
    assert seventeen_track_key("China Post") == 3011
    assert seventeen_track_key("YunExpress") == 190008
    assert seventeen_track_key("Acme") is None
    assert seventeen_track_key(None) is None
