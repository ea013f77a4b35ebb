"""cdk-nag 3 (a CDK validation plugin) and its acknowledgements, each with its reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_nag_checks(app: App) -> None:
    """Run the AwsSolutions pack on ``app``: an unacknowledged error fails ``app.synth()``.

    Acknowledgements are also written into each resource's ``cdk_nag`` metadata, so
    the template itself says what was waived and why.
    """
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )


def acknowledge(scope: IConstruct, rule: str, reason: str, *, finding: str | None = None) -> None:
    """Acknowledge ``rule`` on ``scope`` and its children, for one ``finding`` when given.

    ``finding`` is cdk-nag's finding id (``Resource::*``, ``Action::s3:*``); naming
    it keeps every other finding of the same rule on the same construct visible.
    """
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {rule} needs a reason that says why (got {reason!r})")
    rule_id = f"{rule}[{finding}]" if finding else rule
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
