"""Cache port: bytes under validated string keys with optional TTLs, atomic ``add`` (locks,
de-duplication) and atomic ``incr`` (counters, fixed-window rate limits). :class:`MemoryCache`
is the in-process default; :class:`RedisCache` serves Redis and ElastiCache (``rediss://``
for TLS) and is chosen when a Redis URL is configured. Keys live under a namespace, and
``clear_namespace`` deletes only that namespace's keys.
"""

from foundation.cache.base import MAX_KEY_LENGTH, MAX_TTL_SECONDS, Cache
from foundation.cache.exceptions import (
    CacheUnavailableError,
    CacheValueError,
    InvalidCacheKeyError,
    InvalidCacheNamespaceError,
    InvalidCacheTtlError,
)
from foundation.cache.memory import MemoryCache
from foundation.cache.redis_cache import RedisCache

__all__ = [
    "MAX_KEY_LENGTH",
    "MAX_TTL_SECONDS",
    "Cache",
    "CacheUnavailableError",
    "CacheValueError",
    "InvalidCacheKeyError",
    "InvalidCacheNamespaceError",
    "InvalidCacheTtlError",
    "MemoryCache",
    "RedisCache",
]
