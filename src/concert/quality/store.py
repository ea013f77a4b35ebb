"""Quality results in warehouse tables, for the API and dashboards to query.

``quality_results`` holds one row per rule per run (per batch too:
``batch_id`` NULL is the whole table), ``quality_scores`` one row per table
and per batch per run, ``duplicate_report`` one row per duplicate group
member per run. ``quality_runs`` is written last, one row per run: readers
only look at runs listed there, so a run that failed half-way never shows.
Run ids sort by start time, so the latest run is the greatest id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from concert.domain import entity_spec
from concert.quality.duplicates import DuplicateGroup, DuplicateKind, DuplicateReason
from concert.quality.exceptions import NoQualityRunError
from concert.quality.results import QualityRun
from foundation.warehouse import Warehouse

RUNS_TABLE = "quality_runs"
RESULTS_TABLE = "quality_results"
SCORES_TABLE = "quality_scores"
DUPLICATES_TABLE = "duplicate_report"
MAX_LIMIT = 1_000

TABLES_DDL: dict[str, str] = {
    RUNS_TABLE: f"""CREATE TABLE IF NOT EXISTS {RUNS_TABLE} (
    run_id VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    as_of TIMESTAMPTZ NOT NULL,
    batch_id VARCHAR,
    entities VARCHAR NOT NULL,
    rules_checked BIGINT NOT NULL,
    rules_failed BIGINT NOT NULL,
    duplicates_checked BOOLEAN NOT NULL,
    skipped VARCHAR NOT NULL
)""",
    RESULTS_TABLE: f"""CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} (
    run_id VARCHAR NOT NULL,
    rule_id VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    batch_id VARCHAR,
    severity VARCHAR NOT NULL,
    threshold DOUBLE NOT NULL,
    checked BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    pass_rate DOUBLE NOT NULL,
    passed BOOLEAN NOT NULL,
    sample_failures VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    checked_at TIMESTAMPTZ NOT NULL
)""",
    SCORES_TABLE: f"""CREATE TABLE IF NOT EXISTS {SCORES_TABLE} (
    run_id VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    batch_id VARCHAR,
    score DOUBLE,
    rules_checked BIGINT NOT NULL,
    rules_failed BIGINT NOT NULL,
    errors_failed BIGINT NOT NULL,
    scored_at TIMESTAMPTZ NOT NULL
)""",
    DUPLICATES_TABLE: f"""CREATE TABLE IF NOT EXISTS {DUPLICATES_TABLE} (
    run_id VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    group_number BIGINT NOT NULL,
    member_number BIGINT NOT NULL,
    member_key VARCHAR NOT NULL,
    member_name VARCHAR,
    batch_id VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL
)""",
}

_START_ONE = "run the quality checks first (POST /api/quality/runs or the CLI)"
_COMPLETED = f"run_id IN (SELECT run_id FROM {RUNS_TABLE})"  # noqa: S608
# Per entity, the latest completed run that scored the whole table.
_LATEST_PER_ENTITY = f"""SELECT entity, max(run_id) AS run_id
    FROM {SCORES_TABLE}
    WHERE batch_id IS NULL AND {_COMPLETED}
    GROUP BY entity"""  # noqa: S608 - constant table names
LATEST_RUN_SQL = f"""SELECT run_id, started_at, finished_at, as_of, batch_id, entities,
    rules_checked, rules_failed, duplicates_checked, skipped
FROM {RUNS_TABLE}
ORDER BY run_id DESC
LIMIT 1"""  # noqa: S608
LATEST_SCORES_SQL = f"""SELECT s.entity, s.run_id, s.score, s.rules_checked, s.rules_failed,
    s.errors_failed, s.scored_at
FROM {SCORES_TABLE} AS s
JOIN ({_LATEST_PER_ENTITY}) AS latest ON s.entity = latest.entity AND s.run_id = latest.run_id
WHERE s.batch_id IS NULL
ORDER BY s.entity"""  # noqa: S608
LATEST_FAILING_SQL = f"""SELECT r.rule_id, r.entity, r.kind, r.severity, r.threshold, r.checked,
    r.failed, r.pass_rate, r.sample_failures, r.description, r.run_id
FROM {RESULTS_TABLE} AS r
JOIN ({_LATEST_PER_ENTITY}) AS latest ON r.entity = latest.entity AND r.run_id = latest.run_id
WHERE r.batch_id IS NULL AND r.passed = FALSE
ORDER BY r.severity, r.entity, r.rule_id"""  # noqa: S608
DUPLICATE_RUNS_SQL = f"""SELECT run_id, entities
FROM {RUNS_TABLE}
WHERE duplicates_checked = TRUE
ORDER BY run_id DESC
LIMIT 100"""  # noqa: S608
_SCORE_COLUMNS = """s.run_id, s.entity, s.batch_id, s.score, s.rules_checked, s.rules_failed,
    s.errors_failed, s.scored_at, r.as_of"""


@dataclass(frozen=True, slots=True)
class DuplicateReport:
    """The latest duplicate groups of each entity, and the run each entity's groups come from."""

    run_ids: dict[str, str]
    groups: tuple[DuplicateGroup, ...]


def ensure_tables(warehouse: Warehouse) -> None:
    """Create the results tables that are missing."""
    for ddl in TABLES_DDL.values():
        warehouse.execute(ddl)


def _result_rows(run: QualityRun) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run.run_id,
            "rule_id": result.rule_id,
            "entity": result.entity,
            "kind": result.kind,
            "batch_id": result.batch_id,
            "severity": result.severity.value,
            "threshold": result.threshold,
            "checked": result.checked,
            "failed": result.failed,
            "pass_rate": result.pass_rate,
            "passed": result.passed,
            "sample_failures": json.dumps(list(result.sample_failures)),
            "description": result.description,
            "checked_at": run.finished_at,
        }
        for result in run.results
    ]


def _score_rows(run: QualityRun) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run.run_id,
            "entity": score.entity,
            "batch_id": score.batch_id,
            "score": score.score,
            "rules_checked": score.rules_checked,
            "rules_failed": score.rules_failed,
            "errors_failed": score.errors_failed,
            "scored_at": run.finished_at,
        }
        for score in (*run.table_scores, *run.batch_scores)
    ]


def _duplicate_rows(run: QualityRun) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run.run_id,
            "entity": group.entity,
            "kind": group.kind.value,
            "reason": group.reason.value,
            "group_number": group_number,
            "member_number": member_number,
            "member_key": key,
            "member_name": name,
            "batch_id": batch_id,
            "score": group.score,
            "reported_at": run.finished_at,
        }
        for group_number, group in enumerate(run.duplicates)
        for member_number, (key, name, batch_id) in enumerate(
            zip(group.keys, group.names, group.batch_ids, strict=True)
        )
    ]


def _run_row(run: QualityRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "as_of": run.as_of,
        "batch_id": run.batch_id,
        "entities": ",".join(run.entities),
        "rules_checked": len(run.results),
        "rules_failed": len(run.failing()),
        "duplicates_checked": run.duplicates_checked,
        "skipped": json.dumps([[skipped.rule_id, skipped.reason] for skipped in run.skipped]),
    }


def save_run(warehouse: Warehouse, run: QualityRun) -> None:
    """Write a run's results, scores and duplicate report, then the run itself."""
    ensure_tables(warehouse)
    warehouse.insert_rows(RESULTS_TABLE, _result_rows(run))
    warehouse.insert_rows(SCORES_TABLE, _score_rows(run))
    warehouse.insert_rows(DUPLICATES_TABLE, _duplicate_rows(run))
    # Last: readers only see runs listed here, so a half-written run stays invisible.
    warehouse.insert_rows(RUNS_TABLE, [_run_row(run)])


def _has_runs(warehouse: Warehouse) -> bool:
    return all(warehouse.table_exists(table) for table in TABLES_DDL)


def _rows(
    warehouse: Warehouse, sql: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    return list(warehouse.query(sql, params).to_pylist())


def latest_quality(warehouse: Warehouse) -> dict[str, Any]:
    """The latest score of every table and the rules each one fails, for the API and dashboards.

    Each table's numbers come from the latest run that checked it as a whole.
    Raises :class:`NoQualityRunError` before the first run.
    """
    latest = _rows(warehouse, LATEST_RUN_SQL) if _has_runs(warehouse) else []
    if not latest:
        raise NoQualityRunError(f"no quality run has finished yet; {_START_ONE}")
    run = latest[0]
    failing = _rows(warehouse, LATEST_FAILING_SQL)
    for rule in failing:
        rule["sample_failures"] = json.loads(rule["sample_failures"])
    return {
        "run_id": run["run_id"],
        "finished_at": run["finished_at"],
        "as_of": run["as_of"],
        "tables": _rows(warehouse, LATEST_SCORES_SQL),
        "failing_rules": failing,
    }


def scores_sql(*, entity: str | None, batch_id: str | None, table_only: bool, limit: int) -> str:
    conditions = ["TRUE"]
    if entity is not None:
        conditions.append("s.entity = $entity")
    if batch_id is not None:
        conditions.append("s.batch_id = $batch_id")
    elif table_only:
        conditions.append("s.batch_id IS NULL")
    return (
        f"SELECT {_SCORE_COLUMNS}\nFROM {SCORES_TABLE} AS s\n"
        f"JOIN {RUNS_TABLE} AS r ON r.run_id = s.run_id\n"
        f"WHERE {' AND '.join(conditions)}\n"
        f"ORDER BY s.run_id DESC, s.entity, s.batch_id NULLS FIRST\n"
        f"LIMIT {max(1, min(int(limit), MAX_LIMIT))}"
    )


def quality_scores(
    warehouse: Warehouse,
    *,
    entity: str | None = None,
    batch_id: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Stored scores, newest run first: of one entity and/or one batch, or all of them.

    ``batch_id`` None in a row is the whole table's score.
    """
    if entity is not None:
        entity_spec(entity)
    if not _has_runs(warehouse):
        return []
    params = {
        name: value
        for name, value in (("entity", entity), ("batch_id", batch_id))
        if value is not None
    }
    sql = scores_sql(entity=entity, batch_id=batch_id, table_only=False, limit=limit)
    return _rows(warehouse, sql, params)


def quality_history(warehouse: Warehouse, entity: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """The whole-table scores of ``entity`` over the runs, newest first (a dashboard's trend)."""
    entity_spec(entity)
    if not _has_runs(warehouse):
        return []
    sql = scores_sql(entity=entity, batch_id=None, table_only=True, limit=limit)
    return _rows(warehouse, sql, {"entity": entity})


def latest_duplicates(warehouse: Warehouse, *, entity: str | None = None) -> DuplicateReport:
    """The latest duplicate report of every entity (or one): the groups found by the latest
    run that looked for duplicates in it. Raises :class:`NoQualityRunError` before any."""
    if entity is not None:
        entity_spec(entity)
    runs = _rows(warehouse, DUPLICATE_RUNS_SQL) if _has_runs(warehouse) else []
    run_ids: dict[str, str] = {}
    for run in runs:
        for covered in run["entities"].split(","):
            if entity in (None, covered):
                run_ids.setdefault(covered, run["run_id"])
    if not run_ids:
        raise NoQualityRunError(
            "no duplicate report yet" + (f" for {entity}" if entity else "") + f"; {_START_ONE}"
        )
    params: dict[str, Any] = {}
    conditions = []
    for index, (covered, run_id) in enumerate(sorted(run_ids.items())):
        params[f"entity_{index}"], params[f"run_{index}"] = covered, run_id
        conditions.append(f"(entity = $entity_{index} AND run_id = $run_{index})")
    rows = _rows(
        warehouse,
        f"SELECT entity, kind, reason, group_number, member_key, member_name, batch_id, score "  # noqa: S608
        f"FROM {DUPLICATES_TABLE} WHERE {' OR '.join(conditions)} "
        f"ORDER BY entity, group_number, member_number",
        params,
    )
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["entity"], row["group_number"]), []).append(row)
    return DuplicateReport(
        run_ids=run_ids,
        groups=tuple(
            DuplicateGroup(
                entity=members[0]["entity"],
                kind=DuplicateKind(members[0]["kind"]),
                reason=DuplicateReason(members[0]["reason"]),
                keys=tuple(row["member_key"] for row in members),
                names=tuple(row["member_name"] for row in members),
                batch_ids=tuple(row["batch_id"] for row in members),
                score=float(members[0]["score"]),
            )
            for members in groups.values()
        ),
    )


__all__ = [
    "DUPLICATES_TABLE",
    "RESULTS_TABLE",
    "RUNS_TABLE",
    "SCORES_TABLE",
    "TABLES_DDL",
    "DuplicateReport",
    "ensure_tables",
    "latest_duplicates",
    "latest_quality",
    "quality_history",
    "quality_scores",
    "save_run",
    "scores_sql",
]
