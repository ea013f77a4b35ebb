"""Errors shared by every capability.

Domain code raises these (or a capability's subclass of them); it never raises
HTTP exceptions. The web layer maps each class to an RFC 9457 problem document
with the status given here, so the status of an error is decided in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldIssue:
    """One thing wrong with one input field, as shown to the caller."""

    field: str
    message: str
    value: Any = None


class AppError(Exception):
    """Base of every error that the application means to report to a caller."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    code: ClassVar[str] = "internal-error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class BadRequestError(AppError):
    status = 400
    title = "Bad request"
    code = "bad-request"


class AuthenticationError(AppError):
    status = 401
    title = "Authentication required"
    code = "unauthenticated"


class PermissionDeniedError(AppError):
    status = 403
    title = "Permission denied"
    code = "forbidden"


class NotFoundError(AppError):
    status = 404
    title = "Not found"
    code = "not-found"


class ConflictError(AppError):
    status = 409
    title = "Conflict"
    code = "conflict"


class PayloadTooLargeError(AppError):
    status = 413
    title = "Payload too large"
    code = "payload-too-large"


class InvalidInputError(AppError):
    """Input that parsed but breaks a rule; carries one issue per bad field."""

    status = 422
    title = "Invalid input"
    code = "invalid-input"

    def __init__(self, detail: str, issues: list[FieldIssue] | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.issues = issues or []


class RateLimitedError(AppError):
    status = 429
    title = "Too many requests"
    code = "rate-limited"

    def __init__(self, detail: str, retry_after_seconds: int = 1, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after_seconds = retry_after_seconds


class DependencyUnavailableError(AppError):
    """A backing service (store, queue, model provider) did not answer in time."""

    status = 503
    title = "Service unavailable"
    code = "dependency-unavailable"

    def __init__(self, detail: str, retry_after_seconds: int | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after_seconds = retry_after_seconds


class ConfigurationError(AppError):
    """Settings that cannot work; raised at start-up, never per request."""

    title = "Configuration error"
    code = "configuration-error"


__all__ = [
    "AppError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "DependencyUnavailableError",
    "FieldIssue",
    "InvalidInputError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
]
