"""``POST /api/ingest/{entity}``: raw bodies, multipart forms, size limits and errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from concert.api.routes.ingest import router
from concert.settings import ConcertSettings
from foundation.adapters import Adapters
from foundation.settings import Settings
from foundation.web import create_app

LIMIT = 4096
CSV = (
    "sale_id,concert_id,customer_id,price_tier,quantity,unit_price,total_price,"
    "purchase_timestamp,payment_method\n"
    "s1,c1,u1,vip,2,10.5,21.0,2025-06-01T20:00:00Z,paypal\n"
    "s2,c1,u2,vip,0,10.5,0,2025-06-01T20:00:00Z,paypal\n"
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app: FastAPI = create_app(
        title="test", service="concert-test", max_request_bytes=1024,
        body_limit_overrides={"/api/ingest": None},
    )  # fmt: skip
    app.state.adapters = Adapters(Settings(data_dir=tmp_path))
    app.state.concert_settings = ConcertSettings(max_upload_bytes=LIMIT)
    app.include_router(router)
    with TestClient(app) as test_client:
        yield test_client


def test_a_csv_body_is_ingested_and_reported(client: TestClient) -> None:
    response = client.post(
        "/api/ingest/ticket_sales", content=CSV, headers={"content-type": "text/csv"}
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"]) == (2, 1, 1)
    assert report["rejections"][0]["row"] == 2
    assert report["rejections"][0]["field"] == "quantity"
    assert report["file_format"] == "csv"


def test_a_multipart_upload_is_ingested(client: TestClient) -> None:
    response = client.post(
        "/api/ingest/ticket_sales",
        files={"file": ("sales.csv", CSV.encode(), "text/csv")},
    )
    assert response.status_code == 201, response.text
    assert response.json()["raw_key"].endswith("/sales.csv")


def test_a_declared_length_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    body = CSV.encode() * 100
    response = client.post(
        "/api/ingest/ticket_sales", content=body, headers={"content-type": "text/csv"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert f"{LIMIT:,}" in response.json()["detail"]


def test_a_body_without_a_length_is_refused_once_it_passes_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield CSV.encode()

    response = client.post(
        "/api/ingest/ticket_sales", content=chunks(), headers={"content-type": "text/csv"}
    )
    assert response.status_code == 413


def test_an_unknown_entity_is_a_404_naming_it(client: TestClient) -> None:
    response = client.post("/api/ingest/tickets", content=CSV, headers={"content-type": "text/csv"})
    assert response.status_code == 404
    assert "'tickets'" in response.json()["detail"]


def test_the_same_file_twice_is_a_409_naming_the_first_batch(client: TestClient) -> None:
    first = client.post(
        "/api/ingest/ticket_sales", content=CSV, headers={"content-type": "text/csv"}
    )
    again = client.post(
        "/api/ingest/ticket_sales", content=CSV, headers={"content-type": "text/csv"}
    )
    assert again.status_code == 409
    assert first.json()["batch_id"] in again.json()["detail"]


def test_a_wrong_column_is_a_400_naming_it(client: TestClient) -> None:
    response = client.post(
        "/api/ingest/ticket_sales",
        content=CSV.replace("quantity", "qty"),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 400
    assert "'qty'" in response.json()["detail"]
