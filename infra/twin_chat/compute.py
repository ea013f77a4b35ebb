"""The twin's Lambda: the real FastAPI app (Mangum) on Python 3.12, ARM64, 1 GB, 30 s."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import TWIN_CHAT_SYSTEM, TwinChatConfig
from infra.constructs import acknowledge

HANDLER = "twin_chat.api.lambda_handler.handler"
RUNTIME = lambda_.Runtime.PYTHON_3_12
MEMORY_MB = 1024
TIMEOUT = Duration.seconds(30)


def twin_lambda_environment(
    config: TwinChatConfig,
    *,
    region: str,
    memory_bucket: str,
    cors_origins: Sequence[str],
) -> dict[str, str]:
    """The ``SKYLINE_*`` variables that select the AWS adapters (the contract's list).

    Values may be CDK tokens (bucket name, region); they resolve at deploy time.
    """
    return {
        "SKYLINE_ENVIRONMENT": config.environment.value,
        "SKYLINE_OBJECT_STORE_BACKEND": "s3",
        "SKYLINE_SECRETS_BACKEND": "aws",
        "SKYLINE_LLM_BACKEND": "bedrock",
        # The twin verifies no tokens; "cognito" keeps the local issuer, which refuses to
        # start outside development without a password, out of the function.
        "SKYLINE_IDENTITY_BACKEND": "cognito",
        "SKYLINE_BEDROCK_MODEL_ID": config.bedrock_model_id,
        "SKYLINE_AWS_REGION": region,
        "SKYLINE_LLM_API_KEY_SECRET": config.secret_name,
        "SKYLINE_TWIN_MEMORY_BUCKET": memory_bucket,
        "SKYLINE_TWIN_LLM_API_KEY_SECRET": config.secret_name,
        "SKYLINE_TWIN_CORS_ORIGINS": json.dumps(list(cors_origins)),
        "SKYLINE_DATA_DIR": "/tmp/skyline",  # noqa: S108 - Lambda's only writable directory
        "POWERTOOLS_SERVICE_NAME": TWIN_CHAT_SYSTEM,
    }


class TwinFunction(Construct):
    """``function`` running ``twin_chat.api.lambda_handler.handler`` from ``bundle_dir``,
    logging to ``log_group`` (its retention from the config), traced with X-Ray."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TwinChatConfig,
        bundle_dir: Path,
        role: iam.IRole,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=config.function_log_group_name,
            retention=config.log_retention,
            removal_policy=config.data_removal_policy,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=config.stack_name,
            description="Digital Twin Chat API (FastAPI through Mangum)",
            code=lambda_.Code.from_asset(str(bundle_dir)),
            handler=HANDLER,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
            role=role,
            environment=environment,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            reserved_concurrent_executions=config.reserved_concurrency,
        )
        # Active tracing adds xray:PutTraceSegments/PutTelemetryRecords to the role's default
        # policy; X-Ray has no resource-level permissions for them, so "*" is the only resource.
        acknowledge(
            role.node.find_child("DefaultPolicy"),
            "AwsSolutions-IAM5",
            "X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level "
            "permissions: AWS requires Resource '*' for them.",
            finding="Resource::*",
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Python 3.12 on purpose: the bundle's native wheels (pydantic-core) are built for "
            "cp312 on aarch64 by infra/bundling.py; move both together.",
        )
