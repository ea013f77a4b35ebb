"""Every benchmark still runs: each one in quick mode, with its baseline, yields measurements.

This checks that benchmarks don't rot; it times nothing (figures come from `make bench`).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from bench import __main__ as bench_main
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


def test_a_subset_is_printed_and_never_replaces_the_whole_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "benchmarks.md"
    monkeypatch.setattr(bench_main, "OUTPUT", document)
    assert bench_main.main(["--quick", "bench_stream"]) == 0
    assert not document.exists()
    assert "## Event stream" in capsys.readouterr().out
    chosen = tmp_path / "stream.md"
    assert bench_main.main(["--quick", "--output", str(chosen), "bench_stream"]) == 0
    assert chosen.read_text().startswith("# Benchmarks")
