"""Tracking-number formats and carrier detection (policy V4).

High-specificity rules first (UPU S10 with its check digit, UPS ``1Z``, Cainiao ``LP``,
YunExpress ``YT``, 4PX), then the bare-digit families, which collide with each other
(FedEx, DHL Express, USPS). Anything unrecognised is "unknown", not invalid: the
provider auto-detects it. A number is *invalid* only when it breaks a rule we can
check (characters, length, a check digit); an invalid number is a visible note and is
never sent to the provider.

Check digits verified against public test numbers (jkeen/tracking_number_data):
S10 mod 11 (weights 8 6 4 2 3 5 9 7), UPS mod 10 (letters mapped ``(ord - 3) % 10``,
odd positions doubled), DHL Express ``serial mod 7``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..codes import country_codes


# Issuing post by S10 country suffix; others are named "<CC> Post".
POSTS = {
    "CN": "China Post", "HK": "Hongkong Post", "US": "USPS", "GB": "Royal Mail", "FR": "La Poste",
    "NL": "PostNL", "DE": "Deutsche Post", "AU": "Australia Post", "BR": "Correios Brazil",
    "SG": "Singapore Post", "MY": "Pos Malaysia", "SE": "PostNord Sweden", "CH": "Swiss Post",
    "JP": "Japan Post", "CA": "Canada Post", "ES": "Correos", "IT": "Poste Italiane", "BE": "bpost",
    "NZ": "New Zealand Post", "RU": "Russian Post", "PL": "Poczta Polska", "DK": "PostNord Denmark",
    "NO": "Posten Norge", "FI": "Posti", "TW": "Chunghwa Post", "KR": "Korea Post",
}

# 17TRACK carrier keys (reference tracking-apis.md 1.9), used only when detection is confident.
SEVENTEEN_TRACK_KEYS = {
    "China Post": 3011, "China EMS": 3013, "Hongkong Post": 8011, "USPS": 21051, "Royal Mail": 11031,
    "La Poste": 6051, "PostNL": 14041, "Australia Post": 1151, "Correios Brazil": 2151,
    "DHL Express": 100001, "UPS": 100002, "FedEx": 100003, "YunExpress": 190008, "4PX": 190094,
    "Cainiao": 190271,
}

# Other spellings people and providers use, casefolded → the one name shown and counted.
# Every name of POSTS and SEVENTEEN_TRACK_KEYS is also accepted in any case and spacing.
CARRIER_ALIASES = {
    "ems": "China EMS", "china post ems": "China EMS", "中国ems": "China EMS", "中国邮政ems": "China EMS",
    "chinapost": "China Post", "中国邮政": "China Post", "china post air mail": "China Post",
    "hong kong post": "Hongkong Post", "香港邮政": "Hongkong Post", "yun express": "YunExpress", "云途": "YunExpress",
    "云途物流": "YunExpress", "递四方": "4PX", "菜鸟": "Cainiao", "cainiao network": "Cainiao",
    "dhl express worldwide": "DHL Express", "ups express": "UPS", "fedex express": "FedEx",
}

_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
_RULES = (  # (carrier, service, pattern), most specific first; S10 is handled before these
    ("UPS", "express", re.compile(r"^1Z[0-9A-Z]{16}$")),
    ("Cainiao", "line", re.compile(r"^(?:LP\d{14}|CN[A-Z]{2}[A-Z0-9]{8,24})$")),
    ("YunExpress", "line", re.compile(r"^YT\d{16}$")),
    ("4PX", "line", re.compile(r"^4PX[0-9A-Z]{8,22}$")),
    ("USPS", "postal", re.compile(r"^9\d{19,21}$")),
    ("FedEx", "express", re.compile(r"^(?:\d{12}|\d{15}|\d{20}|\d{22})$")),
    ("DHL Express", "express", re.compile(r"^\d{10}$")),
)

# Carrier-name keywords -> service (S9 clocks). Checked in order; first hit wins.
_SERVICE_WORDS = (
    ("line", ("yunexpress", "yun express", "云途", "4px", "递四方", "cainiao", "菜鸟", "yanwen", "燕文",
              "sunyou", "顺友", "sfc", "三态", "aliexpress", "special line", "专线", "line")),
    ("express", ("dhl", "ups", "fedex", "tnt", "sf express", "顺丰", "aramex", "dpd", "gls", "express", "快递")),
    ("postal", ("post", "usps", "royal mail", "la poste", "correos", "ems", "邮政", "邮", "parcelforce", "postnl")),
)


@dataclass(frozen=True, slots=True)
class CarrierGuess:
    """What a number looks like. ``carrier == ""`` means unknown (let the provider detect)."""

    carrier: str
    service: str  # "express", "postal", "line", or "" when unknown
    valid: bool
    problem: str = ""  # why it is invalid, one sentence for the sheet


def normalise_number(text: object) -> str:
    """Upper case without spaces, dashes or dots: ``"rr 1234-5678 5cn"`` → ``"RR123456785CN"``."""
    return re.sub(r"[\s\-.]+", "", str(text or "")).upper()


def _name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


_CANONICAL = {**{_name_key(n): n for n in (*POSTS.values(), *SEVENTEEN_TRACK_KEYS)},
              **{_name_key(k): v for k, v in CARRIER_ALIASES.items()}}


def canonical_carrier(name: object) -> str:
    """One spelling per carrier, for counting and for the 17TRACK key (the people's Carrier
    cells are never rewritten). Unknown names come back trimmed, as typed.

    >>> canonical_carrier("EMS"), canonical_carrier(" china  ems "), canonical_carrier("中国邮政")
    ('China EMS', 'China EMS', 'China Post')
    >>> canonical_carrier("Yanwen")
    'Yanwen'
    """
    text = re.sub(r"\s+", " ", str(name or "")).strip()
    return _CANONICAL.get(text.casefold(), text)


def s10_check_digit(serial8: str) -> int:
    """UPU S10 check digit of the 8-digit serial (``"12345678"`` → 5)."""
    s = sum(int(d) * w for d, w in zip(serial8, (8, 6, 4, 2, 3, 5, 9, 7)))
    c = 11 - s % 11
    return 0 if c == 10 else 5 if c == 11 else c


def ups_check_ok(number: str) -> bool:
    """UPS ``1Z`` + 15 characters + check digit (mod 10, odd positions doubled)."""
    body, check = number[2:17], number[17]
    if not check.isdigit():
        return False
    total = 0
    for i, ch in enumerate(body):
        value = int(ch) if ch.isdigit() else (ord(ch) - 3) % 10
        total += value * 2 if i % 2 else value
    return (10 - total % 10) % 10 == int(check)


def dhl_check_ok(number: str) -> bool:
    """DHL Express 10 digits: the last digit is the first nine mod 7."""
    return int(number[:9]) % 7 == int(number[9])


def _basic_problem(n: str) -> str:
    if not n:
        return "the tracking number is blank"
    if not re.fullmatch(r"[A-Z0-9]+", n):
        return f"{n!r} has characters other than letters and digits"
    if not 5 <= len(n) <= 50:
        return f"{n!r} has {len(n)} characters; tracking numbers have 5 to 50"
    return ""


def _s10(n: str) -> CarrierGuess | None:
    m = _S10.match(n)
    if not m:
        return None
    service_code, serial, check, country = m.groups()
    if country not in country_codes():
        return CarrierGuess("", "postal", False, f"{n!r} looks like a UPU S10 number but {country} is not a country code")
    carrier = "China EMS" if country == "CN" and service_code[0] == "E" else POSTS.get(country, f"{country} Post")
    expected = s10_check_digit(serial)
    if int(check) != expected:
        return CarrierGuess(carrier, "postal", False,
                            f"{n!r} fails the UPU S10 check digit (digit 11 should be {expected})")
    return CarrierGuess(carrier, "postal", True)


@lru_cache(maxsize=65536)
def detect(number: str) -> CarrierGuess:
    """Guess the carrier of a tracking number (V4). Never raises.

    >>> detect("RR123456785CN")
    CarrierGuess(carrier='China Post', service='postal', valid=True, problem='')
    """
    n = normalise_number(number)
    problem = _basic_problem(n)
    if problem:
        return CarrierGuess("", "", False, problem)
    s10 = _s10(n)
    if s10 is not None:
        return s10
    for carrier, service, pattern in _RULES:
        if not pattern.match(n):
            continue
        if carrier == "UPS" and not ups_check_ok(n):
            return CarrierGuess("UPS", "express", False, f"{n!r} fails the UPS check digit")
        if carrier == "DHL Express" and not dhl_check_ok(n):
            # Bare 10 digits are weak evidence: without the mod-7 check it is just "unknown".
            return CarrierGuess("", "", True)
        if carrier == "FedEx" and len(n) in (20, 22) and n.startswith("9"):
            continue  # 9... of 20-22 digits is USPS (handled above)
        return CarrierGuess(carrier, service, True)
    return CarrierGuess("", "", True)


def infer_service(carrier_name: str | None) -> str:
    """Service type of a carrier name (S9): ``"YunExpress"`` → ``"line"``; ``""`` when unknown."""
    name = str(carrier_name or "").casefold().strip()
    if not name:
        return ""
    for service, words in _SERVICE_WORDS:
        if any(w in name for w in words):
            return service
    return ""


_FAMILIES = (  # carrier-name keyword -> (label, pattern the number must match, extra check)
    ("ups", "UPS (1Z + 16 letters or digits)", re.compile(r"^1Z[0-9A-Z]{16}$"), ups_check_ok),
    ("fedex", "FedEx (12, 15, 20 or 22 digits)", re.compile(r"^(?:\d{12}|\d{15}|\d{20}|\d{22})$"), None),
    ("usps", "USPS (20-22 digits starting with 9, or a UPU S10 number)", re.compile(r"^(?:9\d{19,21}|[A-Z]{2}\d{9}US)$"), None),
    ("dhl express", "DHL Express (10 digits)", re.compile(r"^\d{10}$"), dhl_check_ok),
    ("yunexpress", "YunExpress (YT + 16 digits)", re.compile(r"^YT\d{16}$"), None),
    ("云途", "YunExpress (YT + 16 digits)", re.compile(r"^YT\d{16}$"), None),
    ("4px", "4PX (4PX + letters or digits)", re.compile(r"^4PX[0-9A-Z]{8,22}$"), None),
)


def validate_number(number: str, carrier: str | None) -> str:
    """V4: "" when the number is well-formed for its carrier, else one sentence saying why.

    Postal numbers in UPU S10 shape must pass the check digit whatever the carrier says.
    Carriers without a known format are only checked for characters and length.
    """
    n = normalise_number(number)
    guess = detect(n)
    if not guess.valid:
        return guess.problem
    name = str(carrier or "").casefold().strip()
    if not name:
        return ""
    if name == "dhl" and re.fullmatch(r"\d{10}", n):
        name = "dhl express"
    for keyword, label, pattern, check in _FAMILIES:
        if keyword in name:
            if not pattern.match(n):
                return f"{n!r} is not a well-formed {label} number"
            if check is not None and not check(n):
                return f"{n!r} fails the {label.split(' (')[0]} check digit"
            return ""
    return ""


def seventeen_track_key(carrier_name: str | None) -> int | None:
    """17TRACK carrier key for a carrier name we are sure of, else None (auto-detect)."""
    return SEVENTEEN_TRACK_KEYS.get(canonical_carrier(carrier_name))
