"""The HTTP API in front of the twin's Lambda: payload 2.0, CORS, throttling, access logs."""

from __future__ import annotations

import json
from collections.abc import Sequence

import jsii
from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import TwinChatConfig
from infra.constructs import acknowledge

THROTTLE_RATE_LIMIT = 1000
THROTTLE_BURST_LIMIT = 2000
ROUTES = (
    ("/api/health", apigwv2.HttpMethod.GET),
    ("/api/{proxy+}", apigwv2.HttpMethod.ANY),
)
# HTTP API context variables (REST-only ones such as $context.resourcePath are not allowed).
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
}


class TwinHttpApi(Construct):
    """``api`` routing ``/api/*`` to ``function`` through its ``$default`` ``stage``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TwinChatConfig,
        function: lambda_.IFunction,
        allowed_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            api_name=config.stack_name,
            description="Digital Twin Chat API",
            create_default_stage=False,
            cors_preflight=apigwv2.CorsPreflightOptions(
                allow_origins=list(allowed_origins),
                allow_methods=[
                    apigwv2.CorsHttpMethod.GET,
                    apigwv2.CorsHttpMethod.POST,
                    apigwv2.CorsHttpMethod.DELETE,
                    apigwv2.CorsHttpMethod.OPTIONS,
                ],
                allow_headers=["content-type", "accept", "x-request-id"],
                expose_headers=["x-request-id"],
                max_age=Duration.hours(1),
            ),
        )
        self.access_log_group = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{config.stack_name}",
            retention=config.log_retention,
            removal_policy=config.data_removal_policy,
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=THROTTLE_RATE_LIMIT, burst_limit=THROTTLE_BURST_LIMIT
            ),
            access_log_settings=_AccessLogSettings(self.access_log_group),
        )
        integration = integrations.HttpLambdaIntegration(
            "Lambda",
            function,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
        )
        for path, method in ROUTES:
            self.api.add_routes(path=path, methods=[method], integration=integration)
        acknowledge(
            self.api,
            "AwsSolutions-APIG4",
            "The twin is a public chat for anonymous visitors by design; abuse is bounded by "
            "stage throttling, input limits and reserved concurrency.",
        )

    @property
    def url(self) -> str:
        """``https://<api id>.execute-api.<region>.amazonaws.com`` (no trailing slash)."""
        return self.api.api_endpoint


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    """JSON access log lines into ``log_group``."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))
