"""Synthesize each variant of the CDK app once per test session and share it.

Synthesis (through ``infra.app.create_app``, cdk-nag plugged in) is the slow part
of these tests: the first one in a process loads the CDK's JavaScript, later ones
take a second or two. Variants are synthesized on first use and reused.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.infra.synthesis import VARIANTS, Synthesized, Synthesizer

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


@pytest.fixture(scope="session")
def source_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The twin's source-only Lambda bundle (no network), as `make synth` would use."""
    from infra.bundling import build_bundle

    return build_bundle(tmp_path_factory.mktemp("bundle") / "twin-chat", with_dependencies=False)


@pytest.fixture(scope="session")
def synth(source_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Synthesizer:
    """``synth(variant)``: the app synthesized (once) for one entry of ``VARIANTS``."""
    from aws_cdk.assertions import Template
    from infra.app import create_app
    from infra.twin_chat import TwinChatStack

    done: dict[str, Synthesized] = {}

    def synthesize(variant: str) -> Synthesized:
        if variant not in done:
            outdir = tmp_path_factory.mktemp(f"cdk-{variant.replace('+', '-')}")
            context = {**VARIANTS[variant], "twinBundle": str(source_bundle)}
            app = create_app(outdir=str(outdir), context=context)
            app.synth()  # raises when cdk-nag reports an unacknowledged error
            [stack] = [c for c in app.node.children if isinstance(c, TwinChatStack)]
            template = Template.from_stack(stack)
            done[variant] = Synthesized(
                variant=variant,
                config=stack.config,
                template=template,
                cfn=dict(template.to_json()),
                outdir=outdir,
            )
        return done[variant]

    return synthesize
