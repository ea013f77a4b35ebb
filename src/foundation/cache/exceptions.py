"""Errors raised by the cache port; each names the key or namespace at fault."""

from __future__ import annotations

from foundation.errors import (
    AppError,
    ConfigurationError,
    DependencyUnavailableError,
    FieldIssue,
    InvalidInputError,
)

_SHOWN_KEY_CHARS = 80


def describe_key(key: object) -> str:
    """A key as it may appear in a message: repr-escaped and cut short."""
    if isinstance(key, str) and len(key) > _SHOWN_KEY_CHARS:
        return f"{key[:_SHOWN_KEY_CHARS]!r}... ({len(key)} chars)"
    return repr(key)


class InvalidCacheKeyError(InvalidInputError):
    """A key that is empty, too long, not a string, or holds whitespace/control characters."""

    def __init__(self, key: object, reason: str) -> None:
        shown = describe_key(key)
        super().__init__(
            f"invalid cache key {shown}: {reason}",
            issues=[FieldIssue("key", reason, shown)],
        )
        self.key = key


class InvalidCacheTtlError(InvalidInputError):
    """A ``ttl_seconds`` that is not a number greater than zero and at most ten years."""

    def __init__(self, key: str, ttl_seconds: object) -> None:
        reason = f"ttl_seconds must be a number > 0 and at most ten years, got {ttl_seconds!r}"
        super().__init__(
            f"invalid ttl for cache key {describe_key(key)}: {reason}",
            issues=[FieldIssue("ttl_seconds", reason, ttl_seconds)],
        )
        self.key = key


class InvalidCacheNamespaceError(ConfigurationError):
    """A namespace that is not made of ``[A-Za-z0-9_.-]`` segments joined by ``:``."""


class CacheValueError(AppError):
    """A stored value does not fit the operation: not an integer for incr, not JSON for get_json.

    The cache is written only by the application, so this is a bug (500), not bad input.
    """

    title = "Unexpected cache value"
    code = "cache-value-error"


class CacheUnavailableError(DependencyUnavailableError):
    """The cache server could not be reached or refused the command."""


__all__ = [
    "CacheUnavailableError",
    "CacheValueError",
    "InvalidCacheKeyError",
    "InvalidCacheNamespaceError",
    "InvalidCacheTtlError",
]
