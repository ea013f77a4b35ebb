"""An encrypted, TLS-only SNS topic for alarms, and the alarms that notify it."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class AlarmTopic(Construct):
    """SNS topic encrypted with its own rotating KMS key; alarms added here notify it.

    CloudWatch cannot publish to a topic under the AWS-managed SNS key, so the
    topic has a customer-managed key whose policy lets CloudWatch use it.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, topic_name: str, email: str | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{topic_name}",
            description=f"Encrypts the {topic_name} alarm topic",
            enable_key_rotation=True,
            pending_window=Duration.days(7),
            # The topic holds no data that outlives it; its key goes with the stack.
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=topic_name,
            display_name=topic_name,
            master_key=self.key,
            enforce_ssl=True,
        )
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self._action = actions.SnsAction(self.topic)

    def add_alarm(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarm_name: str,
        description: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        """An alarm on ``metric`` that notifies the topic when it fires and when it clears."""
        alarm = cloudwatch.Alarm(
            scope,
            construct_id,
            alarm_name=alarm_name,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            # No traffic is not an outage.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        return alarm
