"""The infrastructure gates: synth of every environment with cdk-nag, and cfn-lint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3
from infra.constructs import acknowledge, add_nag_checks

from tests.infra.synthesis import VARIANTS, WITH_CERTIFICATE, Synthesizer

# Every acknowledged cdk-nag finding (normalized), so that a new waiver is a visible decision.
ACKNOWLEDGED = {
    "AwsSolutions-S1",  # the access-log bucket itself
    "AwsSolutions-SMG4",  # third-party API key, rotated by its issuer
    "AwsSolutions-L1",  # python3.12 matches the bundle's cp312 wheels
    "AwsSolutions-APIG4",  # public chat for anonymous visitors
    "AwsSolutions-CFR1",  # no geo restriction for a public demo
    "AwsSolutions-CFR2",  # no WAF on static files
    "AwsSolutions-CFR4",  # default certificate pins TLSv1 (not with a custom domain)
    "AwsSolutions-IAM5[Resource::*]",  # X-Ray has no resource-level permissions
    "AwsSolutions-IAM5[Resource::<MemoryBucket.Arn>/*]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:"
    "log-group:/aws/lambda/digital-twin-chat-{env}:*]",
}


def _normalized(rule_id: str) -> str:
    rule_id = re.sub(r"<StorageMemoryBucket\w+\.Arn>", "<MemoryBucket.Arn>", rule_id)
    return re.sub(r"digital-twin-chat-(dev|staging|prod)\b", "digital-twin-chat-{env}", rule_id)


@pytest.mark.parametrize("variant", VARIANTS)
def test_synth_passes_cdk_nag_with_no_unacknowledged_finding(
    synth: Synthesizer, variant: str
) -> None:
    report = synth(variant).validation_report  # synth itself raises on an error finding
    findings = [
        f"{plugin['pluginName']}: {violation['ruleName']} ({violation.get('severity')})"
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
    ]
    assert findings == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_acknowledgement_is_expected_and_gives_a_reason(
    synth: Synthesizer, variant: str
) -> None:
    acknowledged: dict[str, set[str]] = {}
    for resource in synth(variant).resources.values():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            acknowledged.setdefault(_normalized(rule["id"]), set()).add(rule["reason"])
    expected = ACKNOWLEDGED - ({"AwsSolutions-CFR4"} if variant == WITH_CERTIFICATE else set())
    assert set(acknowledged) == expected
    assert all(len(reason) >= 20 for reasons in acknowledged.values() for reason in reasons)


def test_cdk_nag_fails_synth_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    add_nag_checks(app)
    s3.Bucket(Stack(app, "Probe"), "PlainBucket")  # no TLS enforcement, no access logs
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = (tmp_path / "validation-report.json").read_text(encoding="utf-8")
    assert "AwsSolutions-S10" in report
    assert "AwsSolutions-S1" in report


def test_an_acknowledgement_without_a_reason_is_refused() -> None:
    stack = Stack(App(), "Probe")
    with pytest.raises(ValueError, match="AwsSolutions-S1 needs a reason"):
        acknowledge(stack, "AwsSolutions-S1", "  n/a ")


@pytest.mark.parametrize("variant", VARIANTS)
def test_template_has_no_cfn_lint_errors(synth: Synthesizer, variant: str) -> None:
    from cfnlint.api import lint

    template = synth(variant).template_path.read_text(encoding="utf-8")
    matches = lint(template, regions=["us-east-1", "eu-west-1"])
    errors = [
        f"{match.rule.id} {match.message} at {'/'.join(map(str, match.path))}"
        for match in matches
        if match.rule.id.startswith("E")
    ]
    assert errors == []
