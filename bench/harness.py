"""Shared shape of benchmark results and the writer of ``docs/benchmarks.md``.

A benchmark module exposes ``run(quick: bool) -> Section``. ``quick`` shrinks
the workload so the suite can smoke-test every benchmark without timing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Measurement:
    """One row: what ran, how much work, how long, and the derived rate."""

    name: str
    operations: int
    seconds: float
    unit: str = "ops/s"
    note: str = ""

    @property
    def rate(self) -> float:
        return self.operations / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class Section:
    """A benchmark's results: candidates, the baseline they are compared with, verdicts."""

    title: str
    description: str
    measurements: list[Measurement] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    def add(self, measurement: Measurement) -> Measurement:
        self.measurements.append(measurement)
        return measurement

    def to_markdown(self) -> str:
        lines = [f"## {self.title}", "", self.description, ""]
        lines += [
            "| measurement | operations | seconds | rate | note |",
            "|---|---:|---:|---:|---|",
        ]
        for m in self.measurements:
            lines.append(
                f"| {m.name} | {m.operations:,} | {m.seconds:.3f} | "
                f"{m.rate:,.0f} {m.unit} | {m.note} |"
            )
        if self.findings:
            lines.append("")
            lines += [f"- {finding}" for finding in self.findings]
        lines.append("")
        return "\n".join(lines)


def timed(name: str, operations: int, work: Callable[[], object], note: str = "") -> Measurement:
    """Run ``work`` once and time it with a monotonic clock."""
    started = time.perf_counter()
    work()
    return Measurement(name, operations, time.perf_counter() - started, note=note)


def best_of(
    repeats: int, name: str, operations: int, work: Callable[[], object], note: str = ""
) -> Measurement:
    """Best of several runs: the least disturbed by other load on a shared machine."""
    runs = [timed(name, operations, work, note) for _ in range(repeats)]
    return min(runs, key=lambda m: m.seconds)


__all__ = ["Measurement", "Section", "best_of", "timed"]
