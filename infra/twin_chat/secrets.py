"""The LLM provider's API key in Secrets Manager, under a rotating customer-managed key."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import TwinChatConfig
from infra.constructs import acknowledge


class TwinSecrets(Construct):
    """``secret`` (``digital-twin-chat/{env}/llm-api-key``) encrypted with ``key``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: TwinChatConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{config.stack_name}-secrets",
            description=f"Encrypts the secrets of {config.stack_name}",
            enable_key_rotation=True,
            # The secret is unreadable without its key: they share the data removal policy.
            removal_policy=config.data_removal_policy,
        )
        self.secret = secretsmanager.Secret(
            self,
            "LlmApiKey",
            secret_name=config.secret_name,
            description=(
                "API key of the twin's LLM provider (OpenAI-compatible endpoints); "
                "set it with aws secretsmanager put-secret-value after the first deploy"
            ),
            encryption_key=self.key,
            removal_policy=config.data_removal_policy,
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "A third-party provider's API key: it is issued and rotated by that provider, "
            "then stored here with put-secret-value; no rotation Lambda can mint a new one.",
        )
