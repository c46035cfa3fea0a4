"""Tracking thresholds and defaults (policy S7-S10, T3, V9), one frozen object.

Every number is a default that the ``[tracking]`` section of the config may override
(:func:`tracking_settings_from_mapping`). Day thresholds count calendar days (24 h
periods from the clock start), not working days: carriers move parcels at weekends.

``rates_to_usd`` is a small static table used only for the V9 customs checks. It is
**approximate** (rounded mid-2020s rates) and meant to be overridden in the config when
a merchant cares about the exact boundary.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Mapping

SERVICES = ("express", "postal", "line")
PROVIDERS = ("simulated", "17track")

# Approximate value of one unit of each currency in USD (V9 checks only; overridable).
DEFAULT_RATES_TO_USD: Mapping[str, float] = MappingProxyType({
    "USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CNY": 0.14, "HKD": 0.128, "AUD": 0.66,
    "NZD": 0.60, "CAD": 0.73, "JPY": 0.0067, "NOK": 0.094, "SEK": 0.095, "DKK": 0.145,
    "PLN": 0.25, "CHF": 1.12, "RUB": 0.011, "BRL": 0.19, "MXN": 0.055, "SGD": 0.74,
})


def _frozen(d: Mapping) -> Mapping:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class TrackingSettings:
    """Thresholds for the Logistics tab and the provider's operating limits."""

    provider: str = "simulated"  # "simulated" (offline, default) or "17track"
    api_key_env: str = "SEVENTEEN_TRACK_API_KEY"  # env var holding the 17TRACK key
    api_key_file: str = ""  # or a file holding it (first line); never the key itself
    data_dir: str = "data"  # where the tracking state store lives
    first_event_days: float = 1.0  # S7: no first event after this many days
    first_event_days_by_service: Mapping[str, float] = field(default_factory=lambda: _frozen({}))  # S7 overrides
    stale_days: float = 15.0  # S8: no new event for more than this
    follow_up_days: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"express": 7.0, "postal": 30.0, "line": 15.0}))  # S9
    default_service: str = "line"  # S9 clock when the service is blank and cannot be inferred
    long_undelivered_days: float = 40.0  # S10
    final_grace_days: float = 3.0  # stop polling this long after Delivered/Returned/Expired
    min_refresh_minutes: float = 55.0  # 17TRACK refreshes every 3-12 h; no point polling faster
    batch_size: int = 40  # 17TRACK: at most 40 numbers per request
    rate_per_second: int = 3  # 17TRACK: at most 3 requests per second per key
    timeout_seconds: float = 20.0
    max_retries: int = 3  # per request, on 429 / 5xx / network errors
    rates_to_usd: Mapping[str, float] = field(default_factory=lambda: DEFAULT_RATES_TO_USD)

    def first_event_days_for(self, service: str) -> float:
        """S7 threshold for a service (override or the general default)."""
        return float(self.first_event_days_by_service.get(service, self.first_event_days))

    def follow_up_days_for(self, service: str) -> float:
        """S9 threshold for a service; unknown services use ``default_service``."""
        if service in self.follow_up_days:
            return float(self.follow_up_days[service])
        return float(self.follow_up_days.get(self.default_service, 15.0))


_NUMBER_KEYS = {"first_event_days", "stale_days", "long_undelivered_days", "final_grace_days",
                "min_refresh_minutes", "timeout_seconds"}
_INT_KEYS = {"batch_size", "rate_per_second", "max_retries"}
_TEXT_KEYS = {"provider", "api_key_env", "api_key_file", "data_dir", "default_service"}
_MAP_KEYS = {"first_event_days_by_service", "follow_up_days", "rates_to_usd"}


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def tracking_settings_from_mapping(d: Mapping, prefix: str = "tracking") -> tuple[TrackingSettings, list[str]]:
    """Build settings from a config mapping; every problem names its key (``tracking.stale_days``).

    Unknown keys are errors (a typo must not silently keep a default). On errors the
    defaults are kept for the bad keys, so the caller can still report all at once.
    """
    errors: list[str] = []
    known = {f.name for f in fields(TrackingSettings)}
    values: dict = {}
    for key, value in (d or {}).items():
        where = f"{prefix}.{key}" if prefix else str(key)
        if key not in known:
            errors.append(f"{where}: unknown key (known: {', '.join(sorted(known))})")
        elif key in _NUMBER_KEYS:
            if not _is_number(value) or value < 0:
                errors.append(f"{where}: must be a number of 0 or more, got {value!r}")
            else:
                values[key] = float(value)
        elif key in _INT_KEYS:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                errors.append(f"{where}: must be a whole number of 1 or more, got {value!r}")
            else:
                values[key] = value
        elif key in _TEXT_KEYS:
            if not isinstance(value, str):
                errors.append(f"{where}: must be text, got {value!r}")
            else:
                values[key] = value
        elif key in _MAP_KEYS:
            if not isinstance(value, Mapping):
                errors.append(f"{where}: must be a table of name = number")
                continue
            bad = [k for k, v in value.items() if not _is_number(v) or v < 0]
            if bad:
                errors.append(f"{where}.{bad[0]}: must be a number of 0 or more")
                continue
            if key != "rates_to_usd":
                unknown = [k for k in value if k not in SERVICES]
                if unknown:
                    errors.append(f"{where}.{unknown[0]}: not a service ({', '.join(SERVICES)})")
                    continue
                base = dict(TrackingSettings().follow_up_days) if key == "follow_up_days" else {}
                values[key] = _frozen({**base, **{k: float(v) for k, v in value.items()}})
            else:
                rates = {str(k).upper(): float(v) for k, v in value.items()}
                values[key] = _frozen({**DEFAULT_RATES_TO_USD, **rates})
    if values.get("provider", "simulated") not in PROVIDERS:
        errors.append(f"{prefix}.provider: must be one of {', '.join(PROVIDERS)}, got {values['provider']!r}")
        values.pop("provider")
    if values.get("default_service", "line") not in SERVICES:
        errors.append(f"{prefix}.default_service: must be one of {', '.join(SERVICES)}")
        values.pop("default_service")
    if values.get("batch_size", 40) > 40:
        errors.append(f"{prefix}.batch_size: 17TRACK accepts at most 40 numbers per request")
        values.pop("batch_size")
    return TrackingSettings(**values), errors
