"""What a quality run produces: rule results, scores, skipped rules and the run itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from concert.quality.duplicates import DuplicateGroup
from concert.quality.rules import Severity


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's outcome over a whole table (``batch_id`` None) or over one batch.

    ``pass_rate`` is (checked - failed) / checked, 1.0 when nothing was
    checked; the rule ``passed`` when the rate reaches its threshold.
    ``sample_failures`` holds up to five failing keys (freshness: the newest value).
    """

    rule_id: str
    entity: str
    kind: str
    batch_id: str | None
    checked: int
    failed: int
    pass_rate: float
    passed: bool
    severity: Severity
    threshold: float
    description: str
    sample_failures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QualityScore:
    """The quality of one table (``batch_id`` None) or one batch, 0-100 (see :mod:`.scores`).

    ``score`` is None when no rule had a row to check.
    """

    entity: str
    batch_id: str | None
    score: float | None
    rules_checked: int
    rules_failed: int
    errors_failed: int


@dataclass(frozen=True, slots=True)
class SkippedRule:
    """A rule that was not run, and why (a table it reads is not loaded)."""

    rule_id: str
    entity: str
    reason: str


@dataclass(frozen=True, slots=True)
class QualityRun:
    """One run of the checks: every result, the scores derived from them and the
    duplicate report. ``batch_id`` set: only that batch was checked (row rules
    only, no table scores, no duplicate report)."""

    run_id: str
    started_at: datetime
    finished_at: datetime
    as_of: datetime
    batch_id: str | None
    entities: tuple[str, ...]
    results: tuple[RuleResult, ...]
    table_scores: tuple[QualityScore, ...]
    batch_scores: tuple[QualityScore, ...]
    duplicates: tuple[DuplicateGroup, ...] = ()
    duplicates_checked: bool = False
    skipped: tuple[SkippedRule, ...] = ()

    def failing(self) -> list[RuleResult]:
        """The results below their threshold, errors first."""
        failing = [result for result in self.results if not result.passed]
        return sorted(
            failing, key=lambda result: (result.severity != Severity.ERROR, result.rule_id)
        )


__all__ = ["QualityRun", "QualityScore", "RuleResult", "SkippedRule"]
