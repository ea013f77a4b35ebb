"""Per-environment props: aliases, names, and the combinations refused up front."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aws_cdk import RemovalPolicy
from infra.config import TWIN_CHAT, resolve_environment, twin_chat_config

from foundation.settings import Environment

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dev", Environment.DEVELOPMENT),
        ("development", Environment.DEVELOPMENT),
        ("staging", Environment.STAGING),
        ("prod", Environment.PRODUCTION),
        (" Production ", Environment.PRODUCTION),
    ],
)
def test_environment_aliases_resolve(name: str, expected: Environment) -> None:
    assert resolve_environment(name) is expected


def test_unknown_environment_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown environment 'qa' for env: .*prod"):
        resolve_environment("qa")


def test_names_use_the_short_environment() -> None:
    config = twin_chat_config("production")
    assert config.stack_name == "digital-twin-chat-prod"
    assert config.secret_name == "digital-twin-chat/prod/llm-api-key"
    assert config.function_log_group_name == "/aws/lambda/digital-twin-chat-prod"


def test_command_line_values_override_only_what_they_name() -> None:
    config = twin_chat_config("dev", account="123456789012", region=None)
    assert (config.account, config.region) == ("123456789012", None)
    assert config.log_retention == TWIN_CHAT[Environment.DEVELOPMENT].log_retention


def test_only_development_destroys_data_with_its_objects() -> None:
    assert TWIN_CHAT[Environment.DEVELOPMENT].auto_delete_objects
    for environment in (Environment.STAGING, Environment.PRODUCTION):
        config = TWIN_CHAT[environment]
        assert config.data_removal_policy is RemovalPolicy.RETAIN
        assert not config.auto_delete_objects
    with pytest.raises(ValueError, match="auto_delete_objects is allowed only in development"):
        replace(
            TWIN_CHAT[Environment.STAGING],
            data_removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
    with pytest.raises(ValueError, match="RETAIN in production"):
        replace(TWIN_CHAT[Environment.PRODUCTION], data_removal_policy=RemovalPolicy.DESTROY)


@pytest.mark.parametrize(
    "model_id", ["us.anthropic.claude-3-5-haiku-20241022-v1:0", "claude", "anthropic.*"]
)
def test_model_must_be_one_exact_foundation_model(model_id: str) -> None:
    with pytest.raises(ValueError, match="bedrock_model_id"):
        replace(TWIN_CHAT[Environment.DEVELOPMENT], bedrock_model_id=model_id)


def test_custom_domain_needs_a_us_east_1_certificate() -> None:
    with pytest.raises(ValueError, match="together"):
        twin_chat_config("prod", domain_name="twin.example.com")
    with pytest.raises(ValueError, match="us-east-1"):
        twin_chat_config(
            "prod",
            domain_name="twin.example.com",
            certificate_arn=CERTIFICATE.replace("us-east-1", "eu-west-1"),
        )
    config = twin_chat_config("prod", domain_name="twin.example.com", certificate_arn=CERTIFICATE)
    assert config.certificate_arn == CERTIFICATE
