"""Assertions on the synthesized Digital Twin Chat stack: every resource the seed names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match
from infra.twin_chat import OUTPUT_NAMES

from tests.infra.cfn import output_ref, render
from tests.infra.synthesis import (
    CERTIFICATE_ARN,
    CUSTOM_DOMAIN,
    ENVIRONMENTS,
    WITH_CERTIFICATE,
    Synthesized,
    Synthesizer,
)

SHORT = {"development": "dev", "staging": "staging", "production": "prod"}
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
RETENTION_DAYS = {"development": 7, "staging": 30, "production": 90}
CONTRACT_LAMBDA_VARIABLES = {
    "SKYLINE_ENVIRONMENT",
    "SKYLINE_OBJECT_STORE_BACKEND",
    "SKYLINE_SECRETS_BACKEND",
    "SKYLINE_LLM_BACKEND",
    "SKYLINE_BEDROCK_MODEL_ID",
    "SKYLINE_AWS_REGION",
    "SKYLINE_TWIN_MEMORY_BUCKET",
    "SKYLINE_TWIN_LLM_API_KEY_SECRET",
    "SKYLINE_TWIN_CORS_ORIGINS",
    "SKYLINE_DATA_DIR",
}


@pytest.fixture(params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest, synth: Synthesizer) -> Synthesized:
    return synth(request.param)


def _only(synthesized: Synthesized, resource_type: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, resource)] = synthesized.of_type(resource_type).items()
    return logical_id, resource


def _properties(synthesized: Synthesized, logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = synthesized.resources[logical_id]["Properties"]
    return properties


# ------------------------------------------------------------------ naming, tags, outputs


def test_stack_and_named_resources_carry_the_environment(env: Synthesized) -> None:
    short = SHORT[env.config.environment.value]
    assert env.config.stack_name == f"digital-twin-chat-{short}"
    prefix = f"digital-twin-chat-{short}"
    env.template.has_resource_properties("AWS::Lambda::Function", {"FunctionName": prefix})
    env.template.has_resource_properties("AWS::ApiGatewayV2::Api", {"Name": prefix})
    env.template.has_resource_properties("AWS::SNS::Topic", {"TopicName": f"{prefix}-alarms"})
    env.template.has_resource_properties("AWS::CloudWatch::Dashboard", {"DashboardName": prefix})
    for alarm in env.of_type("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmName"].startswith(f"{prefix}-")


def test_every_taggable_resource_is_tagged_with_environment_and_system(
    env: Synthesized,
) -> None:
    expected = {"environment": env.config.environment.value, "system": "digital-twin-chat"}
    tagged = 0
    for logical_id, resource in env.resources.items():
        tags = resource.get("Properties", {}).get("Tags")
        if tags is None:
            continue
        tagged += 1
        as_dict = tags if isinstance(tags, dict) else {t["Key"]: t["Value"] for t in tags}
        assert expected.items() <= as_dict.items(), logical_id
    assert tagged >= 15


def test_stack_exports_exactly_the_five_outputs(env: Synthesized) -> None:
    assert set(env.cfn["Outputs"]) == set(OUTPUT_NAMES)
    bucket_outputs = ("FrontendBucketName", "MemoryBucketName")
    for name in bucket_outputs:
        env.template.has_output(name, {"Value": {"Ref": Match.any_value()}})
        assert env.resources[output_ref(env.cfn, name)]["Type"] == "AWS::S3::Bucket"
    api_id, _ = _only(env, "AWS::ApiGatewayV2::Api")
    env.template.has_output("ApiEndpoint", {"Value": {"Fn::GetAtt": [api_id, "ApiEndpoint"]}})
    distribution_id, _ = _only(env, "AWS::CloudFront::Distribution")
    env.template.has_output(
        "CloudFrontDomain", {"Value": {"Fn::GetAtt": [distribution_id, "DomainName"]}}
    )
    function = env.resources[output_ref(env.cfn, "LambdaFunctionName")]
    assert function["Properties"]["Handler"] == "twin_chat.api.lambda_handler.handler"


# ------------------------------------------------------------------------------- storage


def test_three_buckets_all_encrypted_private_and_tls_1_2_only(env: Synthesized) -> None:
    env.template.resource_count_is("AWS::S3::Bucket", 3)
    for logical_id, bucket in env.of_type("AWS::S3::Bucket").items():
        properties = bucket["Properties"]
        assert properties["BucketEncryption"] == {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        }, logical_id
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
    env.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_memory_bucket_is_versioned_logged_and_tiered_after_30_days(env: Synthesized) -> None:
    memory = _properties(env, output_ref(env.cfn, "MemoryBucketName"))
    assert memory["VersioningConfiguration"] == {"Status": "Enabled"}
    assert memory["LoggingConfiguration"]["LogFilePrefix"] == "s3/memory/"
    rules = {rule["Id"]: rule for rule in memory["LifecycleConfiguration"]["Rules"]}
    assert rules["intelligent-tiering"]["Transitions"] == [
        {"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 30}
    ]
    noncurrent_days = env.config.noncurrent_version_expiration_days
    assert rules["expire-old-versions"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": noncurrent_days
    }


def test_frontend_bucket_is_logged_and_tiered_after_30_days(env: Synthesized) -> None:
    frontend = _properties(env, output_ref(env.cfn, "FrontendBucketName"))
    assert "VersioningConfiguration" not in frontend
    assert frontend["LoggingConfiguration"]["LogFilePrefix"] == "s3/frontend/"
    assert frontend["LifecycleConfiguration"]["Rules"][0]["Transitions"] == [
        {"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 30}
    ]


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_data_is_retained_outside_development(synth: Synthesizer, environment: str) -> None:
    synthesized = synth(environment)
    retained = [
        output_ref(synthesized.cfn, "MemoryBucketName"),
        _only(synthesized, "AWS::SecretsManager::Secret")[0],
        *synthesized.of_type("AWS::S3::Bucket"),
        *synthesized.of_type("AWS::Logs::LogGroup"),
    ]
    for logical_id in retained:
        resource = synthesized.resources[logical_id]
        assert resource["DeletionPolicy"] == "Retain", logical_id
        assert resource["UpdateReplacePolicy"] == "Retain", logical_id
    synthesized.template.resource_count_is("Custom::S3AutoDeleteObjects", 0)


def test_development_data_is_destroyed_with_its_objects(synth: Synthesizer) -> None:
    development = synth("development")
    memory = development.resources[output_ref(development.cfn, "MemoryBucketName")]
    assert memory["DeletionPolicy"] == "Delete"
    development.template.resource_count_is("Custom::S3AutoDeleteObjects", 3)


def test_production_has_termination_protection(synth: Synthesizer) -> None:
    manifest = json.loads((synth("production").outdir / "manifest.json").read_text())
    stack = manifest["artifacts"]["digital-twin-chat-prod"]
    assert stack["properties"]["terminationProtection"] is True


# ------------------------------------------------------------------------------- compute


def test_function_runs_the_twin_on_arm64_python_312_with_1_gb_and_30_s(
    env: Synthesized,
) -> None:
    env.template.resource_count_is(
        "AWS::Lambda::Function", 1 + (env.config.environment.value == "development")
    )
    env.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "twin_chat.api.lambda_handler.handler",
            "Runtime": "python3.12",
            "Architectures": ["arm64"],
            "MemorySize": 1024,
            "Timeout": 30,
            "TracingConfig": {"Mode": "Active"},
            "Code": {"S3Bucket": Match.any_value(), "S3Key": Match.string_like_regexp(r"\.zip$")},
        },
    )


def _twin_function(synthesized: Synthesized) -> dict[str, Any]:
    return _properties(synthesized, output_ref(synthesized.cfn, "LambdaFunctionName"))


def test_function_environment_selects_the_aws_adapters(env: Synthesized) -> None:
    variables = _twin_function(env)["Environment"]["Variables"]
    assert set(variables) >= CONTRACT_LAMBDA_VARIABLES
    short = SHORT[env.config.environment.value]
    assert variables["SKYLINE_ENVIRONMENT"] == env.config.environment.value
    assert variables["SKYLINE_OBJECT_STORE_BACKEND"] == "s3"
    assert variables["SKYLINE_SECRETS_BACKEND"] == "aws"
    assert variables["SKYLINE_LLM_BACKEND"] == "bedrock"
    assert variables["SKYLINE_BEDROCK_MODEL_ID"] == env.config.bedrock_model_id
    assert variables["SKYLINE_AWS_REGION"] == {"Ref": "AWS::Region"}
    assert variables["SKYLINE_TWIN_MEMORY_BUCKET"] == {
        "Ref": output_ref(env.cfn, "MemoryBucketName")
    }
    assert variables["SKYLINE_TWIN_LLM_API_KEY_SECRET"] == f"digital-twin-chat/{short}/llm-api-key"
    assert variables["SKYLINE_DATA_DIR"] == "/tmp/skyline"
    origins = render(variables["SKYLINE_TWIN_CORS_ORIGINS"], env.resources)
    distribution_id, _ = _only(env, "AWS::CloudFront::Distribution")
    assert json.loads(origins.replace(f"<{distribution_id}.DomainName>", "cdn.example"))[0] == (
        "https://cdn.example"
    )


def test_function_logs_to_its_own_log_group_with_retention(env: Synthesized) -> None:
    function = _twin_function(env)
    log_group = _properties(env, function["LoggingConfig"]["LogGroup"]["Ref"])
    assert log_group["LogGroupName"] == f"/aws/lambda/{function['FunctionName']}"
    assert log_group["RetentionInDays"] == RETENTION_DAYS[env.config.environment.value]


def test_reserved_concurrency_is_set_only_where_configured(env: Synthesized) -> None:
    function = _twin_function(env)
    expected = env.config.reserved_concurrency
    assert function.get("ReservedConcurrentExecutions") == expected
    assert (expected is not None) == (env.config.environment.value == "production")


# ----------------------------------------------------------------------------------- IAM


def _runtime_statements(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    role = _twin_function(synthesized)["Role"]["Fn::GetAtt"][0]
    [policy] = _properties(synthesized, role)["Policies"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def test_role_grants_exact_resources(env: Synthesized) -> None:
    statements = _runtime_statements(env)
    rendered = {sid: render(s["Resource"], env.resources) for sid, s in statements.items()}
    memory = output_ref(env.cfn, "MemoryBucketName")
    secret_id, _ = _only(env, "AWS::SecretsManager::Secret")
    secret_key = _properties(env, secret_id)["KmsKeyId"]["Fn::GetAtt"][0]
    assert rendered == {
        "WriteOwnLogs": "arn:${Partition}:logs:${Region}:${AccountId}:log-group:"
        f"/aws/lambda/{env.config.stack_name}:*",
        "ListMemoryBucket": f"<{memory}.Arn>",
        "ReadWriteMemoryObjects": f"<{memory}.Arn>/*",
        "ReadLlmApiKey": f"<{secret_id}>",
        "DecryptLlmApiKey": f"<{secret_key}.Arn>",
        "InvokeConfiguredModel": "arn:${Partition}:bedrock:${Region}::foundation-model/"
        + env.config.bedrock_model_id,
    }
    assert statements["InvokeConfiguredModel"]["Action"] == [
        "bedrock:InvokeModel",
        "bedrock:InvokeModelWithResponseStream",
    ]
    assert statements["ReadLlmApiKey"]["Action"] == "secretsmanager:GetSecretValue"
    assert statements["DecryptLlmApiKey"]["Action"] == "kms:Decrypt"
    assert (
        render(
            statements["DecryptLlmApiKey"]["Condition"]["StringEquals"]["kms:ViaService"],
            env.resources,
        )
        == "secretsmanager.${Region}.amazonaws.com"
    )


# ----------------------------------------------------------------------------------- API


def test_http_api_routes_api_paths_to_the_function_with_payload_2(env: Synthesized) -> None:
    env.template.has_resource_properties("AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP"})
    env.template.resource_count_is("AWS::ApiGatewayV2::Route", 2)
    route_keys = {
        r["Properties"]["RouteKey"] for r in env.of_type("AWS::ApiGatewayV2::Route").values()
    }
    assert route_keys == {"ANY /api/{proxy+}", "GET /api/health"}
    function_id = output_ref(env.cfn, "LambdaFunctionName")
    env.template.has_resource_properties(
        "AWS::ApiGatewayV2::Integration",
        {
            "IntegrationType": "AWS_PROXY",
            "PayloadFormatVersion": "2.0",
            "IntegrationUri": {"Fn::GetAtt": [function_id, "Arn"]},
        },
    )


def test_default_stage_throttles_at_1000_and_2000_and_logs_access(env: Synthesized) -> None:
    _, stage = _only(env, "AWS::ApiGatewayV2::Stage")
    properties = stage["Properties"]
    assert properties["StageName"] == "$default"
    assert properties["AutoDeploy"] is True
    assert properties["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": 2000,
        "ThrottlingRateLimit": 1000,
    }
    destination = properties["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert env.resources[destination]["Type"] == "AWS::Logs::LogGroup"
    assert "$context.requestId" in properties["AccessLogSettings"]["Format"]


def test_cors_allows_the_cloudfront_origin_and_localhost_only_in_development(
    env: Synthesized,
) -> None:
    _, api = _only(env, "AWS::ApiGatewayV2::Api")
    cors = api["Properties"]["CorsConfiguration"]
    origins = [render(origin, env.resources) for origin in cors["AllowOrigins"]]
    distribution_id, _ = _only(env, "AWS::CloudFront::Distribution")
    local = ["http://localhost:8000", "http://127.0.0.1:8000"]
    expected = [f"https://<{distribution_id}.DomainName>"]
    if env.config.environment.value == "development":
        expected += local
    assert origins == expected
    assert set(cors["AllowMethods"]) == {"GET", "POST", "DELETE", "OPTIONS"}


# ---------------------------------------------------------------------------- CloudFront


def _distribution_config(synthesized: Synthesized) -> dict[str, Any]:
    _, distribution = _only(synthesized, "AWS::CloudFront::Distribution")
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def test_distribution_reads_the_frontend_bucket_through_origin_access_control(
    env: Synthesized,
) -> None:
    env.template.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {
            "OriginAccessControlConfig": Match.object_like(
                {"OriginAccessControlOriginType": "s3", "SigningBehavior": "always"}
            )
        },
    )
    [origin] = _distribution_config(env)["Origins"]
    frontend = output_ref(env.cfn, "FrontendBucketName")
    assert origin["DomainName"] == {"Fn::GetAtt": [frontend, "RegionalDomainName"]}
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_distribution_caches_assets_but_never_index_html(env: Synthesized) -> None:
    config = _distribution_config(env)
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    [index] = config["CacheBehaviors"]
    assert index["PathPattern"] == "/index.html"
    assert index["CachePolicyId"] == CACHING_DISABLED
    assert index["ViewerProtocolPolicy"] == "redirect-to-https"


def test_distribution_routes_missing_paths_to_the_single_page_app(env: Synthesized) -> None:
    assert _distribution_config(env)["CustomErrorResponses"] == [
        {
            "ErrorCode": status,
            "ResponseCode": 200,
            "ResponsePagePath": "/index.html",
            "ErrorCachingMinTTL": 0,
        }
        for status in (403, 404)
    ]


def test_distribution_logs_and_sends_security_headers(env: Synthesized) -> None:
    config = _distribution_config(env)
    assert config["Logging"]["Prefix"] == "cloudfront/"
    logs_bucket = config["Logging"]["Bucket"]["Fn::GetAtt"][0]
    assert env.resources[logs_bucket]["Type"] == "AWS::S3::Bucket"
    headers_id = config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]["Ref"]
    security = _properties(env, headers_id)["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 365 * 24 * 3600
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ContentTypeOptions"]["Override"] is True
    assert set(security) >= {"ReferrerPolicy", "XSSProtection"}


def test_custom_domain_gets_its_certificate_tls_1_2_and_cors(synth: Synthesizer) -> None:
    synthesized = synth(WITH_CERTIFICATE)
    config = _distribution_config(synthesized)
    assert config["Aliases"] == [CUSTOM_DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE_ARN,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    _, api = _only(synthesized, "AWS::ApiGatewayV2::Api")
    origins = [
        render(o, synthesized.resources)
        for o in api["Properties"]["CorsConfiguration"]["AllowOrigins"]
    ]
    assert f"https://{CUSTOM_DOMAIN}" in origins


# ------------------------------------------------------------------------------- secrets


def test_llm_api_key_secret_is_encrypted_with_a_rotating_customer_key(env: Synthesized) -> None:
    secret_id, secret = _only(env, "AWS::SecretsManager::Secret")
    short = SHORT[env.config.environment.value]
    assert secret["Properties"]["Name"] == f"digital-twin-chat/{short}/llm-api-key"
    key_id = secret["Properties"]["KmsKeyId"]["Fn::GetAtt"][0]
    assert env.resources[key_id]["Type"] == "AWS::KMS::Key"
    assert _properties(env, key_id)["EnableKeyRotation"] is True
    assert env.resources[key_id]["DeletionPolicy"] == env.resources[secret_id]["DeletionPolicy"]


# ---------------------------------------------------------------------------- monitoring


def _alarms(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    prefix = f"{synthesized.config.stack_name}-"
    return {
        alarm["Properties"]["AlarmName"].removeprefix(prefix): alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
    }


def test_alarms_cover_errors_duration_throttles_5xx_and_4xx(env: Synthesized) -> None:
    alarms = _alarms(env)
    assert set(alarms) == {
        "lambda-error-rate",
        "lambda-duration",
        "lambda-throttles",
        "api-5xx",
        "api-4xx-rate",
    }
    error_rate = alarms["lambda-error-rate"]
    assert (error_rate["Threshold"], error_rate["ComparisonOperator"]) == (
        5,
        "GreaterThanThreshold",
    )
    expression = next(m["Expression"] for m in error_rate["Metrics"] if "Expression" in m)
    assert "part / whole" in expression
    metric_names = {
        m["MetricStat"]["Metric"]["MetricName"] for m in error_rate["Metrics"] if "MetricStat" in m
    }
    assert metric_names == {"Errors", "Invocations"}

    duration = alarms["lambda-duration"]
    assert duration["MetricName"] == "Duration"
    assert duration["ExtendedStatistic"] == "p99"
    assert (duration["Threshold"], duration["ComparisonOperator"]) == (
        25_000,
        "GreaterThanThreshold",
    )

    throttles = alarms["lambda-throttles"]
    assert throttles["MetricName"] == "Throttles"
    assert (throttles["Threshold"], throttles["ComparisonOperator"]) == (
        1,
        "GreaterThanOrEqualToThreshold",
    )
    server = alarms["api-5xx"]
    assert server["MetricName"] == "5xx"
    assert server["Threshold"] == env.config.api_5xx_threshold
    client = alarms["api-4xx-rate"]
    client_metrics = {
        m["MetricStat"]["Metric"]["MetricName"] for m in client["Metrics"] if "MetricStat" in m
    }
    assert client_metrics == {"4xx", "Count"}
    assert client["Threshold"] == env.config.api_4xx_rate_percent


def test_every_alarm_notifies_the_encrypted_ssl_only_topic(env: Synthesized) -> None:
    topic_id, topic = _only(env, "AWS::SNS::Topic")
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    assert _properties(env, key_id)["EnableKeyRotation"] is True
    for name, alarm in _alarms(env).items():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], name
        assert alarm["OKActions"] == [{"Ref": topic_id}], name
    env.template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "Topics": [{"Ref": topic_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_dashboard_shows_lambda_and_api_health(env: Synthesized) -> None:
    _, dashboard = _only(env, "AWS::CloudWatch::Dashboard")
    body = render(dashboard["Properties"]["DashboardBody"], env.resources)
    for metric in ("Invocations", "Errors", "Duration", "Count", "Latency", "5xx", "4xx"):
        assert f'"{metric}"' in body, metric
