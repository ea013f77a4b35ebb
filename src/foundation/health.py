"""Health of the dependencies an app relies on.

Every adapter implements ``check()`` returning a :class:`HealthStatus`; the
``/health`` endpoints and the ``doctor`` command both run the same checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class HealthStatus:
    """Result of checking that one dependency is reachable and usable."""

    name: str
    backend: str
    ok: bool
    detail: str = ""
    latency_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class Checkable(Protocol):
    def check(self) -> HealthStatus: ...


def timed_check(name: str, backend: str, probe: Callable[[], str | None]) -> HealthStatus:
    """Run ``probe``; an exception means unhealthy. The probe may return a detail."""
    started = time.perf_counter()
    try:
        detail = probe() or "reachable"
        ok = True
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"
        ok = False
    latency = (time.perf_counter() - started) * 1000
    return HealthStatus(name=name, backend=backend, ok=ok, detail=detail, latency_ms=latency)


def run_checks(checks: Iterable[tuple[str, Checkable]]) -> list[HealthStatus]:
    """Check each dependency, naming the result after the role it plays in the app."""
    results = []
    for role, dependency in checks:
        status = dependency.check()
        results.append(
            HealthStatus(
                name=role,
                backend=status.backend,
                ok=status.ok,
                detail=status.detail,
                latency_ms=status.latency_ms,
                extra=status.extra,
            )
        )
    return results


__all__ = ["Checkable", "HealthStatus", "run_checks", "timed_check"]
