"""One settings object for every app, read from ``SKYLINE_*`` variables and ``.env``.

Each port has a backend choice: the embedded local adapter by default, or the
AWS adapter. Nothing here opens a connection; :mod:`foundation.adapters` builds
adapters from these values.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from foundation.errors import ConfigurationError

ENV_PREFIX = "SKYLINE_"
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password", "example"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Process-wide configuration. Field ``x`` is read from ``SKYLINE_X``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Field(default=Path(".data"), description="Root of every local adapter's files")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_request_bytes: int = Field(default=10 * 1024 * 1024, gt=0)

    # Which adapter serves each port.
    object_store_backend: Literal["local", "s3"] = "local"
    table_backend: Literal["local", "dynamodb"] = "local"
    stream_backend: Literal["local", "kinesis"] = "local"
    warehouse_backend: Literal["duckdb", "redshift"] = "duckdb"
    cache_backend: Literal["auto", "memory", "redis"] = Field(
        default="auto", description="auto: Redis when a Redis URL is set, else in-process"
    )
    secrets_backend: Literal["local", "aws"] = "local"
    identity_backend: Literal["local", "cognito"] = "local"
    llm_backend: Literal["offline", "bedrock", "openai"] = "offline"

    # Names of the default resources the foundation itself uses (each system names its own).
    default_bucket: str = "skyline-data"
    default_table: str = "skyline"
    default_stream: str = "skyline-events"
    default_warehouse: str = "skyline"

    # AWS connection; an endpoint URL points every client at an emulator such as moto_server.
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = None

    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SKYLINE_REDIS_URL", "REDIS_URL")
    )

    redshift_workgroup: str | None = None
    redshift_database: str = "dev"
    redshift_copy_role_arn: str | None = None

    cognito_user_pool_id: str | None = None
    cognito_client_id: str | None = None

    bedrock_model_id: str = "anthropic.claude-3-haiku-20240307-v1:0"
    openai_base_url: str = "http://127.0.0.1:11434/v1"
    openai_model: str = "llama3.1"
    llm_api_key_secret: str = Field(
        default="skyline/llm-api-key", description="Secret holding the LLM provider's API key"
    )
    llm_timeout_seconds: float = Field(default=25.0, gt=0)

    local_issuer_url: str = "http://127.0.0.1:8000/auth"
    local_issuer_password: SecretStr | None = Field(
        default=None,
        description="Password the local token issuer accepts; required outside development",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_outside_development(self) -> Settings:
        if self.environment is Environment.DEVELOPMENT:
            return self
        if self.identity_backend == "local":
            password = self.local_issuer_password
            if password is None or password.get_secret_value().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    f"{ENV_PREFIX}LOCAL_ISSUER_PASSWORD must be set to a real secret when "
                    f"{ENV_PREFIX}ENVIRONMENT={self.environment.value} "
                    "uses the local identity issuer"
                )
        if self.cache_backend == "redis" and not self.redis_url:
            raise ValueError(
                f"{ENV_PREFIX}REDIS_URL is required when {ENV_PREFIX}CACHE_BACKEND=redis"
            )
        return self

    @property
    def effective_cache_backend(self) -> Literal["memory", "redis"]:
        if self.cache_backend == "auto":
            return "redis" if self.redis_url else "memory"
        return self.cache_backend

    def local_path(self, *parts: str) -> Path:
        """A path under the data directory, created on first use."""
        path = self.data_dir.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path


def describe_validation_error(error: ValidationError) -> str:
    """Name each bad variable by its environment name, not the Python field."""
    lines = []
    for issue in error.errors():
        location = issue.get("loc") or ()
        message = str(issue["msg"]).removeprefix("Value error, ")
        lines.append(f"{ENV_PREFIX}{str(location[0]).upper()}: {message}" if location else message)
    return "; ".join(lines)


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into one clear message."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(f"invalid settings: {describe_validation_error(exc)}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


__all__ = ["ENV_PREFIX", "Environment", "Settings", "get_settings", "load_settings"]
