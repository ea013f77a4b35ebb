"""``/api/quality``: run the data quality checks, read scores, failing rules and duplicates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from concert.api.deps import WarehouseDep
from concert.domain import entity_spec
from concert.quality import (
    CATALOG,
    DuplicateReport,
    QualityRun,
    latest_duplicates,
    latest_quality,
    quality_scores,
    run_quality_checks,
)

router = APIRouter(prefix="/api/quality", tags=["quality"])

EntityQuery = Annotated[str | None, Query(description="an entity, e.g. ticket_sales")]


class QualityRunRequest(BaseModel):
    """What to check; everything by default."""

    model_config = ConfigDict(extra="forbid")

    entities: list[str] | None = Field(
        default=None, description="entities to check (all if omitted)"
    )
    batch_id: str | None = Field(
        default=None, min_length=1, max_length=256, description="check only this batch"
    )
    as_of: AwareDatetime | None = Field(
        default=None, description="the moment freshness is judged against (now if omitted)"
    )


class RuleOutput(BaseModel):
    id: str
    entity: str
    kind: str
    severity: str
    threshold: float
    description: str


@router.post("/runs", status_code=201, summary="Run the data quality checks")
def start_run(
    warehouse: WarehouseDep,
    request: Annotated[QualityRunRequest | None, Body()] = None,
) -> QualityRun:
    """Run every rule (or those of ``entities``) in the warehouse, score each table and
    batch, build the duplicate report and store it all. Runs synchronously: at demo
    and dimension sizes it takes seconds; large fact tables are checked per batch."""
    request = request or QualityRunRequest()
    return run_quality_checks(
        warehouse, entities=request.entities, batch_id=request.batch_id, as_of=request.as_of
    )


@router.get("/latest", summary="Latest score per table and the rules it fails")
def latest(warehouse: WarehouseDep) -> dict[str, Any]:
    """404 until a run has finished."""
    return latest_quality(warehouse)


@router.get("/scores", summary="Stored scores, newest run first")
def scores(
    warehouse: WarehouseDep,
    entity: EntityQuery = None,
    batch_id: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Scores of tables (``batch_id`` null) and batches; filter by entity and/or batch."""
    return quality_scores(warehouse, entity=entity, batch_id=batch_id, limit=limit)


@router.get("/duplicates", summary="The latest duplicate report")
def duplicates(warehouse: WarehouseDep, entity: EntityQuery = None) -> DuplicateReport:
    """Exact (same key, same content) and fuzzy (similar name) duplicate groups, from the
    latest run that built a report for each entity. 404 until there is one."""
    return latest_duplicates(warehouse, entity=entity)


@router.get("/rules", summary="The rule catalog")
def rules(entity: EntityQuery = None) -> list[RuleOutput]:
    """Every rule with its id, severity, pass threshold and what it checks."""
    if entity is not None:
        entity_spec(entity)
    return [
        RuleOutput(
            id=rule.id,
            entity=rule.entity,
            kind=rule.kind,
            severity=rule.severity.value,
            threshold=rule.threshold,
            description=rule.description,
        )
        for rule in CATALOG
        if entity in (None, rule.entity)
    ]


__all__ = ["QualityRunRequest", "router"]
