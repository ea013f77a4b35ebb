"""The secrets port: read a named secret as text or as a JSON object.

Names follow AWS Secrets Manager's alphabet (``A-Za-z0-9/_+=.@-``, at most 512
characters) and are also relative paths: no leading ``/``, no empty, ``.`` or
``..`` segments. So the same name works in every adapter and can never escape
the local secrets directory.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from foundation.errors import FieldIssue
from foundation.health import HealthStatus
from foundation.secrets.exceptions import InvalidSecretNameError, MalformedSecretError

MAX_SECRET_NAME_LENGTH = 512
_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]+")
_SHOWN_NAME_CHARS = 100


def _invalid_name(name: object, reason: str) -> InvalidSecretNameError:
    shown = repr(name[:_SHOWN_NAME_CHARS] if isinstance(name, str) else name)
    return InvalidSecretNameError(
        f"invalid secret name {shown}: {reason}", issues=[FieldIssue("name", reason, shown)]
    )


def validate_secret_name(name: object) -> str:
    """Return ``name`` if it is a valid secret name, else raise :class:`InvalidSecretNameError`."""
    if not isinstance(name, str):
        raise _invalid_name(name, f"must be a str, not {type(name).__name__}")
    if not name:
        raise _invalid_name(name, "must not be empty")
    if len(name) > MAX_SECRET_NAME_LENGTH:
        raise _invalid_name(name, f"must be at most {MAX_SECRET_NAME_LENGTH} characters")
    if not _NAME.fullmatch(name):
        raise _invalid_name(name, "may only contain A-Z a-z 0-9 and / _ + = . @ -")
    if any(segment in ("", ".", "..") for segment in name.split("/")):
        raise _invalid_name(name, "must be a relative path without empty, '.' or '..' segments")
    return name


def decode_secret(name: str, raw: bytes, source: str) -> str:
    """UTF-8 text of a secret stored as bytes."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        pass
    # Raised outside the except block: the decode error holds the secret's bytes
    # and must not travel along as __context__ into logs.
    raise MalformedSecretError(f"secret {name!r} from {source} is not UTF-8 text")


class SecretStore(ABC):
    """Read-only access to named secrets.

    Errors name the secret and never include its value: an unknown name raises
    :class:`SecretNotFoundError`, an invalid one :class:`InvalidSecretNameError`,
    a store that cannot be reached :class:`SecretsUnavailableError`.
    """

    backend: ClassVar[str]

    @abstractmethod
    def get(self, name: str) -> str:
        """The secret's text."""

    @abstractmethod
    def check(self) -> HealthStatus:
        """Probe the store with a cheap call that reads no secret value."""

    def get_json(self, name: str) -> dict[str, Any]:
        """The secret parsed as a JSON object (the shape of Secrets Manager key/value secrets).

        Anything else raises :class:`MalformedSecretError` naming the secret, not its content.
        """
        text = self.get(name)
        try:
            parsed: Any = json.loads(text)
            found = f"JSON {type(parsed).__name__}"
        except ValueError:
            parsed, found = None, "invalid JSON"
        if isinstance(parsed, dict):
            return parsed
        # Raised outside the except block so the decoder error, which quotes the
        # document, is not chained to it.
        raise MalformedSecretError(f"secret {name!r} is not a JSON object: found {found}")


__all__ = ["MAX_SECRET_NAME_LENGTH", "SecretStore", "decode_secret", "validate_secret_name"]
