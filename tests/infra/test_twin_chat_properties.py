"""Property tests over the synthesized templates: IAM least privilege (8.5), HTTPS (8.8).

Each property is drawn over environments and the template's statements, buckets or
behaviors; the widening/weakening properties show that the checkers reject any
statement or template made broader than the real one.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.infra.cfn import Statement, identity_statements, resource_policy_statements
from tests.infra.policies import (
    api_https_violations,
    bucket_tls_violations,
    distribution_https_violations,
    least_privilege_violations,
    managed_policy_violations,
    public_grant_violations,
)
from tests.infra.synthesis import ENVIRONMENTS, VARIANTS, WITH_CERTIFICATE, Synthesizer

PROPERTY = settings(max_examples=60, deadline=None)
environments = st.sampled_from(ENVIRONMENTS)
variants = st.sampled_from(list(VARIANTS))


def _statements(synth: Synthesizer, environment: str) -> list[Statement]:
    return identity_statements(synth(environment).cfn)


# ------------------------------------------------------------ 8.5 IAM least privilege


@PROPERTY
@given(data=st.data())
def test_every_identity_policy_statement_is_least_privilege(synth: Synthesizer, data: Any) -> None:
    environment = data.draw(environments, label="environment")
    statement = data.draw(st.sampled_from(_statements(synth, environment)), label="statement")
    assert least_privilege_violations(statement, synth(environment).resources) == [], statement


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_all_statements_checked_cover_every_service_the_twin_uses(
    synth: Synthesizer, environment: str
) -> None:
    statements = _statements(synth, environment)
    resources = synth(environment).resources
    assert [str(s) for s in statements if least_privilege_violations(s, resources)] == []
    services = {action.split(":")[0] for s in statements for action in s.actions}
    assert services == {"logs", "s3", "secretsmanager", "kms", "bedrock", "xray"}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_role_attaches_a_managed_policy(synth: Synthesizer, environment: str) -> None:
    assert managed_policy_violations(synth(environment).resources) == []


@PROPERTY
@given(data=st.data())
def test_no_resource_policy_grants_to_everyone(synth: Synthesizer, data: Any) -> None:
    environment = data.draw(environments, label="environment")
    statements = resource_policy_statements(synth(environment).cfn)
    statement = data.draw(st.sampled_from(statements), label="statement")
    assert public_grant_violations(statement) == []


WIDER_ACTIONS = st.sampled_from(
    ["*", "s3:*", "s3:Get*", "kms:*", "bedrock:*", "iam:PassRole", "s3:DeleteBucket", "sts:*"]
)
WIDER_RESOURCES = st.sampled_from(
    [
        "*",
        "arn:aws:s3:::*",
        "arn:aws:bedrock:us-east-1::foundation-model/*",
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":secretsmanager:*"]]},
        "digital-twin-chat/prod/llm-api-key",  # a name, not an ARN
        {"Ref": "SomeResourceOfAnotherStack"},
    ]
)


@PROPERTY
@given(data=st.data())
def test_a_widened_statement_is_rejected(synth: Synthesizer, data: Any) -> None:
    environment = data.draw(environments, label="environment")
    original = data.draw(st.sampled_from(_statements(synth, environment)), label="statement")
    body = copy.deepcopy(original.body)
    if data.draw(st.booleans(), label="widen actions"):
        body["Action"] = [*original.actions, data.draw(WIDER_ACTIONS, label="action")]
    else:
        resource = data.draw(WIDER_RESOURCES, label="resource")
        assume(resource not in original.resources)
        body["Resource"] = [*original.resources, resource]
    assume(body != original.body and len(body["Action"]) == len(set(body["Action"])))
    widened = Statement(original.source, original.source_type, body)
    assert least_privilege_violations(widened, synth(environment).resources) != []


# ------------------------------------------------------------ 8.8 HTTPS enforcement


def _distributions(synth: Synthesizer, variant: str) -> list[dict[str, Any]]:
    return list(synth(variant).of_type("AWS::CloudFront::Distribution").values())


@PROPERTY
@given(data=st.data())
def test_every_bucket_denies_requests_without_tls(synth: Synthesizer, data: Any) -> None:
    variant = data.draw(variants, label="variant")
    buckets = sorted(synth(variant).of_type("AWS::S3::Bucket"))
    bucket = data.draw(st.sampled_from(buckets), label="bucket")
    assert bucket_tls_violations(bucket, synth(variant).resources) == []


@PROPERTY
@given(data=st.data())
def test_every_distribution_behavior_redirects_to_https(synth: Synthesizer, data: Any) -> None:
    variant = data.draw(variants, label="variant")
    for distribution in _distributions(synth, variant):
        assert distribution_https_violations(distribution) == []


def test_custom_domain_distribution_requires_tls_1_2_2021(synth: Synthesizer) -> None:
    [distribution] = _distributions(synth, WITH_CERTIFICATE)
    certificate = distribution["Properties"]["DistributionConfig"]["ViewerCertificate"]
    assert certificate["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert certificate["SslSupportMethod"] == "sni-only"


@PROPERTY
@given(variant=variants)
def test_api_is_https_only(synth: Synthesizer, variant: str) -> None:
    synthesized = synth(variant)
    local_allowed = synthesized.config.environment.value == "development"
    assert api_https_violations(synthesized.cfn, local_origins_allowed=local_allowed) == []


@PROPERTY
@given(data=st.data())
def test_a_bucket_policy_without_the_tls_deny_is_rejected(synth: Synthesizer, data: Any) -> None:
    variant = data.draw(variants, label="variant")
    resources = copy.deepcopy(synth(variant).resources)
    bucket = data.draw(st.sampled_from(sorted(synth(variant).of_type("AWS::S3::Bucket"))))
    for resource in resources.values():
        if resource["Type"] == "AWS::S3::BucketPolicy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                condition = statement.get("Condition", {}).get("Bool", {})
                if "aws:SecureTransport" in condition:
                    weakening = data.draw(st.sampled_from(["allow", "true", "drop"]))
                    if weakening == "allow":
                        statement["Effect"] = "Allow"
                    elif weakening == "true":
                        condition["aws:SecureTransport"] = "true"
                    else:
                        statement["Resource"] = []
    assert bucket_tls_violations(bucket, resources) != []


@PROPERTY
@given(data=st.data())
def test_a_behavior_allowing_http_is_rejected(synth: Synthesizer, data: Any) -> None:
    variant = data.draw(variants, label="variant")
    distribution = copy.deepcopy(_distributions(synth, variant)[0])
    config = distribution["Properties"]["DistributionConfig"]
    behaviors = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    behavior = data.draw(st.sampled_from(behaviors), label="behavior")
    behavior["ViewerProtocolPolicy"] = "allow-all"
    assert distribution_https_violations(distribution) != []


def test_a_certificate_with_an_old_tls_policy_is_rejected(synth: Synthesizer) -> None:
    distribution = copy.deepcopy(_distributions(synth, WITH_CERTIFICATE)[0])
    distribution["Properties"]["DistributionConfig"]["ViewerCertificate"][
        "MinimumProtocolVersion"
    ] = "TLSv1"
    assert distribution_https_violations(distribution) == ["minimum protocol TLSv1"]
