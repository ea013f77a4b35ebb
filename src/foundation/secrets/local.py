"""Secrets from environment variables, then from files in a directory.

The variable for a name is ``SKYLINE_SECRET_`` plus the name upper-cased with
every other character than A-Z and 0-9 replaced by ``_``. Files suit Docker and
Kubernetes secret mounts: ``<directory>/<name>``, one trailing newline removed.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Mapping
from pathlib import Path

from foundation.health import HealthStatus, timed_check
from foundation.secrets.base import SecretStore, decode_secret, validate_secret_name
from foundation.secrets.exceptions import SecretNotFoundError, SecretsUnavailableError

SECRET_ENV_PREFIX = "SKYLINE_SECRET_"  # noqa: S105 - a variable prefix, not a secret
_NOT_ALPHANUMERIC = re.compile(r"[^A-Z0-9]")


def secret_env_var(name: str) -> str:
    """The environment variable that holds secret ``name``.

    ``digital-twin-chat/dev/llm-api-key`` -> ``SKYLINE_SECRET_DIGITAL_TWIN_CHAT_DEV_LLM_API_KEY``.
    Names differing only in punctuation or case share a variable.
    """
    return SECRET_ENV_PREFIX + _NOT_ALPHANUMERIC.sub("_", validate_secret_name(name).upper())


class LocalSecretStore(SecretStore):
    """Environment first, then ``directory`` (when given).

    An empty variable counts as unset, so an empty ``FOO=`` line in a ``.env``
    file cannot hide the file or turn a missing secret into an empty one.
    ``environ`` defaults to the live ``os.environ``.
    """

    backend = "local"

    def __init__(
        self, directory: Path | None = None, *, environ: Mapping[str, str] | None = None
    ) -> None:
        self._directory = directory
        self._environ: Mapping[str, str] = os.environ if environ is None else environ

    def get(self, name: str) -> str:
        name = validate_secret_name(name)
        variable = secret_env_var(name)
        value = self._environ.get(variable)
        if value:
            return value
        if self._directory is None:
            raise SecretNotFoundError(name, f"secret {name!r} not found: set {variable}")
        path = self._directory / name
        try:
            raw = path.read_bytes()
        except OSError as exc:
            # A name the file system cannot hold (a segment over 255 bytes) cannot exist either.
            if isinstance(exc, FileNotFoundError | IsADirectoryError | NotADirectoryError) or (
                exc.errno == errno.ENAMETOOLONG
            ):
                raise SecretNotFoundError(
                    name, f"secret {name!r} not found: set {variable} or create {path}"
                ) from None
            raise SecretsUnavailableError(
                f"secret {name!r} could not be read from {path}: {exc.strerror}"
            ) from exc
        text = decode_secret(name, raw, str(path))
        return text.removesuffix("\n").removesuffix("\r")

    def check(self) -> HealthStatus:
        def probe() -> str:
            source = f"environment ({SECRET_ENV_PREFIX}*)"
            if self._directory is None:
                return source
            if not self._directory.is_dir():
                raise SecretsUnavailableError(f"secrets directory {self._directory} does not exist")
            return f"{source}, then files in {self._directory}"

        return timed_check("secrets", self.backend, probe)


__all__ = ["SECRET_ENV_PREFIX", "LocalSecretStore", "secret_env_var"]
