"""Errors raised by the identity port; each names the claim, header or file at fault."""

from __future__ import annotations

from enum import StrEnum

from foundation.errors import AuthenticationError, ConfigurationError, DependencyUnavailableError


class InvalidTokenReason(StrEnum):
    """Why a bearer token was refused; also sent to the caller as the problem's ``reason``."""

    MALFORMED = "malformed"
    UNSUPPORTED_ALGORITHM = "unsupported-algorithm"
    UNKNOWN_KEY = "unknown-key"
    BAD_SIGNATURE = "bad-signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    WRONG_ISSUER = "wrong-issuer"
    WRONG_AUDIENCE = "wrong-audience"
    WRONG_TOKEN_USE = "wrong-token-use"  # noqa: S105 - a reason code, not a secret


class InvalidTokenError(AuthenticationError):
    """A bearer token that cannot be trusted. The message never contains the token."""

    title = "Invalid token"
    code = "invalid-token"

    def __init__(self, reason: InvalidTokenReason, detail: str) -> None:
        super().__init__(detail, reason=reason.value)
        self.reason = reason

    @property
    def www_authenticate(self) -> str:
        """Value for the ``WWW-Authenticate`` response header (RFC 6750 section 3)."""
        # error_description must not hold '"' or '\'.
        description = self.detail.replace('"', "'").replace("\\", "/")
        return f'Bearer error="invalid_token", error_description="{description}"'


class JwksUnavailableError(DependencyUnavailableError):
    """The issuer's JSON Web Key Set could not be fetched or holds no usable signing key."""


class SigningKeyError(ConfigurationError):
    """The local issuer's key file is unreadable, not an RSA key, or readable by others."""


__all__ = ["InvalidTokenError", "InvalidTokenReason", "JwksUnavailableError", "SigningKeyError"]
