"""The twin function's role: exactly the actions it uses, on exactly its own resources."""

from __future__ import annotations

from typing import cast

from aws_cdk import ArnFormat, Aws, CfnElement, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import TwinChatConfig
from infra.constructs import acknowledge

# DeleteObjectVersion: forgetting a session erases every version in the versioned bucket.
MEMORY_OBJECT_ACTIONS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
)
BEDROCK_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


def foundation_model_arn(scope: Construct, model_id: str) -> str:
    """``arn:<partition>:bedrock:<region>::foundation-model/<model id>`` of this stack's region."""
    return Stack.of(scope).format_arn(
        service="bedrock", account="", resource="foundation-model", resource_name=model_id
    )


def log_streams_arn(scope: Construct, log_group_name: str) -> str:
    """The streams of one log group: ``...:log-group:<name>:*`` (stream names are Lambda's)."""
    return Stack.of(scope).format_arn(
        service="logs",
        resource="log-group",
        resource_name=f"{log_group_name}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


class TwinFunctionRole(Construct):
    """``role`` for the twin's Lambda: logs, memory bucket, the one secret, the one model."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TwinChatConfig,
        memory_bucket: s3.IBucket,
        secret: secretsmanager.ISecret,
        secret_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        memory_objects = memory_bucket.arn_for_objects("*")
        log_streams = log_streams_arn(self, config.function_log_group_name)
        statements = [
            iam.PolicyStatement(
                sid="WriteOwnLogs", actions=list(LOG_ACTIONS), resources=[log_streams]
            ),
            iam.PolicyStatement(
                # Without ListBucket a missing key reads as AccessDenied instead of NoSuchKey.
                sid="ListMemoryBucket",
                actions=["s3:ListBucket", "s3:ListBucketVersions"],
                resources=[memory_bucket.bucket_arn],
            ),
            iam.PolicyStatement(
                sid="ReadWriteMemoryObjects",
                actions=list(MEMORY_OBJECT_ACTIONS),
                resources=[memory_objects],
            ),
            iam.PolicyStatement(
                sid="ReadLlmApiKey",
                actions=["secretsmanager:GetSecretValue"],
                resources=[secret.secret_arn],
            ),
            iam.PolicyStatement(
                sid="DecryptLlmApiKey",
                actions=["kms:Decrypt"],
                resources=[secret_key.key_arn],
                conditions={
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{Aws.REGION}.amazonaws.com"}
                },
            ),
            iam.PolicyStatement(
                sid="InvokeConfiguredModel",
                actions=list(BEDROCK_ACTIONS),
                resources=[foundation_model_arn(self, config.bedrock_model_id)],
            ),
        ]
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the {config.stack_name} function",
            inline_policies={"runtime": iam.PolicyDocument(statements=statements)},
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5",
            "S3 object actions can only be scoped by an object-ARN pattern; this is the "
            "memory bucket's own objects (conversation and persona keys are data).",
            finding=f"Resource::<{_logical_ref(memory_bucket)}.Arn>/*",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5",
            "Lambda names its log streams at run time; the pattern is the streams of the "
            "function's own log group only.",
            finding=f"Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
            f"log-group:{config.function_log_group_name}:*",
        )


def _logical_ref(bucket: s3.IBucket) -> str:
    """The logical id cdk-nag prints for a bucket's ``Fn::GetAtt`` in a finding id."""
    return Stack.of(bucket).get_logical_id(cast(CfnElement, bucket.node.default_child))
