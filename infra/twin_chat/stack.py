"""The Digital Twin Chat stack: wires the constructs, tags them, exports the five outputs."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CfnOutput, Stack, Tags
from aws_cdk import Environment as CdkEnvironment
from constructs import Construct

from foundation.settings import Environment
from infra.config import TWIN_CHAT_SYSTEM, TwinChatConfig
from infra.twin_chat.api import TwinHttpApi
from infra.twin_chat.cdn import TwinDistribution
from infra.twin_chat.compute import TwinFunction, twin_lambda_environment
from infra.twin_chat.iam import TwinFunctionRole
from infra.twin_chat.monitoring import TwinMonitoring
from infra.twin_chat.secrets import TwinSecrets
from infra.twin_chat.storage import TwinStorage

OUTPUT_NAMES = (
    "FrontendBucketName",
    "MemoryBucketName",
    "ApiEndpoint",
    "CloudFrontDomain",
    "LambdaFunctionName",
)


class TwinChatStack(Stack):
    """Everything the twin needs in one environment, named ``digital-twin-chat-{env}``.

    ``bundle_dir`` is the Lambda code: ``infra.bundling.build_bundle``'s output.
    """

    def __init__(self, scope: Construct, *, config: TwinChatConfig, bundle_dir: Path) -> None:
        env = None
        if config.account or config.region:
            env = CdkEnvironment(account=config.account, region=config.region)
        super().__init__(
            scope,
            config.stack_name,
            stack_name=config.stack_name,
            description=f"Digital Twin Chat ({config.environment.value})",
            env=env,
            termination_protection=config.environment is Environment.PRODUCTION,
        )
        self.config = config
        Tags.of(self).add("environment", config.environment.value)
        Tags.of(self).add("system", TWIN_CHAT_SYSTEM)

        storage = TwinStorage(self, "Storage", config=config)
        secrets = TwinSecrets(self, "Secrets", config=config)
        cdn = TwinDistribution(
            self,
            "Cdn",
            config=config,
            frontend_bucket=storage.frontend_bucket,
            logs_bucket=storage.logs_bucket,
        )
        frontend_origins = [cdn.url]
        if config.domain_name:
            frontend_origins.append(f"https://{config.domain_name}")
        allowed_origins = [*frontend_origins, *config.extra_cors_origins]

        role = TwinFunctionRole(
            self,
            "Iam",
            config=config,
            memory_bucket=storage.memory_bucket,
            secret=secrets.secret,
            secret_key=secrets.key,
        )
        compute = TwinFunction(
            self,
            "Compute",
            config=config,
            bundle_dir=bundle_dir,
            role=role.role,
            environment=twin_lambda_environment(
                config,
                region=Aws.REGION,
                memory_bucket=storage.memory_bucket.bucket_name,
                cors_origins=allowed_origins,
            ),
        )
        api = TwinHttpApi(
            self,
            "Api",
            config=config,
            function=compute.function,
            allowed_origins=allowed_origins,
        )
        TwinMonitoring(self, "Monitoring", config=config, function=compute.function, api=api.api)

        # The deploy script reads these five by name.
        CfnOutput(self, "FrontendBucketName", value=storage.frontend_bucket.bucket_name)
        CfnOutput(self, "MemoryBucketName", value=storage.memory_bucket.bucket_name)
        CfnOutput(self, "ApiEndpoint", value=api.url)
        CfnOutput(self, "CloudFrontDomain", value=cdn.domain_name)
        CfnOutput(self, "LambdaFunctionName", value=compute.function.function_name)
