"""Errors raised by the secrets port. Messages name the secret, never its value."""

from __future__ import annotations

from foundation.errors import (
    ConfigurationError,
    DependencyUnavailableError,
    InvalidInputError,
    NotFoundError,
)


class SecretNotFoundError(NotFoundError):
    """No secret by that name in the store."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name


class InvalidSecretNameError(InvalidInputError):
    """A name that is empty, too long, uses other characters than ``A-Za-z0-9/_+=.@-``,
    or has empty, ``.`` or ``..`` path segments."""


class MalformedSecretError(ConfigurationError):
    """A secret whose content is not what the caller needs (UTF-8 text, a JSON object)."""


class SecretsUnavailableError(DependencyUnavailableError):
    """The secret store could not be reached, throttled us, or refused access."""


__all__ = [
    "InvalidSecretNameError",
    "MalformedSecretError",
    "SecretNotFoundError",
    "SecretsUnavailableError",
]
