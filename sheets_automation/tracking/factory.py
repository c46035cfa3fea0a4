"""Build the configured tracking provider (``tracking.provider``: "simulated",
"simulated-per-sheet" or "17track"): the one place that knows how."""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Callable, Mapping

import requests

from .provider import TrackingProvider
from .seventeen_track import SeventeenTrackClient, load_api_key
from .settings import TrackingSettings
from .simulated import SimulatedProvider
from .store import TrackingStore


def build_provider(settings: TrackingSettings, *, session: requests.Session | None = None,
                   store: TrackingStore | None = None, environ: Mapping[str, str] | None = None,
                   sleep: Callable[[float], object] = time.sleep,
                   clock: Callable[[], float] = time.monotonic, state_dir: Path | None = None,
                   sheet: str = "") -> TrackingProvider:
    """The provider named in the settings; 17TRACK needs a key (:class:`ProviderError` otherwise).

    The 17TRACK store is ``<state_dir>/tracking.sqlite3`` (default: the settings' data_dir);
    "simulated-per-sheet" seeds the journeys with the spreadsheet's name ``sheet``.
    """
    if settings.provider.startswith("simulated"):
        return SimulatedProvider(seed=sheet if settings.provider == "simulated-per-sheet" else "")
    key = load_api_key(settings.api_key_env, settings.api_key_file or None, environ)
    return SeventeenTrackClient(
        key, session=session, store=store or TrackingStore.in_data_dir(state_dir or settings.data_dir), sleep=sleep, clock=clock,
        timeout=settings.timeout_seconds, batch_size=settings.batch_size, rate_per_second=settings.rate_per_second,
        max_retries=settings.max_retries, final_grace=timedelta(days=settings.final_grace_days),
        min_refresh=timedelta(minutes=settings.min_refresh_minutes))
