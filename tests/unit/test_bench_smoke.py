"""Every benchmark still runs: each one in quick mode, with its baseline, yields measurements.

This checks that benchmarks don't rot; it times nothing (figures come from `make bench`).
"""

from __future__ import annotations

import importlib

import pytest
from bench.__main__ import BENCHMARKS


@pytest.mark.slow
@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_in_quick_mode_with_a_baseline(name: str) -> None:
    section = importlib.import_module(f"bench.{name}").run(quick=True)
    assert section.measurements, f"{name} measured nothing"
    assert any("baseline" in f"{m.name} {m.note}".lower() for m in section.measurements), (
        f"{name} has no same-run baseline"
    )
    assert all(m.operations > 0 and m.seconds > 0 for m in section.measurements)
    assert section.to_markdown().startswith("## ")
