"""The quality router on an app built like the concert API, over the local adapters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from concert.api.routes.quality import router
from concert.settings import ConcertSettings
from foundation.adapters import Adapters
from foundation.settings import Settings
from foundation.web import create_app
from tests.integration.concert.quality.data import AS_OF, SECOND_BATCH, RawLoader, clean_rows


@pytest.fixture
def adapters(tmp_path: Path) -> Iterator[Adapters]:
    adapters = Adapters(Settings(data_dir=tmp_path / "data"))
    yield adapters
    adapters.warehouse(ConcertSettings(_env_file=None).warehouse).close()


@pytest.fixture
def loader(adapters: Adapters, tmp_path: Path) -> RawLoader:
    concert = ConcertSettings(_env_file=None)
    (tmp_path / "parquet").mkdir()
    return RawLoader(adapters.warehouse(concert.warehouse), tmp_path / "parquet")


@pytest.fixture
def client(adapters: Adapters) -> TestClient:
    app = create_app(title="Concert Data Platform", service="concert")
    app.include_router(router)
    app.state.adapters = adapters
    app.state.concert_settings = ConcertSettings(_env_file=None)
    return TestClient(app)


def _start(client: TestClient, **body: object) -> dict[str, Any]:
    response = client.post("/api/quality/runs", json={"as_of": AS_OF.isoformat(), **body})
    assert response.status_code == 201, response.text
    run: dict[str, Any] = response.json()
    return run


def test_a_run_is_started_stored_and_read_back(client: TestClient, loader: RawLoader) -> None:
    data = clean_rows()
    data["artists"].append({"artist_id": "a9", "name": "beatles", "popularity": 150})
    loader.load_all(data)

    run = _start(client)
    assert {score["entity"] for score in run["table_scores"]} == set(data)
    assert run["as_of"] == "2025-06-01T12:00:00Z"

    latest = client.get("/api/quality/latest").json()
    assert latest["run_id"] == run["run_id"]
    scores = {row["entity"]: row["score"] for row in latest["tables"]}
    assert scores["artists"] < 100.0 and scores["venues"] == 100.0
    assert [rule["rule_id"] for rule in latest["failing_rules"]] == ["artists.popularity.range"]

    duplicates = client.get("/api/quality/duplicates").json()
    assert duplicates["run_ids"]["artists"] == run["run_id"]
    (group,) = duplicates["groups"]
    assert (group["kind"], group["reason"], group["keys"]) == (
        "fuzzy",
        "similar_name",
        ["a3", "a9"],
    )

    artists = client.get("/api/quality/scores", params={"entity": "artists"}).json()
    assert [row["batch_id"] for row in artists] == [None, "20250601T100000Z-aaaaaaaa"]


def test_a_batch_run_returns_batch_scores_only(client: TestClient, loader: RawLoader) -> None:
    data = clean_rows()
    loader.load_all(data)
    loader.load("ticket_sales", data["ticket_sales"][:1], SECOND_BATCH)
    run = _start(client, batch_id=SECOND_BATCH, entities=["ticket_sales"])
    assert run["table_scores"] == []
    (score,) = run["batch_scores"]
    assert score["batch_id"] == SECOND_BATCH and score["score"] < 100.0
    rows = client.get("/api/quality/scores", params={"batch_id": SECOND_BATCH}).json()
    assert [row["score"] for row in rows] == [score["score"]]


def test_reads_before_any_run_are_404_problems(client: TestClient) -> None:
    for path in ("/api/quality/latest", "/api/quality/duplicates"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "quality checks first" in response.json()["detail"]
    assert client.get("/api/quality/scores").json() == []


def test_bad_requests_name_what_is_wrong(client: TestClient) -> None:
    unknown = client.post("/api/quality/runs", json={"entities": ["bands"]})
    assert unknown.status_code == 400
    assert "bands" in unknown.json()["detail"]
    naive = client.post("/api/quality/runs", json={"as_of": "2025-06-01T12:00:00"})
    assert naive.status_code == 422
    assert "as_of" in naive.text
    assert client.get("/api/quality/scores", params={"entity": "bands"}).status_code == 400
    assert client.get("/api/quality/scores", params={"limit": 0}).status_code == 422


def test_the_rule_catalog_is_listed(client: TestClient) -> None:
    rules = client.get("/api/quality/rules", params={"entity": "ticket_sales"}).json()
    ids = {rule["id"] for rule in rules}
    assert {"ticket_sales.quantity.range", "ticket_sales.concert_id.references"} <= ids
    assert {rule["entity"] for rule in rules} == {"ticket_sales"}
    assert len(client.get("/api/quality/rules").json()) > len(rules)
