"""What the workers share in Redis: the broker's clock, one lock per spreadsheet, quota buckets.

Every instant here is the Redis server's (``TIME``; ``PX`` expiries), never a host's clock,
so workers on hosts with skewed clocks agree on lock expiry and on due slots (#12 bad input).

* :class:`RedisSheetLock` (#12 item 2) — one writer per spreadsheet across hosts: redis-py's
  ``Lock`` (a random token, ``SET NX PX``, compare-and-delete in Lua) with a TTL longer than
  a run, renewed every third of the TTL by a daemon thread while the run lasts. A killed
  worker stops renewing; the lock expires after at most one TTL and the redelivered task
  takes it.
* :class:`QuotaBuckets` (#12 item 3) — token buckets per service account (Sheets reads and
  writes per minute) and for the tracking provider, refilled continuously, in one Lua script
  so concurrent workers never over-spend. ``take`` answers how long to wait instead of
  sleeping; ``settle`` refunds or charges the difference once the real cost is known; a 429
  puts the account into back-off for every worker (``backoff``).
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import redis

from ..locks import SheetBusyError

PREFIX = "sheets-automation"


def broker_now(client: redis.Redis) -> datetime:
    """The Redis server's clock (UTC)."""
    seconds, micros = client.time()
    return datetime.fromtimestamp(seconds + micros / 1e6, tz=timezone.utc)


class RedisSheetLock:
    """The spreadsheet lock for :func:`~sheets_automation.scheduler.execute_run` (``acquire``/``release``).

    ``acquire`` never waits: a busy sheet raises :class:`SheetBusyError` and the task defers.
    """

    def __init__(self, client: redis.Redis, sheet_key: str, ttl_seconds: float, holder: str = ""):
        self.key = f"{PREFIX}:lock:{sheet_key}"
        self.ttl = float(ttl_seconds)
        self.holder = holder
        self.lost = False  # renewal failed (the run outlived a TTL the lock could not extend)
        self._lock = client.lock(self.key, timeout=self.ttl, blocking=False, thread_local=False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        if not self._lock.acquire(blocking=False):
            raise SheetBusyError(f"spreadsheet {self.key.rsplit(':', 1)[-1]!r} is being written by another worker; "
                                 f"deferred")
        self._stop.clear()
        self._thread = threading.Thread(target=self._renew, name=f"renew {self.key}", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self._lock.reacquire()
            except Exception:  # noqa: BLE001 (LockError, RedisError, or a client closed under us:
                # redis-py 8 raises AttributeError there); the run learns it from ``lost``
                self.lost = True
                return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        try:
            self._lock.release()
        except redis.exceptions.LockError:  # expired and maybe taken: nothing of ours to release
            self.lost = True


# KEYS[1] bucket hash, KEYS[2] back-off key; ARGV: rate per second, capacity, cost (may be < 0: refund).
# Returns milliseconds to wait (0: taken). A refund or a charge (``force``) always applies.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, cap, cost, force = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
if not force then
  local pause = redis.call('PTTL', KEYS[2])
  if pause > 0 then return pause end
end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]), tonumber(b[2])
if tokens == nil then tokens, at = cap, now end
tokens = math.min(cap, tokens + (now - at) * rate / 1000)
if force or cost <= tokens then
  tokens = math.min(cap, tokens - cost)
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
  redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate * 1000) + 60000)
  return 0
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
return math.ceil((cost - tokens) / rate * 1000)
"""


class QuotaBuckets:
    """Per-minute budgets shared by every worker (see the module docstring)."""

    def __init__(self, client: redis.Redis, per_minute: dict[str, float]):
        self.client = client
        self.per_minute = per_minute  # kind ("read", "write", "tracking") → calls per minute
        self._script = client.register_script(_TAKE)

    def _keys(self, account: str, kind: str) -> list[str]:
        return [f"{PREFIX}:quota:{account}:{kind}", f"{PREFIX}:backoff:{account}"]

    def _run(self, account: str, kind: str, cost: float, force: bool) -> float:
        rate = self.per_minute[kind] / 60.0
        ms = self._script(keys=self._keys(account, kind), args=[rate, self.per_minute[kind], cost, "1" if force else "0"])
        return int(ms) / 1000.0

    def take(self, account: str, costs: dict[str, float]) -> float:
        """Take every cost in ``costs`` ({kind: calls}) or none; return 0, or seconds to wait."""
        taken: list[tuple[str, float]] = []
        for kind, cost in costs.items():
            wait = self._run(account, kind, cost, force=False)
            if wait > 0:
                for k, c in taken:
                    self._run(account, k, -c, force=True)
                return wait
            taken.append((kind, cost))
        return 0.0

    def settle(self, account: str, kind: str, difference: float) -> None:
        """Charge (``difference`` > 0) or refund (< 0) once the real cost is known."""
        if difference:
            self._run(account, kind, difference, force=True)

    def backoff(self, account: str, seconds: float) -> None:
        """A 429 from Google: every worker waits ``seconds`` before spending this account's quota."""
        self.client.set(self._keys(account, "read")[1], "429", px=int(seconds * 1000))

    def count(self, account: str, kind: str, now_minute: int) -> None:
        """Calls made per account per minute, for ``status`` (kept one hour)."""
        key = f"{PREFIX}:calls:{account}:{kind}:{now_minute}"
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, 3600)
        pipe.execute()

    def calls_per_minute(self, account: str, kind: str, now_minute: int, minutes: int = 5) -> list[int]:
        keys = [f"{PREFIX}:calls:{account}:{kind}:{m}" for m in range(now_minute - minutes + 1, now_minute + 1)]
        return [int(v or 0) for v in self.client.mget(keys)]
