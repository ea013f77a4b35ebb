"""Alarms on the twin's function and API (to an encrypted SNS topic) and its dashboard."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import TwinChatConfig
from infra.constructs import AlarmTopic

PERIOD = Duration.minutes(5)
ERROR_RATE_PERCENT = 5
# The function times out at 30 s; p99 above 25 s means visitors are about to see time-outs.
DURATION_P99_MS = 25_000
GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


def _rate_percent(
    label: str, part: cloudwatch.IMetric, whole: cloudwatch.IMetric
) -> cloudwatch.MathExpression:
    return cloudwatch.MathExpression(
        expression="IF(whole > 0, 100 * part / whole, 0)",
        using_metrics={"part": part, "whole": whole},
        label=label,
        period=PERIOD,
    )


class TwinMonitoring(Construct):
    """``topic`` (``alarm_topic.topic``), one alarm per failure mode, and ``dashboard``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TwinChatConfig,
        function: lambda_.Function,
        api: apigwv2.HttpApi,
    ) -> None:
        super().__init__(scope, construct_id)
        prefix = config.stack_name
        self.alarm_topic = AlarmTopic(
            self, "Alarms", topic_name=f"{prefix}-alarms", email=config.alarm_email
        )
        invocations = function.metric_invocations(period=PERIOD, statistic="Sum")
        errors = function.metric_errors(period=PERIOD, statistic="Sum")
        duration_p99 = function.metric_duration(period=PERIOD, statistic="p99")
        throttles = function.metric_throttles(period=PERIOD, statistic="Sum")
        requests = api.metric_count(period=PERIOD, statistic="Sum")
        server_errors = api.metric_server_error(period=PERIOD, statistic="Sum")
        client_errors = api.metric_client_error(period=PERIOD, statistic="Sum")
        latency = api.metric_latency(period=PERIOD, statistic="p99")

        add = self.alarm_topic.add_alarm
        self.alarms = [
            add(
                self,
                "ErrorRate",
                alarm_name=f"{prefix}-lambda-error-rate",
                description=f"More than {ERROR_RATE_PERCENT} % of invocations failed",
                metric=_rate_percent("Error rate (%)", errors, invocations),
                threshold=ERROR_RATE_PERCENT,
                comparison=GT,
            ),
            add(
                self,
                "Duration",
                alarm_name=f"{prefix}-lambda-duration",
                description="p99 duration above 25 s, close to the 30 s time-out",
                metric=duration_p99,
                threshold=DURATION_P99_MS,
                comparison=GT,
            ),
            add(
                self,
                "Throttles",
                alarm_name=f"{prefix}-lambda-throttles",
                description="Invocations were throttled (concurrency exhausted)",
                metric=throttles,
                threshold=1,
                comparison=GTE,
            ),
            add(
                self,
                "Api5xx",
                alarm_name=f"{prefix}-api-5xx",
                description=f"{config.api_5xx_threshold} or more 5xx answers in 5 minutes",
                metric=server_errors,
                threshold=config.api_5xx_threshold,
                comparison=GTE,
            ),
            add(
                self,
                "Api4xxRate",
                alarm_name=f"{prefix}-api-4xx-rate",
                description=f"More than {config.api_4xx_rate_percent} % of requests answered 4xx",
                metric=_rate_percent("4xx rate (%)", client_errors, requests),
                threshold=config.api_4xx_rate_percent,
                comparison=GT,
                evaluation_periods=3,
            ),
        ]

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=prefix)
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Lambda invocations", left=[invocations], width=8),
            cloudwatch.GraphWidget(title="Lambda errors", left=[errors, throttles], width=8),
            cloudwatch.GraphWidget(title="Lambda duration (p99)", left=[duration_p99], width=8),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API requests", left=[requests], width=8),
            cloudwatch.GraphWidget(title="API latency (p99)", left=[latency], width=8),
            cloudwatch.GraphWidget(
                title="API errors", left=[server_errors, client_errors], width=8
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24),
        )
