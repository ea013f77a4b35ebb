"""Build every model in dependency order, then run every model's tests.

Each model is materialised as a table by ``DROP TABLE IF EXISTS`` + ``CREATE
TABLE AS`` in one transaction, so readers see the old table or the new one.
Staging models are tables too, not views: they are read by the model tests as
well as by the star schema, and re-running a de-duplication over millions of
rows for each reader costs more than writing it once (measured: 91 against 81
CPU-seconds for the whole build and tests at 10 million sales).
The first model that fails stops the build with its name and the warehouse's
message. Each build and test run is recorded in two warehouse tables,
``warehouse_model_runs`` and ``warehouse_test_results``, which the API reads.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from concert.warehouse.ddl import create_raw_tables
from concert.warehouse.exceptions import ModelBuildError
from concert.warehouse.models import Model, load_models
from concert.warehouse.progress import Progress, report
from foundation.warehouse import Warehouse, WarehouseError

MODEL_RUNS_TABLE = "warehouse_model_runs"
TEST_RESULTS_TABLE = "warehouse_test_results"

_RUNS_DDL = f"""
create table if not exists {MODEL_RUNS_TABLE} (
    build_id varchar not null,
    model varchar not null,
    layer varchar not null,
    built_at timestamp not null,
    seconds double not null,
    row_count bigint not null
)
"""
_TESTS_DDL = f"""
create table if not exists {TEST_RESULTS_TABLE} (
    run_id varchar not null,
    model varchar not null,
    test varchar not null,
    kind varchar not null,
    passed boolean not null,
    failures bigint,
    error varchar,
    ran_at timestamp not null
)
"""
# Rows per INSERT: one statement (one Data API call on Redshift) carries many rows.
_INSERT_CHUNK = 20


@dataclass(frozen=True, slots=True)
class ModelRun:
    model: str
    layer: str
    seconds: float
    rows: int


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test of one model; ``failures`` is the number of failing rows (None on error)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    model: str
    test: str
    kind: str
    failures: int | None
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and self.failures == 0


@dataclass(frozen=True, slots=True)
class BuildReport:
    build_id: str
    runs: tuple[ModelRun, ...]
    tests: tuple[TestResult, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        """Every model built (or the build would have raised) and every test passed."""
        return all(result.passed for result in self.tests)

    @property
    def failed_tests(self) -> tuple[TestResult, ...]:
        return tuple(result for result in self.tests if not result.passed)


def _now() -> datetime:
    # Naive UTC: both engines store it in a TIMESTAMP column unchanged.
    return datetime.now(UTC).replace(tzinfo=None)


def _build(warehouse: Warehouse, model: Model) -> ModelRun:
    started = time.perf_counter()
    try:
        warehouse.execute_script(model.build_sql())
    except WarehouseError as exc:
        raise ModelBuildError(model.name, exc.detail) from exc
    seconds = time.perf_counter() - started
    counted = warehouse.query(f"select count(*) as n from {model.name}")  # noqa: S608
    return ModelRun(model.name, model.layer, seconds, int(counted.column("n")[0].as_py()))


def build_warehouse(warehouse: Warehouse, *, progress: Progress | None = None) -> BuildReport:
    """Build every model in dependency order, then test them all.

    Raises :class:`ModelBuildError` naming the first model that fails; models
    built before it keep their new tables, later ones keep their old ones.
    """
    started = time.perf_counter()
    models = load_models()
    create_raw_tables(warehouse)
    build_id = uuid.uuid4().hex
    runs: list[ModelRun] = []
    report(progress, "building models", 0, len(models))
    for done, model in enumerate(models.values(), start=1):
        runs.append(_build(warehouse, model))
        report(progress, "building models", done, len(models))
    built_at = _now()
    warehouse.execute(_RUNS_DDL)
    warehouse.insert_rows(
        MODEL_RUNS_TABLE,
        [
            {
                "build_id": build_id,
                "model": run.model,
                "layer": run.layer,
                "built_at": built_at,
                "seconds": run.seconds,
                "row_count": run.rows,
            }
            for run in runs
        ],
        chunk_size=_INSERT_CHUNK,
    )
    tests = test_warehouse(warehouse, progress=progress)
    return BuildReport(build_id, tuple(runs), tuple(tests), time.perf_counter() - started)


def _run_test(warehouse: Warehouse, model: Model, sql: str, name: str, kind: str) -> TestResult:
    try:
        found = warehouse.query(sql)
    except WarehouseError as exc:
        return TestResult(model.name, name, kind, None, exc.detail)
    return TestResult(model.name, name, kind, int(found.column("failures")[0].as_py()))


def test_warehouse(warehouse: Warehouse, *, progress: Progress | None = None) -> list[TestResult]:
    """Run every model's tests and record the results.

    A test whose query fails (its table is missing, say) is a failed test carrying the error.
    """
    models = load_models()
    planned = [(model, test) for model in models.values() for test in model.tests]
    results: list[TestResult] = []
    report(progress, "testing models", 0, len(planned))
    for done, (model, test) in enumerate(planned, start=1):
        results.append(
            _run_test(warehouse, model, test.count_sql(model.name), test.name, test.kind)
        )
        report(progress, "testing models", done, len(planned))
    ran_at = _now()
    run_id = uuid.uuid4().hex
    warehouse.execute(_TESTS_DDL)
    warehouse.insert_rows(
        TEST_RESULTS_TABLE,
        [
            {
                "run_id": run_id,
                "model": result.model,
                "test": result.test,
                "kind": result.kind,
                "passed": result.passed,
                "failures": result.failures,
                "error": result.error,
                "ran_at": ran_at,
            }
            for result in results
        ],
        chunk_size=_INSERT_CHUNK,
    )
    return results


test_warehouse.__test__ = False  # type: ignore[attr-defined]  # not a pytest test

__all__ = [
    "MODEL_RUNS_TABLE",
    "TEST_RESULTS_TABLE",
    "BuildReport",
    "ModelRun",
    "TestResult",
    "build_warehouse",
    "test_warehouse",
]
