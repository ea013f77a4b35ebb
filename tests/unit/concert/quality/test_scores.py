"""The quality score formula."""

from __future__ import annotations

import pytest

from concert.quality.results import RuleResult
from concert.quality.rules import Severity
from concert.quality.scores import quality_scores, score


def _result(
    pass_rate: float,
    severity: Severity = Severity.ERROR,
    *,
    checked: int = 100,
    entity: str = "artists",
    batch_id: str | None = None,
    threshold: float = 1.0,
) -> RuleResult:
    failed = round(checked * (1 - pass_rate))
    return RuleResult(
        rule_id=f"{entity}.r{pass_rate}{severity}",
        entity=entity,
        kind="validity",
        batch_id=batch_id,
        checked=checked,
        failed=failed,
        pass_rate=pass_rate if checked else 1.0,
        passed=pass_rate >= threshold,
        severity=severity,
        threshold=threshold,
        description="d",
    )


def test_clean_results_score_100() -> None:
    assert score([_result(1.0), _result(1.0, Severity.WARNING)]) == 100.0


def test_errors_weigh_three_times_as_much_as_warnings() -> None:
    assert score([_result(0.9), _result(0.5, Severity.WARNING)]) == pytest.approx(80.0)
    assert score([_result(0.5), _result(0.9, Severity.WARNING)]) == pytest.approx(60.0)


def test_rules_that_checked_nothing_do_not_count() -> None:
    assert score([_result(0.8), _result(1.0, checked=0)]) == pytest.approx(80.0)
    assert score([_result(1.0, checked=0)]) is None
    assert score([]) is None


def test_scores_are_per_table_and_per_batch_with_failed_rule_counts() -> None:
    results = [
        _result(1.0),
        _result(0.5, Severity.WARNING),
        _result(0.9, batch_id="b1"),
        _result(1.0, entity="venues"),
    ]
    scores = {(s.entity, s.batch_id): s for s in quality_scores(results)}
    assert set(scores) == {("artists", None), ("artists", "b1"), ("venues", None)}
    table = scores[("artists", None)]
    assert table.score == pytest.approx(87.5)
    assert (table.rules_checked, table.rules_failed, table.errors_failed) == (2, 1, 0)
    assert scores[("artists", "b1")].errors_failed == 1
    assert scores[("venues", None)].score == 100.0
