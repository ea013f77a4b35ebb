"""The cache port: bytes under string keys with optional expiry, plus atomic add and incr.

Every adapter validates keys and TTLs with the helpers below, so a key that
one backend accepts is accepted by all of them.
"""

from __future__ import annotations

import copy
import json
import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Self

from foundation.cache.exceptions import (
    CacheValueError,
    InvalidCacheKeyError,
    InvalidCacheNamespaceError,
    InvalidCacheTtlError,
    describe_key,
)
from foundation.health import HealthStatus

MAX_KEY_LENGTH = 512
# Far beyond any useful cache lifetime, and well inside what Redis accepts for PX.
MAX_TTL_SECONDS = 10 * 365 * 24 * 3600
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_NAMESPACE = re.compile(r"[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*")


def validate_key(key: object) -> str:
    """Return ``key`` if it is a usable cache key, else raise :class:`InvalidCacheKeyError`."""
    if not isinstance(key, str):
        raise InvalidCacheKeyError(key, f"must be a str, not {type(key).__name__}")
    if not key:
        raise InvalidCacheKeyError(key, "must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidCacheKeyError(key, f"must be at most {MAX_KEY_LENGTH} characters")
    # isprintable() is False for control characters and every whitespace except the space.
    if not key.isprintable() or " " in key:
        raise InvalidCacheKeyError(key, "must not contain whitespace or control characters")
    return key


def validate_ttl(key: str, ttl_seconds: float | None) -> float | None:
    """Return ``ttl_seconds`` if it is None or a number in (0, MAX_TTL_SECONDS], else raise."""
    if ttl_seconds is None:
        return None
    if (
        isinstance(ttl_seconds, bool)
        or not isinstance(ttl_seconds, int | float)
        or not 0 < ttl_seconds <= MAX_TTL_SECONDS
    ):
        raise InvalidCacheTtlError(key, ttl_seconds)
    return float(ttl_seconds)


def validate_namespace(namespace: str) -> str:
    """Return ``namespace`` if empty or ``[A-Za-z0-9_.-]`` segments joined by ``:``."""
    if namespace and not _NAMESPACE.fullmatch(namespace):
        raise InvalidCacheNamespaceError(
            f"invalid cache namespace {namespace!r}: use [A-Za-z0-9_.-] segments joined by ':'"
        )
    return namespace


def encode_value(key: str, value: bytes | str) -> bytes:
    """Values are stored as bytes; a str is stored as its UTF-8 encoding."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(
        f"value for cache key {describe_key(key)} must be bytes or str, not {type(value).__name__}"
    )


def check_int64(key: str, value: int) -> int:
    """Counters are signed 64-bit, as in Redis, so every backend overflows at the same point."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise CacheValueError(f"incr on cache key {describe_key(key)} would overflow 64 bits")
    return value


class Cache(ABC):
    """A key/value cache. Keys live in the cache's namespace; values are bytes.

    Keys must be non-empty strings of at most 512 characters without whitespace
    or control characters (:class:`InvalidCacheKeyError` otherwise). A
    ``ttl_seconds`` must be > 0 and at most ten years (:class:`InvalidCacheTtlError`);
    None means the entry does not expire. An expired entry behaves exactly like
    a missing one. A backend that cannot be reached raises
    :class:`CacheUnavailableError`.
    """

    backend: ClassVar[str]

    def __init__(self, namespace: str = "") -> None:
        self._namespace = validate_namespace(namespace)
        self._prefix = f"{namespace}:" if namespace else ""

    @property
    def namespace(self) -> str:
        return self._namespace

    def namespaced(self, namespace: str) -> Self:
        """The same backing store (memory, connection pool) under another namespace."""
        view = copy.copy(self)
        view._namespace = validate_namespace(namespace)
        view._prefix = f"{namespace}:" if namespace else ""
        return view

    @abstractmethod
    def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or None when it is missing or expired."""

    @abstractmethod
    def set(self, key: str, value: bytes | str, *, ttl_seconds: float | None = None) -> None:
        """Store ``value`` under ``key``, replacing any value and any previous expiry."""

    @abstractmethod
    def add(self, key: str, value: bytes | str, *, ttl_seconds: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent, atomically; True when it was stored.

        Of any number of concurrent callers exactly one gets True, which makes it
        a lock or de-duplication primitive.
        """

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove ``key``; True when it existed."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """True when ``key`` holds an unexpired value."""

    @abstractmethod
    def ttl(self, key: str) -> float | None:
        """Seconds until ``key`` expires, or None when it is missing or has no expiry."""

    @abstractmethod
    def incr(self, key: str, amount: int = 1, *, ttl_seconds: float | None = None) -> int:
        """Add ``amount`` to the integer under ``key`` atomically and return the new value.

        A missing key counts as 0. ``ttl_seconds`` is applied only when this call
        creates the key and an existing expiry is kept, so a counter created with
        a TTL is a fixed-window rate limiter. The value is stored as decimal
        bytes (``get`` returns ``b"3"``); a value that is not a 64-bit integer,
        or a result that would overflow, raises :class:`CacheValueError`.
        """

    @abstractmethod
    def clear_namespace(self) -> int:
        """Delete every key of this namespace (and of namespaces nested under it).

        Returns how many keys were deleted. Without a namespace the cache owns
        the whole store (for Redis: the selected database) and all of it is cleared.
        """

    @abstractmethod
    def check(self) -> HealthStatus:
        """Probe the backend with a cheap call."""

    def get_json(self, key: str) -> Any | None:
        """The JSON value stored by :meth:`set_json`, or None when missing.

        A stored JSON ``null`` is indistinguishable from a missing key.
        """
        raw = self.get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise CacheValueError(
                f"value under cache key {describe_key(key)} is not valid UTF-8 JSON"
            ) from None

    def set_json(self, key: str, value: Any, *, ttl_seconds: float | None = None) -> None:
        """Store ``value`` as compact UTF-8 JSON."""
        try:
            encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"value for cache key {describe_key(key)} is not JSON-serializable: {exc}"
            ) from exc
        self.set(key, encoded, ttl_seconds=ttl_seconds)


__all__ = [
    "MAX_KEY_LENGTH",
    "MAX_TTL_SECONDS",
    "Cache",
    "validate_key",
    "validate_namespace",
    "validate_ttl",
]
