"""Parcel tracking (policy T1-T7, S7-S10, V4, V9).

Modules, one job each: ``provider`` (port and value types), ``seventeen_track`` (the
17TRACK v2.2 client, the only HTTP), ``simulated`` (offline provider), ``carriers``
(number formats), ``normalise`` (17TRACK payloads → our statuses), ``store`` (SQLite
state), ``customs`` (V9), ``settings`` and ``evaluate`` (the pure Logistics rules).
"""
from .evaluate import evaluate_logistics
from .factory import build_provider
from .provider import FINAL_STATUSES, STATUSES, Parcel, TrackingProvider, TrackResult
from .settings import TrackingSettings, tracking_settings_from_mapping
from .store import TrackingStore

__all__ = ["FINAL_STATUSES", "STATUSES", "Parcel", "TrackResult", "TrackingProvider", "TrackingSettings",
           "TrackingStore", "build_provider", "evaluate_logistics", "tracking_settings_from_mapping"]
