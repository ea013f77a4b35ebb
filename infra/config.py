"""Explicit per-environment props for every stack; the only place environments differ.

Environments are the foundation's ``development`` / ``staging`` / ``production``;
``dev`` / ``staging`` / ``prod`` (the seed's deploy-script spelling) are
accepted as aliases, and the short form is what resource names carry
(``digital-twin-chat-dev``, secret ``digital-twin-chat/dev/llm-api-key``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

from foundation.settings import Environment

SHORT_NAMES = {
    Environment.DEVELOPMENT: "dev",
    Environment.STAGING: "staging",
    Environment.PRODUCTION: "prod",
}
_ALIASES = {name: env for env, name in SHORT_NAMES.items()} | {
    env.value: env for env in Environment
}

# On-demand foundation models only: a cross-region inference profile id (``us.``, ``eu.``...)
# would need grants on every region the profile routes to, which no exact ARN can name.
_FOUNDATION_MODEL_ID = re.compile(r"^[a-z0-9-]+\.[A-Za-z0-9.:_-]+$")
_INFERENCE_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.")
LOCAL_FRONTEND_ORIGINS = ("http://localhost:8000", "http://127.0.0.1:8000")
TWIN_CHAT_SYSTEM = "digital-twin-chat"


def resolve_environment(name: str) -> Environment:
    """``dev`` / ``development`` ... to the environment, with a clear error for anything else."""
    try:
        return _ALIASES[name.strip().lower()]
    except KeyError:
        choices = ", ".join(sorted(_ALIASES))
        raise ValueError(f"unknown environment {name!r} for env: choose one of {choices}") from None


@dataclass(frozen=True, slots=True)
class TwinChatConfig:
    """Props of the Digital Twin Chat stack for one environment."""

    environment: Environment
    bedrock_model_id: str = "anthropic.claude-3-haiku-20240307-v1:0"
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    reserved_concurrency: int | None = None
    # Data (memory bucket, secret and its key, logs) survives stack deletion unless DESTROY.
    data_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    auto_delete_objects: bool = False
    # A visitor's "forget me" deletes the current object; old versions expire after this.
    noncurrent_version_expiration_days: int = 30
    intelligent_tiering_after_days: int = 30
    extra_cors_origins: tuple[str, ...] = ()
    alarm_email: str | None = None
    api_5xx_threshold: int = 5
    api_4xx_rate_percent: float = 20.0
    # With both set, CloudFront serves the domain with TLS 1.2 (2021 policy) as the minimum.
    domain_name: str | None = None
    certificate_arn: str | None = None
    account: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        model = self.bedrock_model_id
        if model.startswith(_INFERENCE_PROFILE_PREFIXES) or not _FOUNDATION_MODEL_ID.match(model):
            raise ValueError(
                f"bedrock_model_id {model!r} must be an on-demand foundation model id "
                "(provider.model), so that IAM can name its exact ARN"
            )
        if self.auto_delete_objects and (
            self.environment is not Environment.DEVELOPMENT
            or self.data_removal_policy is not RemovalPolicy.DESTROY
        ):
            raise ValueError(
                "auto_delete_objects is allowed only in development with data_removal_policy "
                f"DESTROY (environment={self.environment.value})"
            )
        if self.environment is Environment.PRODUCTION and (
            self.data_removal_policy is not RemovalPolicy.RETAIN
        ):
            raise ValueError("data_removal_policy must be RETAIN in production")
        if (self.domain_name is None) != (self.certificate_arn is None):
            raise ValueError("domain_name and certificate_arn must be given together")
        if self.certificate_arn is not None and ":us-east-1:" not in self.certificate_arn:
            raise ValueError("certificate_arn must be an ACM certificate in us-east-1 (CloudFront)")

    @property
    def short_name(self) -> str:
        return SHORT_NAMES[self.environment]

    @property
    def stack_name(self) -> str:
        """Also the prefix of every named resource (function, log groups, API, topic...)."""
        return f"{TWIN_CHAT_SYSTEM}-{self.short_name}"

    @property
    def secret_name(self) -> str:
        return f"{TWIN_CHAT_SYSTEM}/{self.short_name}/llm-api-key"

    @property
    def function_log_group_name(self) -> str:
        return f"/aws/lambda/{self.stack_name}"


TWIN_CHAT = {
    Environment.DEVELOPMENT: TwinChatConfig(
        environment=Environment.DEVELOPMENT,
        log_retention=logs.RetentionDays.ONE_WEEK,
        data_removal_policy=RemovalPolicy.DESTROY,
        auto_delete_objects=True,
        noncurrent_version_expiration_days=7,
        extra_cors_origins=LOCAL_FRONTEND_ORIGINS,
        api_5xx_threshold=10,
        api_4xx_rate_percent=50.0,
    ),
    Environment.STAGING: TwinChatConfig(
        environment=Environment.STAGING,
        log_retention=logs.RetentionDays.ONE_MONTH,
    ),
    Environment.PRODUCTION: TwinChatConfig(
        environment=Environment.PRODUCTION,
        log_retention=logs.RetentionDays.THREE_MONTHS,
        # Reserved from the account's pool: lower it where the concurrency quota is small.
        reserved_concurrency=100,
        api_5xx_threshold=5,
        api_4xx_rate_percent=20.0,
    ),
}


def twin_chat_config(
    environment: str,
    *,
    account: str | None = None,
    region: str | None = None,
    domain_name: str | None = None,
    certificate_arn: str | None = None,
) -> TwinChatConfig:
    """The Digital Twin Chat props for ``environment`` (an alias is fine).

    The keyword arguments are deployment-specific values given on the command line;
    ``None`` keeps the environment's own value.
    """
    config = TWIN_CHAT[resolve_environment(environment)]
    return replace(
        config,
        account=account or config.account,
        region=region or config.region,
        domain_name=domain_name or config.domain_name,
        certificate_arn=certificate_arn or config.certificate_arn,
    )


__all__ = [
    "LOCAL_FRONTEND_ORIGINS",
    "SHORT_NAMES",
    "TWIN_CHAT",
    "TWIN_CHAT_SYSTEM",
    "TwinChatConfig",
    "resolve_environment",
    "twin_chat_config",
]
