"""Run the rules in the warehouse: each rule is one SQL query, results become scores.

Rules run over the loaded ``raw_<entity>`` tables, so a batch can be scored on
its own (``_batch_id``) and keys delivered twice are still visible (staging
de-duplicates them later). A rule whose tables are not loaded is skipped and
listed with the reason; nothing loops over rows in Python.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from concert.domain import ENTITIES, entity_spec
from concert.quality.catalog import catalog_rules
from concert.quality.duplicates import DuplicateGroup, Progress, find_duplicates
from concert.quality.exceptions import InvalidQualityRequestError
from concert.quality.results import QualityRun, RuleResult, SkippedRule
from concert.quality.rules import SAMPLE_SIZE, Outcome, Rule, Scope
from concert.quality.scores import quality_scores
from concert.quality.store import save_run
from foundation.warehouse import Warehouse
from foundation.warehouse.dialect import parameter_names


def new_run_id(now: datetime) -> str:
    """A run id that sorts by start time (to the microsecond) and is unique without coordination."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}"


def _result(rule: Rule, outcome: Outcome) -> RuleResult:
    passing = outcome.checked - outcome.failed
    pass_rate = passing / outcome.checked if outcome.checked else 1.0
    return RuleResult(
        rule_id=rule.id,
        entity=rule.entity,
        kind=rule.kind,
        batch_id=outcome.batch_id,
        checked=outcome.checked,
        failed=outcome.failed,
        pass_rate=pass_rate,
        passed=pass_rate >= rule.threshold,
        severity=rule.severity,
        threshold=rule.threshold,
        description=rule.description,
        sample_failures=outcome.samples,
    )


def _whole_table(outcomes: Sequence[Outcome]) -> Outcome:
    # Each batch lists its smallest failing keys, so together they hold the table's smallest.
    samples = sorted(sample for outcome in outcomes for sample in outcome.samples)
    return Outcome(
        batch_id=None,
        checked=sum(outcome.checked for outcome in outcomes),
        failed=sum(outcome.failed for outcome in outcomes),
        samples=tuple(samples[:SAMPLE_SIZE]),
    )


def check_rule(
    warehouse: Warehouse, rule: Rule, *, as_of: datetime, batch_id: str | None = None
) -> list[RuleResult]:
    """Run one rule: per-batch results, plus the whole-table result unless ``batch_id`` is given."""
    sql = rule.sql(batch_scoped=batch_id is not None)
    available: dict[str, Any] = {"as_of": as_of, "batch_id": batch_id}
    params = {name: available[name] for name in parameter_names(sql)}
    outcomes = rule.outcomes(warehouse.query(sql, params).to_pylist())
    if rule.scope is Scope.TABLE:
        return [_result(rule, outcome) for outcome in outcomes]
    per_batch = [_result(rule, outcome) for outcome in outcomes]
    if batch_id is not None:
        return per_batch
    return [_result(rule, _whole_table(outcomes)), *per_batch]


def check_rules(
    warehouse: Warehouse,
    rules: Sequence[Rule],
    *,
    as_of: datetime,
    batch_id: str | None = None,
    progress: Progress | None = None,
) -> tuple[list[RuleResult], list[SkippedRule]]:
    """Run every rule whose tables exist; with ``batch_id``, only row rules, on that batch."""
    tables = {name.lower() for name in warehouse.list_tables()}
    results: list[RuleResult] = []
    skipped: list[SkippedRule] = []
    applicable = [rule for rule in rules if batch_id is None or rule.scope is Scope.ROW]
    for done, rule in enumerate(applicable, 1):
        missing = [table for table in rule.tables() if table not in tables]
        if missing:
            reason = f"table {', '.join(dict.fromkeys(missing))} is not loaded"
            skipped.append(SkippedRule(rule.id, rule.entity, reason))
        else:
            results += check_rule(warehouse, rule, as_of=as_of, batch_id=batch_id)
        if progress is not None:
            progress("rules", done, len(applicable))
    return results, skipped


def _entities(entities: Iterable[str] | None) -> tuple[str, ...]:
    if entities is None:
        return tuple(ENTITIES)
    chosen = {entity_spec(entity).name for entity in entities}
    return tuple(entity for entity in ENTITIES if entity in chosen)


def _as_of(as_of: datetime | None) -> datetime:
    if as_of is None:
        return datetime.now(UTC)
    if as_of.tzinfo is None:
        raise InvalidQualityRequestError(
            "as_of must include a time zone (e.g. 2025-06-01T00:00:00Z)", field="as_of"
        )
    return as_of.astimezone(UTC)


def run_quality_checks(
    warehouse: Warehouse,
    *,
    entities: Iterable[str] | None = None,
    batch_id: str | None = None,
    as_of: datetime | None = None,
    progress: Progress | None = None,
    rules: Sequence[Rule] | None = None,
    duplicates: bool = True,
    persist: bool = True,
) -> QualityRun:
    """Check ``entities`` (all by default) against the catalog's rules and score them.

    With ``batch_id``, only that batch is checked: row rules only, batch scores
    only, no duplicate report (duplicates are a whole-table question). Without
    it, every table gets a whole-table result per rule and a score, every batch
    its own, and (``duplicates``) the duplicate report is built. ``as_of`` (now
    by default) is what freshness and "not in the future" judge against.
    ``persist`` writes the run to the warehouse's quality tables.
    """
    started = datetime.now(UTC)
    chosen = _entities(entities)
    moment = _as_of(as_of)
    selected = [rule for rule in rules or catalog_rules() if rule.entity in chosen]
    results, skipped = check_rules(
        warehouse, selected, as_of=moment, batch_id=batch_id, progress=progress
    )
    scores = quality_scores(results)
    find = duplicates and batch_id is None
    groups: list[DuplicateGroup] = (
        find_duplicates(warehouse, chosen, progress=progress) if find else []
    )
    run = QualityRun(
        run_id=new_run_id(started),
        started_at=started,
        finished_at=datetime.now(UTC),
        as_of=moment,
        batch_id=batch_id,
        entities=chosen,
        results=tuple(results),
        table_scores=tuple(score for score in scores if score.batch_id is None),
        batch_scores=tuple(score for score in scores if score.batch_id is not None),
        duplicates=tuple(groups),
        duplicates_checked=find,
        skipped=tuple(skipped),
    )
    if persist:
        save_run(warehouse, run)
    return run


__all__ = ["Progress", "check_rule", "check_rules", "new_run_id", "run_quality_checks"]
