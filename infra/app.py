"""The CDK app: every stack of one environment, with cdk-nag as a validation plugin.

Context (``npx cdk synth -c key=value``; cdk.json runs ``uv run python -m infra.app``):

- ``env``: ``development`` (default) / ``staging`` / ``production`` or ``dev`` / ``prod``;
- ``account`` / ``region``: pin the stacks there (otherwise they are environment-agnostic);
- ``domainName`` / ``certificateArn``: serve the twin's page on a custom domain with an ACM
  certificate (us-east-1), which also raises CloudFront's minimum to TLSv1.2_2021;
- ``twinBundle``: the twin's Lambda bundle directory (``make bundle``); without it a
  source-only bundle is built for synth, which cannot serve requests.

cdk-nag's AwsSolutions findings fail ``app.synth()``; every acknowledgement
carries its reason next to the construct it concerns.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App

from infra.bundling import REPO_ROOT, BundleError, build_bundle
from infra.config import twin_chat_config
from infra.constructs import add_nag_checks
from infra.twin_chat import TwinChatStack

DEFAULT_ENVIRONMENT = "development"
SOURCE_ONLY_BUNDLE = REPO_ROOT / "build" / "lambda" / "twin-chat-source"
CDK_JSON = REPO_ROOT / "cdk.json"


def create_app(*, outdir: str | None = None, context: dict[str, Any] | None = None) -> App:
    """The app for the environment named in its context, stacks added, nag plugged in.

    cdk.json's context (the feature flags) applies here too, so that tests and a direct
    ``python -m infra.app`` synthesize what the CDK CLI does.
    """
    app = App(outdir=outdir, context={**_cdk_json_context(), **(context or {})})
    context_value = app.node.try_get_context
    environment = str(context_value("env") or DEFAULT_ENVIRONMENT)

    add_nag_checks(app)
    TwinChatStack(
        app,
        config=twin_chat_config(
            environment,
            account=context_value("account"),
            region=context_value("region"),
            domain_name=context_value("domainName"),
            certificate_arn=context_value("certificateArn"),
        ),
        bundle_dir=_twin_bundle(context_value("twinBundle")),
    )
    return app


def _cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]
    return context


def _twin_bundle(context_value: str | None) -> Path:
    if context_value:
        bundle = Path(context_value).resolve()
        if not (bundle / "twin_chat").is_dir():
            raise BundleError(f"twinBundle {bundle} is not a bundle: run `make bundle` first")
        return bundle
    print(
        "twin bundle: synthesizing with a source-only bundle (no dependencies); it cannot "
        "serve requests. `make bundle` builds the deployable one "
        "(then -c twinBundle=build/lambda/twin-chat).",
        file=sys.stderr,
    )
    return build_bundle(SOURCE_ONLY_BUNDLE, with_dependencies=False)


def main() -> None:
    # The CDK CLI says where the assembly goes (CDK_OUTDIR); run directly, it is cdk.out.
    outdir = None if os.environ.get("CDK_OUTDIR") else str(REPO_ROOT / "cdk.out")
    create_app(outdir=outdir).synth()


if __name__ == "__main__":
    main()
