"""The warehouse summary and the ``/api/warehouse`` routes, on an empty and on a built warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from concert.api.deps import get_warehouse
from concert.api.routes.warehouse import router
from concert.warehouse import build_warehouse, load_models, load_processed, model_status
from concert.warehouse import warehouse_summary as summarise
from foundation.objectstore.local import LocalObjectStore
from foundation.warehouse import Warehouse
from foundation.warehouse.duckdb_warehouse import DuckDbWarehouse
from foundation.web import create_app
from tests.integration.concert.warehouse.lake import TOTAL_REVENUE, write_lake


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    store = LocalObjectStore(tmp_path_factory.mktemp("lake"), fsync=False)
    write_lake(store)
    with DuckDbWarehouse() as warehouse:
        load_processed(warehouse, store)
        build_warehouse(warehouse)
        yield warehouse


def _client(warehouse: Warehouse) -> TestClient:
    app: FastAPI = create_app(title="test", service="concert-test")
    app.include_router(router)
    app.dependency_overrides[get_warehouse] = lambda: warehouse
    return TestClient(app)


def test_summary_of_a_built_warehouse(built: Warehouse) -> None:
    summary = summarise(built)

    assert summary["built"] is True
    assert summary["row_counts"]["raw_ticket_sales"] == 12
    assert summary["row_counts"]["fact_ticket_sales"] == 10
    assert set(summary["row_counts"]) >= set(load_models())
    assert summary["date_range"] == {
        "first_sale_day": "2024-06-01",
        "last_sale_day": "2024-07-02",
        "first_concert_day": "2024-06-07",
        "last_concert_day": "2024-07-15",
    }
    assert [v["venue_id"] for v in summary["top_venues"]] == ["v2", "v1"]  # 600 vs 500
    assert [(a["artist_id"], a["revenue"]) for a in summary["top_artists"]] == [
        ("a1", 800.0),
        ("a2", 300.0),
        ("a3", 0.0),
    ]
    assert sum(v["revenue"] for v in summary["top_venues"]) == TOTAL_REVENUE
    loads = summary["last_loads"]
    assert set(loads) == {"artists", "venues", "concerts", "ticket_sales"}
    assert loads["ticket_sales"]["rows_loaded"] == 12
    assert loads["ticket_sales"]["batches"] == 4  # June and July, loaded and re-delivered
    assert summary["last_build"] is not None


def test_summary_of_an_empty_warehouse_reports_nothing_built() -> None:
    with DuckDbWarehouse() as empty:
        summary = summarise(empty)
    assert summary == {
        "built": False,
        "row_counts": {},
        "date_range": None,
        "top_venues": [],
        "top_artists": [],
        "last_loads": {},
        "last_build": None,
    }


def test_model_status_lists_every_model_with_its_build_and_tests(built: Warehouse) -> None:
    status = model_status(built)
    assert [model["name"] for model in status] == list(load_models())
    fact = next(model for model in status if model["name"] == "fact_concerts")
    assert fact["row_count"] == 4
    assert fact["key"] == ["concert_id"]
    assert fact["depends_on"] == ["fact_ticket_sales", "stg_concerts", "stg_venues"]
    assert fact["last_built_at"] is not None
    assert fact["tests_passed"] is True
    assert {t["test"] for t in fact["tests"]} >= {
        "unique(concert_id)",
        "sell_through between 0 and 1",
        "revenue equals the sum of its sales",
    }


def test_api_summary(built: Warehouse) -> None:
    response = _client(built).get("/api/warehouse/summary")
    assert response.status_code == 200
    body = response.json()
    assert body["built"] is True
    assert body["row_counts"]["dim_venue"] == 2


def test_api_models(built: Warehouse) -> None:
    response = _client(built).get("/api/warehouse/models")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(load_models()) == len(body["data"])
    staging = body["data"][0]
    assert staging["layer"] == "staging"
    assert staging["description"]
    assert all(test["passed"] for model in body["data"] for test in model["tests"])


def test_api_models_before_any_build(tmp_path: Path) -> None:
    with DuckDbWarehouse(tmp_path / "empty.duckdb") as empty:
        body = _client(empty).get("/api/warehouse/models").json()
    assert body["count"] == len(load_models())
    assert {(m["row_count"], m["last_built_at"], m["tests_passed"]) for m in body["data"]} == {
        (None, None, False)
    }
