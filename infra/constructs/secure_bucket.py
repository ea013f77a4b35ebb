"""An S3 bucket with the secure defaults: SSE-S3, TLS 1.2+ only, no public access."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.nag import acknowledge


class SecureBucket(s3.Bucket):
    """A private, encrypted, TLS-only bucket whose access is logged (or says why not).

    Pass ``access_logs`` (the bucket receiving S3 server access logs) or a
    ``no_access_logs_reason``; one of them is required so that an unlogged bucket
    is always a decision. ``auto_delete_objects`` needs ``RemovalPolicy.DESTROY``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        removal_policy: RemovalPolicy,
        auto_delete_objects: bool = False,
        versioned: bool = False,
        access_logs: s3.IBucket | None = None,
        access_logs_prefix: str | None = None,
        no_access_logs_reason: str | None = None,
        lifecycle_rules: Sequence[s3.LifecycleRule] = (),
        object_ownership: s3.ObjectOwnership = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    ) -> None:
        if (access_logs is None) == (no_access_logs_reason is None):
            raise ValueError(
                f"{construct_id}: give exactly one of access_logs or no_access_logs_reason"
            )
        if auto_delete_objects and removal_policy is not RemovalPolicy.DESTROY:
            raise ValueError(f"{construct_id}: auto_delete_objects requires RemovalPolicy.DESTROY")
        super().__init__(
            scope,
            construct_id,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=object_ownership,
            versioned=versioned,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix=access_logs_prefix,
            lifecycle_rules=list(lifecycle_rules) or None,
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete_objects,
        )
        if no_access_logs_reason is not None:
            acknowledge(self, "AwsSolutions-S1", no_access_logs_reason)
