"""The twin's own settings, read from ``SKYLINE_TWIN_*`` variables and ``.env``.

Ports and provider choices stay in :class:`foundation.settings.Settings`; these
name the twin's resources and limits.
"""

from __future__ import annotations

import re

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from foundation.errors import ConfigurationError
from foundation.settings import describe_validation_error

TWIN_ENV_PREFIX = "SKYLINE_TWIN_"


class TwinSettings(BaseSettings):
    """Field ``x`` is read from ``SKYLINE_TWIN_X``; lists such as ``cors_origins`` as JSON."""

    model_config = SettingsConfigDict(
        env_prefix=TWIN_ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    memory_bucket: str = "twin-memory"
    persona_key: str = "me.txt"
    persona_pdf_key: str = "linkedin.pdf"
    style_key: str = "style.md"
    max_message_chars: int = Field(default=4000, ge=1)
    recent_turns: int = Field(default=12, ge=1, description="Exchanges sent to the model verbatim")
    llm_api_key_secret: str = "digital-twin-chat/dev/llm-api-key"  # noqa: S105 - a name
    cors_origins: list[str] = Field(default_factory=list)

    # Beyond the shared contract: limits that keep requests, prompts and objects bounded.
    max_request_bytes: int = Field(
        default=64 * 1024, gt=0, description="Largest request body accepted (413 above)"
    )
    max_stored_turns: int = Field(
        default=200,
        ge=1,
        description="Exchanges kept in a conversation object; older ones live on in its summary",
    )
    persona_prompt_chars: int = Field(
        default=24_000,
        ge=1000,
        description="Persona text sent to a model; above it, the passages matching the question",
    )
    max_answer_tokens: int = Field(default=800, ge=1)

    @model_validator(mode="after")
    def _window_fits_in_storage(self) -> TwinSettings:
        if self.max_stored_turns < self.recent_turns:
            raise ValueError(
                f"{TWIN_ENV_PREFIX}MAX_STORED_TURNS ({self.max_stored_turns}) must be at least "
                f"{TWIN_ENV_PREFIX}RECENT_TURNS ({self.recent_turns})"
            )
        return self


def load_twin_settings() -> TwinSettings:
    """Read the twin's settings, turning validation errors into one clear message."""
    try:
        return TwinSettings()
    except ValidationError as exc:
        # The shared describer names variables with the SKYLINE_ prefix; ours carry TWIN_.
        detail = re.sub(r"\bSKYLINE_(?!TWIN_)", TWIN_ENV_PREFIX, describe_validation_error(exc))
        raise ConfigurationError(f"invalid twin settings: {detail}") from exc


__all__ = ["TWIN_ENV_PREFIX", "TwinSettings", "load_twin_settings"]
