"""The two security properties, as checkers over a synthesized template.

Each checker returns a list of problems (empty when the property holds), so the
property tests can show that a widened or weakened template is rejected.
"""

from __future__ import annotations

import re
from typing import Any

from tests.infra.cfn import Resources, Statement, UnresolvableError, as_list, render

# ---------------------------------------------------------------- IAM (8.5)

# Every action the twin's function may use, per service (the spec, written out by hand).
ALLOWED_ACTIONS = {
    "logs": {"logs:CreateLogStream", "logs:PutLogEvents"},
    "s3": {
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
    },
    "secretsmanager": {"secretsmanager:GetSecretValue"},
    "kms": {"kms:Decrypt"},
    "bedrock": {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"},
    "xray": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
}
# Named exceptions, each with the reason AWS leaves no narrower choice:
# X-Ray's PutTraceSegments / PutTelemetryRecords have no resource-level permissions.
WILDCARD_RESOURCE_ACTIONS = frozenset(ALLOWED_ACTIONS["xray"])
# S3 object actions can only be scoped by an object-ARN pattern: exactly `<bucket arn>/*`.
OBJECT_ACTIONS = frozenset(
    {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"}
)
OBJECTS_OF_BUCKET = re.compile(r"^<(?P<bucket>\w+)\.Arn>/\*$")
# Lambda names its log streams at run time: exactly `<own log group arn>:*`.
LOG_STREAMS = re.compile(
    r"^arn:\$\{Partition\}:logs:\$\{Region\}:\$\{AccountId\}:"
    r"log-group:(?P<group>[^*:]+):\*$"
)
# CloudFormation types whose Ref is their ARN.
REF_IS_ARN = {"AWS::SecretsManager::Secret": "secretsmanager", "AWS::SNS::Topic": "sns"}
# CDK's auto-delete-objects provider (development only) runs with the AWS-managed
# basic execution role; it is CDK's, deleted with the stack, and never in staging/production.
AUTO_DELETE_PROVIDER_ROLE = "CustomS3AutoDeleteObjectsCustomResourceProviderRole"


def _service_of_type(resource_type: str) -> str:
    return resource_type.split("::")[1].lower()


def _resource_service(text: str, resources: Resources) -> str | None:
    """The AWS service a rendered resource belongs to, or None when it is not an ARN."""
    if text.startswith("arn:"):
        return text.split(":")[2]
    reference = re.fullmatch(r"<(?P<id>\w+)(?P<attr>\.Arn)?>", text)
    if reference is None:
        return None
    resource_type = resources[reference["id"]]["Type"]
    if reference["attr"]:
        return _service_of_type(resource_type)
    return REF_IS_ARN.get(resource_type)


def _log_group_names(resources: Resources) -> set[str]:
    return {
        str(resource["Properties"]["LogGroupName"])
        for resource in resources.values()
        if resource["Type"] == "AWS::Logs::LogGroup"
    }


def _wildcard_allowed(text: str, actions: set[str], resources: Resources) -> bool:
    if text == "*":
        return actions <= WILDCARD_RESOURCE_ACTIONS
    objects = OBJECTS_OF_BUCKET.match(text)
    if objects:
        bucket = resources.get(objects["bucket"], {})
        return bucket.get("Type") == "AWS::S3::Bucket" and actions <= OBJECT_ACTIONS
    streams = LOG_STREAMS.match(text)
    if streams:
        return (
            streams["group"] in _log_group_names(resources) and actions <= ALLOWED_ACTIONS["logs"]
        )
    return False


def _action_violations(actions: set[str]) -> list[str]:
    problems = []
    for action in sorted(actions):
        if "*" in action:
            problems.append(f"wildcard action {action}")
        elif action not in ALLOWED_ACTIONS.get(action.split(":")[0], set()):
            problems.append(f"action {action} is not on the allow-list")
    return problems


def _resource_violations(resource: Any, actions: set[str], resources: Resources) -> list[str]:
    try:
        text = render(resource, resources)
    except UnresolvableError as exc:
        return [str(exc)]
    if "*" in text:
        if _wildcard_allowed(text, actions, resources):
            return []
        return [f"wildcard resource {text} for {sorted(actions)}"]
    service = _resource_service(text, resources)
    if service is None:
        return [f"resource {text} is not an ARN"]
    if {action.split(":")[0] for action in actions} != {service}:
        return [f"resource {text} ({service}) does not match {sorted(actions)}"]
    return []


def least_privilege_violations(statement: Statement, resources: Resources) -> list[str]:
    """What makes an identity-policy statement broader than the twin needs."""
    if statement.effect == "Deny":
        return []
    actions = set(statement.actions)
    problems = _action_violations(actions)
    if "NotAction" in statement.body or "NotResource" in statement.body:
        problems.append("NotAction/NotResource grant everything else")
    if not statement.resources:
        problems.append("no Resource")
    for resource in statement.resources:
        problems.extend(_resource_violations(resource, actions, resources))
    return problems


def managed_policy_violations(resources: Resources) -> list[str]:
    """Roles attaching managed policies (whose statements the template cannot scope)."""
    return [
        f"{logical_id} attaches {role['Properties']['ManagedPolicyArns']}"
        for logical_id, role in resources.items()
        if role["Type"] == "AWS::IAM::Role"
        and role.get("Properties", {}).get("ManagedPolicyArns")
        and not logical_id.startswith(AUTO_DELETE_PROVIDER_ROLE)
    ]


def public_grant_violations(statement: Statement) -> list[str]:
    """Resource-policy Allow statements open to anyone (principal ``*``)."""
    if statement.effect != "Allow":
        return []
    principal = statement.body.get("Principal")
    principals = as_list(principal.get("AWS", [])) if isinstance(principal, dict) else [principal]
    return [f"{statement.source} allows principal *" for p in principals if p == "*"]


# ---------------------------------------------------------------- HTTPS (8.8)

HTTPS_VIEWER_POLICIES = {"redirect-to-https", "https-only"}
MINIMUM_TLS = "TLSv1.2_2021"


def _denies_insecure_transport(statement: dict[str, Any], bucket_id: str) -> bool:
    principal = statement.get("Principal")
    everyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")
    covered = as_list(statement.get("Resource", []))
    bucket_arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    return (
        statement.get("Effect") == "Deny"
        and everyone
        and "s3:*" in as_list(statement.get("Action", []))
        and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        and bucket_arn in covered
        and {"Fn::Join": ["", [bucket_arn, "/*"]]} in covered
    )


def bucket_tls_violations(bucket_id: str, resources: Resources) -> list[str]:
    """A bucket must have a policy denying every request made without TLS."""
    policies = [
        r["Properties"]["PolicyDocument"]
        for r in resources.values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    statements = [s for policy in policies for s in as_list(policy["Statement"])]
    if any(_denies_insecure_transport(s, bucket_id) for s in statements):
        return []
    return [f"bucket {bucket_id} does not deny aws:SecureTransport=false"]


def distribution_https_violations(distribution: dict[str, Any]) -> list[str]:
    """Every behavior redirects to HTTPS; with a certificate, TLS 1.2 (2021) is the minimum."""
    config = distribution["Properties"]["DistributionConfig"]
    behaviors = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    problems = [
        f"behavior {b.get('PathPattern', 'default')} allows {b.get('ViewerProtocolPolicy')}"
        for b in behaviors
        if b.get("ViewerProtocolPolicy") not in HTTPS_VIEWER_POLICIES
    ]
    certificate = config.get("ViewerCertificate", {})
    if "AcmCertificateArn" in certificate and certificate.get("MinimumProtocolVersion") != (
        MINIMUM_TLS
    ):
        problems.append(f"minimum protocol {certificate.get('MinimumProtocolVersion')}")
    return problems


def api_https_violations(cfn: dict[str, Any], *, local_origins_allowed: bool) -> list[str]:
    """HTTP APIs (execute-api serves HTTPS only), TLS 1.2 custom domains, HTTPS origins."""
    problems = []
    resources = cfn["Resources"]
    for logical_id, api in resources.items():
        if api["Type"] == "AWS::ApiGatewayV2::Api":
            properties = api["Properties"]
            if properties.get("ProtocolType") != "HTTP":
                problems.append(f"{logical_id} is not an HTTP API")
            for origin in properties.get("CorsConfiguration", {}).get("AllowOrigins", []):
                text = render(origin, resources)
                local = text.startswith(("http://localhost:", "http://127.0.0.1:"))
                if not text.startswith("https://") and not (local and local_origins_allowed):
                    problems.append(f"{logical_id} allows origin {text}")
        if api["Type"] == "AWS::ApiGatewayV2::DomainName":
            for domain in api["Properties"].get("DomainNameConfigurations", []):
                if domain.get("SecurityPolicy") != "TLS_1_2":
                    problems.append(f"{logical_id} allows TLS below 1.2")
    endpoint = cfn["Outputs"]["ApiEndpoint"]["Value"]
    if "Fn::GetAtt" not in endpoint or endpoint["Fn::GetAtt"][1] != "ApiEndpoint":
        problems.append(f"ApiEndpoint output is {endpoint}, not the API's https endpoint")
    return problems
