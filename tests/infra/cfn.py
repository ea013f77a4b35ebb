"""Read synthesized CloudFormation: render intrinsics to text, list policy statements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Resources = dict[str, dict[str, Any]]
PSEUDO_PARAMETERS = frozenset(
    {"AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::URLSuffix", "AWS::StackName"}
)


class UnresolvableError(ValueError):
    """A value refers to something that is not in the template (or is not a reference)."""


def render(value: Any, resources: Resources) -> str:
    """A template value as text: ``${Region}``, ``<LogicalId>``, ``<LogicalId.Attr>``.

    Every reference must name a pseudo parameter or a resource of this template.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        [(function, argument)] = value.items()
        if function == "Ref":
            if argument in PSEUDO_PARAMETERS:
                return f"${{{argument.removeprefix('AWS::')}}}"  # no colons: ARNs split on them
            if argument in resources:
                return f"<{argument}>"
        elif function == "Fn::GetAtt" and argument[0] in resources:
            return f"<{argument[0]}.{argument[1]}>"
        elif function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(render(part, resources) for part in parts)
    raise UnresolvableError(f"cannot resolve {value!r} within this template")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    """One policy statement and where it lives (``<logical id>`` of its policy)."""

    source: str
    source_type: str
    body: dict[str, Any]

    @property
    def effect(self) -> str:
        return str(self.body["Effect"])

    @property
    def actions(self) -> list[str]:
        return [str(action) for action in as_list(self.body.get("Action", []))]

    @property
    def resources(self) -> list[Any]:
        return as_list(self.body.get("Resource", []))

    def __str__(self) -> str:
        return f"{self.source} ({self.source_type}): {self.body}"


def _documents(resource: dict[str, Any]) -> list[dict[str, Any]]:
    properties = resource.get("Properties", {})
    kind = resource["Type"]
    if kind in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
        return [properties["PolicyDocument"]]
    if kind == "AWS::IAM::Role":
        return [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
    return []


def identity_statements(cfn: dict[str, Any]) -> list[Statement]:
    """Statements of the policies attached to principals (roles, policies, managed policies)."""
    return [
        Statement(source=logical_id, source_type=resource["Type"], body=body)
        for logical_id, resource in cfn["Resources"].items()
        for document in _documents(resource)
        for body in as_list(document["Statement"])
    ]


RESOURCE_POLICY_DOCUMENTS = {
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
}


def resource_policy_statements(cfn: dict[str, Any]) -> list[Statement]:
    """Statements of the policies attached to resources (buckets, topics, keys)."""
    return [
        Statement(source=logical_id, source_type=resource["Type"], body=body)
        for logical_id, resource in cfn["Resources"].items()
        if resource["Type"] in RESOURCE_POLICY_DOCUMENTS
        for body in as_list(
            resource["Properties"][RESOURCE_POLICY_DOCUMENTS[resource["Type"]]]["Statement"]
        )
    ]


def output_ref(cfn: dict[str, Any], name: str) -> str:
    """The logical id an output points at (through Ref or GetAtt)."""
    value = cfn["Outputs"][name]["Value"]
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])
