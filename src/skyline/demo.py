"""What ``skyline prepare`` does: each system adds the steps its demo needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from foundation.settings import Settings


@dataclass(frozen=True, slots=True)
class DemoStep:
    description: str
    run: Callable[[], object]


def demo_steps(settings: Settings) -> list[DemoStep]:
    """The ordered, idempotent steps that make a fresh checkout ready to serve."""
    from concert.pipeline import run_demo  # noqa: PLC0415
    from concert.settings import ConcertSettings  # noqa: PLC0415
    from foundation.adapters import Adapters  # noqa: PLC0415
    from twin_chat.demo import prepare_demo as prepare_twin_demo  # noqa: PLC0415

    adapters = Adapters(settings)
    return [
        DemoStep("creating the local data directory", settings.local_path),
        DemoStep("creating the local token signing key", adapters.token_issuer),
        DemoStep("creating the default table", adapters.default_table),
        DemoStep("uploading the sample twin persona", lambda: prepare_twin_demo(settings)),
        DemoStep(
            "concert demo: generate, ingest, load, build models, check quality",
            lambda: run_demo(adapters, ConcertSettings()),
        ),
    ]


__all__ = ["DemoStep", "demo_steps"]
