"""Build the configured tracking provider (``tracking.provider``: "simulated" or "17track")."""
from __future__ import annotations

import time
from datetime import timedelta
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
                   clock: Callable[[], float] = time.monotonic) -> TrackingProvider:
    """The provider named in the settings; 17TRACK needs a key (:class:`ProviderError` otherwise).

    The 17TRACK store defaults to ``<data_dir>/tracking.sqlite3``.
    """
    if settings.provider == "simulated":
        return SimulatedProvider()
    key = load_api_key(settings.api_key_env, settings.api_key_file or None, environ)
    return SeventeenTrackClient(
        key, session=session, store=store or TrackingStore.in_data_dir(settings.data_dir), sleep=sleep, clock=clock,
        timeout=settings.timeout_seconds, batch_size=settings.batch_size, rate_per_second=settings.rate_per_second,
        max_retries=settings.max_retries, final_grace=timedelta(days=settings.final_grace_days),
        min_refresh=timedelta(minutes=settings.min_refresh_minutes))
