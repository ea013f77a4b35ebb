"""Redis cache adapter (redis-py); also the adapter for ElastiCache Redis/Valkey.

Keys are stored as ``<namespace>:<key>``. Use a ``rediss://`` URL for TLS, as
ElastiCache with in-transit encryption requires. Everything here is a single
Redis command or a single-key Lua script, so it also works with cluster mode.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

from foundation.cache.base import Cache, encode_value, validate_key, validate_ttl
from foundation.cache.exceptions import CacheUnavailableError, CacheValueError, describe_key
from foundation.errors import ConfigurationError
from foundation.health import HealthStatus, timed_check

# EXISTS + INCRBY + PEXPIRE in one script: the TTL is set atomically and only
# when this call creates the counter (PEXPIRE NX would need Redis 7).
_INCR_WITH_TTL = """
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
"""
_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.ClusterDownError,
)
_SCAN_BATCH = 500
_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


def redact_url(url: str) -> str:
    """The URL without credentials or query, fit for messages and logs."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=netloc, query=""))


def _milliseconds(ttl: float | None) -> int | None:
    return None if ttl is None else max(1, math.ceil(ttl * 1000))


class RedisCache(Cache):
    """A cache in Redis, shared by every process that uses the same URL and namespace.

    ``client`` may be an existing ``redis.Redis`` (it must not decode responses);
    otherwise one is built from ``url`` with short timeouts and two quick
    retries, so an outage surfaces as :class:`CacheUnavailableError` within
    seconds instead of hanging a request.
    """

    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "",
        client: redis.Redis | None = None,
        timeout_seconds: float = 2.0,
    ) -> None:
        super().__init__(namespace)
        self._url = redact_url(url)
        if client is None:
            try:
                client = redis.Redis.from_url(
                    url,
                    socket_connect_timeout=timeout_seconds,
                    socket_timeout=timeout_seconds,
                    retry=Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.1), retries=2),
                    health_check_interval=30,
                )
            except ValueError as exc:
                raise ConfigurationError(f"invalid Redis URL {self._url!r}: {exc}") from exc
        self._client = client
        self._incr_with_ttl = client.register_script(_INCR_WITH_TTL)

    @contextmanager
    def _calling(self, command: str, key: str | None = None) -> Iterator[None]:
        """Turn redis-py errors into the port's errors, naming the command and key."""
        target = f"{command} {describe_key(key)}" if key is not None else command
        try:
            yield
        except _UNAVAILABLE as exc:
            raise CacheUnavailableError(
                f"Redis cache at {self._url} is unavailable ({target}): {exc}"
            ) from exc
        except redis.exceptions.ResponseError as exc:
            message = str(exc)
            if "not an integer" in message or "overflow" in message:
                raise CacheValueError(
                    f"{target}: value is not a 64-bit integer or would overflow"
                ) from exc
            raise

    def get(self, key: str) -> bytes | None:
        full_key = self._prefix + validate_key(key)
        with self._calling("GET", key):
            return cast(bytes | None, self._client.get(full_key))

    def set(self, key: str, value: bytes | str, *, ttl_seconds: float | None = None) -> None:
        full_key = self._prefix + validate_key(key)
        px = _milliseconds(validate_ttl(key, ttl_seconds))
        data = encode_value(key, value)
        with self._calling("SET", key):
            self._client.set(full_key, data, px=px)

    def add(self, key: str, value: bytes | str, *, ttl_seconds: float | None = None) -> bool:
        full_key = self._prefix + validate_key(key)
        px = _milliseconds(validate_ttl(key, ttl_seconds))
        data = encode_value(key, value)
        with self._calling("SET NX", key):
            return bool(self._client.set(full_key, data, px=px, nx=True))

    def delete(self, key: str) -> bool:
        full_key = self._prefix + validate_key(key)
        with self._calling("DEL", key):
            return self._client.delete(full_key) == 1

    def exists(self, key: str) -> bool:
        full_key = self._prefix + validate_key(key)
        with self._calling("EXISTS", key):
            return self._client.exists(full_key) == 1

    def ttl(self, key: str) -> float | None:
        full_key = self._prefix + validate_key(key)
        with self._calling("PTTL", key):
            milliseconds = self._client.pttl(full_key)
        # PTTL answers -2 for a missing key and -1 for a key without expiry.
        return None if milliseconds < 0 else milliseconds / 1000

    def incr(self, key: str, amount: int = 1, *, ttl_seconds: float | None = None) -> int:
        full_key = self._prefix + validate_key(key)
        px = _milliseconds(validate_ttl(key, ttl_seconds))
        with self._calling("INCRBY", key):
            if px is None:
                return self._client.incrby(full_key, amount)
            return cast(int, self._incr_with_ttl(keys=[full_key], args=[amount, px]))

    def clear_namespace(self) -> int:
        pattern = _GLOB_SPECIAL.sub(r"\\\1", self._prefix) + "*"
        cleared = 0
        batch: list[Any] = []
        with self._calling(f"SCAN+UNLINK {pattern!r}"):
            for full_key in self._client.scan_iter(match=pattern, count=_SCAN_BATCH):
                batch.append(full_key)
                if len(batch) == _SCAN_BATCH:
                    cleared += self._client.unlink(*batch)
                    batch.clear()
            if batch:
                cleared += self._client.unlink(*batch)
        return cleared

    def check(self) -> HealthStatus:
        def probe() -> str:
            with self._calling("PING"):
                self._client.ping()
            return f"PING ok at {self._url}"

        return timed_check("cache", self.backend, probe)


__all__ = ["RedisCache", "redact_url"]
