"""Errors the twin reports when it cannot answer."""

from __future__ import annotations

from foundation.errors import (
    DependencyUnavailableError,
    FieldIssue,
    InvalidInputError,
    RateLimitedError,
)

# Retry-After when a provider failed without saying when to come back.
DEFAULT_RETRY_AFTER_SECONDS = 5
_SAVED = "your message is saved in the conversation; send it again to retry"


class InvalidMessageError(InvalidInputError):
    """A message that is empty after trimming, too long, or holds NUL characters."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, issues=[FieldIssue("message", detail)])


class TwinUnavailableError(DependencyUnavailableError):
    """The language model failed or ran out of time; the question was kept for a retry."""

    def __init__(self, cause: str, retry_after_seconds: int | None) -> None:
        seconds = retry_after_seconds or DEFAULT_RETRY_AFTER_SECONDS
        super().__init__(
            f"the twin cannot answer right now ({cause}); {_SAVED} in {seconds} s",
            retry_after_seconds=seconds,
        )


class TwinBusyError(RateLimitedError):
    """The language model provider throttled us; the question was kept for a retry."""

    def __init__(self, cause: str, retry_after_seconds: int) -> None:
        super().__init__(
            f"the twin is busy ({cause}); {_SAVED} in {retry_after_seconds} s",
            retry_after_seconds=retry_after_seconds,
        )


__all__ = [
    "DEFAULT_RETRY_AFTER_SECONDS",
    "InvalidMessageError",
    "TwinBusyError",
    "TwinUnavailableError",
]
