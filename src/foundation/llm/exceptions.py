"""Errors raised by chat models and the tool-calling loop."""

from __future__ import annotations

from foundation.errors import BadRequestError, DependencyUnavailableError, RateLimitedError


class LlmRequestError(BadRequestError):
    """The request cannot be answered as sent (empty conversation, too long, rejected input)."""


class LlmRateLimitedError(RateLimitedError):
    """The model provider throttled the call; retry after ``retry_after_seconds``."""


class LlmUnavailableError(DependencyUnavailableError):
    """The model provider did not answer in time, failed, or answered with something unusable."""


class ToolLoopError(DependencyUnavailableError):
    """The model kept asking for tools and never produced an answer within the allowed rounds."""


__all__ = ["LlmRateLimitedError", "LlmRequestError", "LlmUnavailableError", "ToolLoopError"]
