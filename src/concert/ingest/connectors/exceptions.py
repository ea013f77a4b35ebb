"""Errors raised by the API connectors.

Each names the API and the endpoint (``spotify GET /search``) and subclasses the
shared error whose HTTP status fits. Messages never include credentials: query
parameters that carry secrets are removed before an endpoint is described.
"""

from __future__ import annotations

from foundation.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DependencyUnavailableError,
    FieldIssue,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)


class ApiRateLimitedError(RateLimitedError):
    """The API kept answering 429 until the retry budget ran out."""


class ApiUnavailableError(DependencyUnavailableError):
    """Server errors (5xx), timeouts or connection failures outlasted the retry budget."""


class ApiResponseError(DependencyUnavailableError):
    """The API answered 2xx with a body that is not JSON or not in the documented shape."""


class ApiAuthenticationError(AuthenticationError):
    """The API refused the credentials (401, or the token endpoint's ``invalid_client``)."""


class ApiPermissionError(PermissionDeniedError):
    """The API answered 403: the credentials may not use this endpoint."""


class ApiNotFoundError(NotFoundError):
    """The API answered 404 for the requested resource."""


class ApiRequestError(BadRequestError):
    """The API rejected the request (a 4xx other than 401, 403, 404 and 429)."""


class MissingCredentialsError(ConfigurationError):
    """A connector's secret is missing or lacks a field; the message says how to set it."""


class UnmappableRecordError(InvalidInputError):
    """One source item cannot become a model record; it is rejected, never dropped."""

    def __init__(self, field: str, reason: str, *, key: str | None = None) -> None:
        super().__init__(f"{field}: {reason}", issues=[FieldIssue(field, reason)], key=key)
        self.field = field
        self.reason = reason
        self.key = key


__all__ = [
    "ApiAuthenticationError",
    "ApiNotFoundError",
    "ApiPermissionError",
    "ApiRateLimitedError",
    "ApiRequestError",
    "ApiResponseError",
    "ApiUnavailableError",
    "MissingCredentialsError",
    "UnmappableRecordError",
]
