"""In-process cache: one ordered dict behind one lock, with TTLs and LRU eviction.

It is the default when no Redis URL is configured. Its entries live in one
process, so on Lambda each warm container has its own cache; use Redis when
several processes must share counters, locks or de-duplication keys.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from foundation.cache.base import (
    Cache,
    check_int64,
    encode_value,
    validate_key,
    validate_ttl,
)
from foundation.cache.exceptions import CacheValueError, describe_key
from foundation.errors import ConfigurationError
from foundation.health import HealthStatus, timed_check

# (value, deadline on the store's clock or None for no expiry)
_Entry = tuple[bytes, float | None]
_DECIMAL_INTEGER = re.compile(rb"0|-?[1-9][0-9]*")
# Sweep expired entries once the writes since the last sweep reach the entry
# count left by that sweep (at least this many): O(1) amortized per write.
_MIN_WRITES_BETWEEN_SWEEPS = 1024


class _Store:
    """State shared by a MemoryCache and every namespaced view of it.

    Every method expects the caller to hold ``lock``.
    """

    __slots__ = (
        "clock",
        "entries",
        "lock",
        "max_entries",
        "sweep_after_writes",
        "writes_since_sweep",
    )

    def __init__(self, max_entries: int, clock: Callable[[], float]) -> None:
        self.entries: OrderedDict[str, _Entry] = OrderedDict()
        self.lock = threading.Lock()
        self.max_entries = max_entries
        self.clock = clock
        self.writes_since_sweep = 0
        self.sweep_after_writes = _MIN_WRITES_BETWEEN_SWEEPS

    def live(self, full_key: str, now: float) -> _Entry | None:
        entry = self.entries.get(full_key)
        if entry is not None and entry[1] is not None and entry[1] <= now:
            del self.entries[full_key]
            return None
        return entry

    def put(self, full_key: str, value: bytes, deadline: float | None, now: float) -> None:
        entries = self.entries
        entries[full_key] = (value, deadline)
        entries.move_to_end(full_key)
        self.writes_since_sweep += 1
        if self.writes_since_sweep >= self.sweep_after_writes:
            self.sweep(now)
        while len(entries) > self.max_entries:
            entries.popitem(last=False)

    def sweep(self, now: float) -> None:
        expired = [k for k, (_, d) in self.entries.items() if d is not None and d <= now]
        for full_key in expired:
            del self.entries[full_key]
        self.writes_since_sweep = 0
        self.sweep_after_writes = max(_MIN_WRITES_BETWEEN_SWEEPS, len(self.entries))


class MemoryCache(Cache):
    """A thread-safe in-process cache.

    Expiry is checked on every access and expired entries are swept now and
    then on writes; past ``max_entries`` the least recently used entry is
    evicted. ``clock`` (seconds, monotonic) is injectable so tests can expire
    keys without sleeping. Views from :meth:`namespaced` share the entries, the
    lock and ``max_entries``.
    """

    backend = "memory"

    def __init__(
        self,
        *,
        namespace: str = "",
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(namespace)
        if max_entries < 1:
            raise ConfigurationError(f"max_entries must be at least 1, got {max_entries}")
        self._store = _Store(max_entries, clock)

    def get(self, key: str) -> bytes | None:
        full_key = self._prefix + validate_key(key)
        store = self._store
        with store.lock:
            entry = store.live(full_key, store.clock())
            if entry is None:
                return None
            store.entries.move_to_end(full_key)
            return entry[0]

    def set(self, key: str, value: bytes | str, *, ttl_seconds: float | None = None) -> None:
        full_key = self._prefix + validate_key(key)
        ttl = validate_ttl(key, ttl_seconds)
        data = encode_value(key, value)
        store = self._store
        with store.lock:
            now = store.clock()
            store.put(full_key, data, None if ttl is None else now + ttl, now)

    def add(self, key: str, value: bytes | str, *, ttl_seconds: float | None = None) -> bool:
        full_key = self._prefix + validate_key(key)
        ttl = validate_ttl(key, ttl_seconds)
        data = encode_value(key, value)
        store = self._store
        with store.lock:
            now = store.clock()
            if store.live(full_key, now) is not None:
                return False
            store.put(full_key, data, None if ttl is None else now + ttl, now)
            return True

    def delete(self, key: str) -> bool:
        full_key = self._prefix + validate_key(key)
        store = self._store
        with store.lock:
            existed = store.live(full_key, store.clock()) is not None
            if existed:
                del store.entries[full_key]
            return existed

    def exists(self, key: str) -> bool:
        full_key = self._prefix + validate_key(key)
        store = self._store
        with store.lock:
            return store.live(full_key, store.clock()) is not None

    def ttl(self, key: str) -> float | None:
        full_key = self._prefix + validate_key(key)
        store = self._store
        with store.lock:
            now = store.clock()
            entry = store.live(full_key, now)
            if entry is None or entry[1] is None:
                return None
            return entry[1] - now

    def incr(self, key: str, amount: int = 1, *, ttl_seconds: float | None = None) -> int:
        full_key = self._prefix + validate_key(key)
        ttl = validate_ttl(key, ttl_seconds)
        store = self._store
        with store.lock:
            now = store.clock()
            entry = store.live(full_key, now)
            if entry is None:
                current, deadline = 0, None if ttl is None else now + ttl
            else:
                raw, deadline = entry
                if not _DECIMAL_INTEGER.fullmatch(raw):
                    raise CacheValueError(
                        f"value under cache key {describe_key(key)} is not an integer"
                    )
                current = check_int64(key, int(raw))
            result = check_int64(key, current + amount)
            store.put(full_key, str(result).encode(), deadline, now)
            return result

    def clear_namespace(self) -> int:
        prefix = self._prefix
        store = self._store
        with store.lock:
            now = store.clock()
            doomed = [k for k in store.entries if k.startswith(prefix)]
            cleared = sum(store.live(k, now) is not None for k in doomed)
            for full_key in doomed:
                store.entries.pop(full_key, None)
            return cleared

    def check(self) -> HealthStatus:
        def probe() -> str:
            with self._store.lock:
                return f"{len(self._store.entries)} of {self._store.max_entries} entries"

        return timed_check("cache", self.backend, probe)


__all__ = ["MemoryCache"]
