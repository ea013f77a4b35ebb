"""The twin's buckets: the static front end, the conversation memory, and their access logs."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import TwinChatConfig
from infra.constructs import SecureBucket


class TwinStorage(Construct):
    """``frontend_bucket`` (served through CloudFront), ``memory_bucket`` (versioned
    conversations and persona files) and ``logs_bucket`` (S3 and CloudFront access logs)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: TwinChatConfig) -> None:
        super().__init__(scope, construct_id)
        data_policy = config.data_removal_policy
        auto_delete = config.auto_delete_objects
        tiering = s3.LifecycleRule(
            id="intelligent-tiering",
            transitions=[
                s3.Transition(
                    storage_class=s3.StorageClass.INTELLIGENT_TIERING,
                    transition_after=Duration.days(config.intelligent_tiering_after_days),
                )
            ],
        )
        self.logs_bucket = SecureBucket(
            self,
            "LogsBucket",
            removal_policy=data_policy,
            auto_delete_objects=auto_delete,
            # CloudFront standard logs are delivered with an ACL grant.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            no_access_logs_reason=(
                "This bucket is the access-log destination; logging it into itself would loop."
            ),
            lifecycle_rules=[s3.LifecycleRule(id="expire-logs", expiration=Duration.days(365))],
        )
        self.frontend_bucket = SecureBucket(
            self,
            "FrontendBucket",
            removal_policy=data_policy,
            auto_delete_objects=auto_delete,
            access_logs=self.logs_bucket,
            access_logs_prefix="s3/frontend/",
            lifecycle_rules=[tiering],
        )
        self.memory_bucket = SecureBucket(
            self,
            "MemoryBucket",
            removal_policy=data_policy,
            auto_delete_objects=auto_delete,
            versioned=True,
            access_logs=self.logs_bucket,
            access_logs_prefix="s3/memory/",
            lifecycle_rules=[
                tiering,
                s3.LifecycleRule(
                    id="expire-old-versions",
                    noncurrent_version_expiration=Duration.days(
                        config.noncurrent_version_expiration_days
                    ),
                    expired_object_delete_marker=True,
                ),
            ],
        )
