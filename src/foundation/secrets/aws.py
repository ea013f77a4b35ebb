"""Secrets from AWS Secrets Manager, cached in-process for a few minutes.

The cache spares a network call per request on warm Lambda containers; a
rotated secret is picked up within ``cache_ttl_seconds``. ``check()`` calls
ListSecrets (names only, no values), so the role needs ``secretsmanager:ListSecrets``
for the health check besides ``GetSecretValue`` on its own secrets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from foundation.errors import ConfigurationError
from foundation.health import HealthStatus, timed_check
from foundation.secrets.base import SecretStore, decode_secret, validate_secret_name
from foundation.secrets.exceptions import (
    MalformedSecretError,
    SecretNotFoundError,
    SecretsUnavailableError,
)

_THROTTLED = frozenset({"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"})


class AwsSecretStore(SecretStore):
    """Secrets Manager ``GetSecretValue``: ``SecretString``, or ``SecretBinary`` read as UTF-8.

    ``cache_ttl_seconds=0`` turns the cache off. ``clock`` (monotonic seconds)
    is injectable for tests. Throttling, 5xx answers, network errors and
    refusals such as AccessDenied or a KMS DecryptionFailure raise
    :class:`SecretsUnavailableError` naming the secret and the AWS error code.
    """

    backend = "secretsmanager"

    def __init__(
        self,
        *,
        client: Any = None,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        cache_ttl_seconds: float = 300,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cache_ttl_seconds < 0:
            raise ConfigurationError(f"cache_ttl_seconds must be >= 0, got {cache_ttl_seconds}")
        import botocore.exceptions  # noqa: PLC0415 - boto3 is an optional extra

        if client is None:
            import boto3  # noqa: PLC0415
            from botocore.config import Config  # noqa: PLC0415

            client = boto3.client(
                "secretsmanager",
                region_name=region,
                endpoint_url=endpoint_url,
                config=Config(
                    connect_timeout=2,
                    read_timeout=5,
                    retries={"mode": "standard", "max_attempts": 3},
                ),
            )
        self._client = client
        self._region: str = getattr(client.meta, "region_name", None) or region
        self._client_error = botocore.exceptions.ClientError
        self._botocore_error = botocore.exceptions.BotoCoreError
        self._cache_ttl = cache_ttl_seconds
        self._clock = clock
        # name -> (value, deadline). Racing fetches of one name store the same value.
        self._cache: dict[str, tuple[str, float]] = {}

    def get(self, name: str) -> str:
        name = validate_secret_name(name)
        now = self._clock()
        cached = self._cache.get(name)
        if cached is not None and cached[1] > now:
            return cached[0]
        value = self._fetch(name)
        if self._cache_ttl > 0:
            self._cache[name] = (value, now + self._cache_ttl)
        return value

    def _fetch(self, name: str) -> str:
        try:
            response = self._client.get_secret_value(SecretId=name)
        except self._client_error as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "Unknown")
            if code == "ResourceNotFoundException":
                raise SecretNotFoundError(
                    name, f"secret {name!r} not found in AWS Secrets Manager ({self._region})"
                ) from None
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            raise SecretsUnavailableError(
                f"AWS Secrets Manager ({self._region}) refused secret {name!r}: {code}",
                retry_after_seconds=1 if code in _THROTTLED or status >= 500 else None,
            ) from exc
        except self._botocore_error as exc:
            raise SecretsUnavailableError(
                f"AWS Secrets Manager ({self._region}) is unreachable for secret {name!r}: {exc}"
            ) from exc
        if "SecretString" in response:
            return str(response["SecretString"])
        if "SecretBinary" in response:
            return decode_secret(name, bytes(response["SecretBinary"]), "SecretBinary")
        raise MalformedSecretError(f"secret {name!r} has neither SecretString nor SecretBinary")

    def check(self) -> HealthStatus:
        def probe() -> str:
            try:
                self._client.list_secrets(MaxResults=1)
            except (self._client_error, self._botocore_error) as exc:
                raise SecretsUnavailableError(
                    f"AWS Secrets Manager ({self._region}) ListSecrets failed: {exc}"
                ) from exc
            return f"Secrets Manager reachable in {self._region}"

        return timed_check("secrets", self.backend, probe)


__all__ = ["AwsSecretStore"]
