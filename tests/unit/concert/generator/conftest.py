"""Generated data shared by the generator's tests: the demo preset once per session."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from concert.ingest.generator import GeneratedData, GeneratorConfig, generate

AS_OF = date(2025, 6, 1)


def tiny_config(**overrides: Any) -> GeneratorConfig:
    """A world small enough to generate in a blink and land in a few hundred objects."""
    settings: dict[str, Any] = {
        "seed": 7,
        "artists": 40,
        "venues": 30,
        "customers": 800,
        "concerts": 60,
        "target_sales": 6_000,
        "as_of": AS_OF,
        "history_days": 45,
        "future_days": 30,
    }
    return GeneratorConfig(**(settings | overrides))


@pytest.fixture(scope="session")
def demo() -> GeneratedData:
    return generate(GeneratorConfig.preset("demo", as_of=AS_OF))


@pytest.fixture(scope="session")
def tiny() -> GeneratedData:
    return generate(tiny_config())
