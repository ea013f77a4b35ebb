"""The variants of the CDK app the infrastructure tests synthesize, and their results."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template
from infra.config import TwinChatConfig

ENVIRONMENTS = ("development", "staging", "production")
CERTIFICATE_ARN = (
    "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
)
CUSTOM_DOMAIN = "twin.example.com"
# Production served on a custom domain: the only variant where TLSv1.2_2021 can apply.
WITH_CERTIFICATE = "production+certificate"
VARIANTS: dict[str, dict[str, str]] = {env: {"env": env} for env in ENVIRONMENTS} | {
    WITH_CERTIFICATE: {
        "env": "production",
        "domainName": CUSTOM_DOMAIN,
        "certificateArn": CERTIFICATE_ARN,
    }
}


@dataclass(frozen=True)
class Synthesized:
    """One synthesized variant: its config, assertion template, raw template and report."""

    variant: str
    config: TwinChatConfig
    template: Template
    cfn: dict[str, Any]
    outdir: Path

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.cfn["Resources"]
        return resources

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] == resource_type}

    @property
    def validation_report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads(
            (self.outdir / "validation-report.json").read_text(encoding="utf-8")
        )
        return report

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{self.config.stack_name}.template.json"


Synthesizer = Callable[[str], Synthesized]
