"""``/api/warehouse``: what the warehouse holds; every SQL model, its last build and tests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from concert.api.deps import WarehouseDep
from concert.warehouse import model_status, warehouse_summary

router = APIRouter(prefix="/api/warehouse", tags=["warehouse"])


class ModelTestOutput(BaseModel):
    test: str
    kind: str
    passed: bool
    failures: int | None
    error: str | None
    ran_at: str


class ModelOutput(BaseModel):
    name: str
    layer: str
    description: str
    key: list[str]
    depends_on: list[str]
    row_count: int | None
    last_built_at: str | None
    build_seconds: float | None
    tests: list[ModelTestOutput]
    tests_passed: bool


class ModelsOutput(BaseModel):
    data: list[ModelOutput]
    count: int


@router.get("/summary", summary="Row counts, date range, top sellers and the last loads")
def summary(warehouse: WarehouseDep) -> dict[str, Any]:
    """Rows per raw table and model, the sales and concert date range, the top venues and
    artists by revenue, the last load per entity and the last build time. Parts not built
    yet are null or empty."""
    return warehouse_summary(warehouse)


@router.get("/models", summary="Every SQL model with its last build and test results")
def models(warehouse: WarehouseDep) -> ModelsOutput:
    """Models in build order: description, key, dependencies, row count, when it was last
    built and how long it took, and the results of its tests in the latest test run."""
    status = model_status(warehouse)
    return ModelsOutput(data=[ModelOutput.model_validate(row) for row in status], count=len(status))


__all__ = ["router"]
