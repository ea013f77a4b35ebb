"""Quality scores: one number from 0 to 100 per table and per batch.

The score is the weighted mean of the pass rates of the rules that had
something to check, times 100::

    score = 100 * sum(w(r) * pass_rate(r)) / sum(w(r))
    w(r)  = 3 for an error rule, 1 for a warning rule

So clean data scores 100, and each failing row lowers the score in
proportion to the share of rows it breaks, three times as much under an
error rule as under a warning. A rule that checked nothing (an empty batch)
does not count; when no rule checked anything the score is None. Table
scores use the whole-table results (freshness included); batch scores use
each batch's results of the row rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from concert.quality.results import QualityScore, RuleResult
from concert.quality.rules import Severity

SEVERITY_WEIGHTS: dict[Severity, float] = {Severity.ERROR: 3.0, Severity.WARNING: 1.0}


def score(results: Iterable[RuleResult]) -> float | None:
    """The weighted mean pass rate of ``results`` as 0-100, rounded to 0.01."""
    weighted = total = 0.0
    for result in results:
        if result.checked == 0:
            continue
        weight = SEVERITY_WEIGHTS[result.severity]
        weighted += weight * result.pass_rate
        total += weight
    return round(100.0 * weighted / total, 2) if total else None


def _summary(entity: str, batch_id: str | None, results: list[RuleResult]) -> QualityScore:
    checked = [result for result in results if result.checked > 0]
    failed = [result for result in checked if not result.passed]
    return QualityScore(
        entity=entity,
        batch_id=batch_id,
        score=score(checked),
        rules_checked=len(checked),
        rules_failed=len(failed),
        errors_failed=sum(result.severity is Severity.ERROR for result in failed),
    )


def quality_scores(results: Iterable[RuleResult]) -> list[QualityScore]:
    """One score per (entity, batch_id) found in ``results``; batch None is the whole table."""
    grouped: dict[tuple[str, str | None], list[RuleResult]] = {}
    for result in results:
        grouped.setdefault((result.entity, result.batch_id), []).append(result)
    return [_summary(entity, batch_id, members) for (entity, batch_id), members in grouped.items()]


__all__ = ["SEVERITY_WEIGHTS", "quality_scores", "score"]
