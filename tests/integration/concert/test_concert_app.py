"""The concert app as the portal serves it: uploads through /concert, health, OpenAPI."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from foundation.settings import Settings
from skyline.portal import create_portal

VENUES_CSV = (
    "venue_id,name,city,state,country,capacity,venue_type,latitude,longitude\n"
    "v1,Blue Room,Austin,TX,US,800,club,30.26,-97.74\n"
    "v2,Harbor Hall,Seattle,WA,US,0,hall,,\n"
)


def test_upload_through_the_portal_reports_accepted_and_rejected_rows(tmp_path: Path) -> None:
    client = TestClient(create_portal(Settings(data_dir=tmp_path)))
    response = client.post(
        "/concert/api/ingest/venues",
        content=VENUES_CSV.encode(),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"]) == (2, 1, 1)
    assert report["rejections"][0]["field"] == "capacity"


def test_concert_app_is_mounted_with_health_and_api_docs(tmp_path: Path) -> None:
    client = TestClient(create_portal(Settings(data_dir=tmp_path)))
    health = client.get("/concert/health")
    assert health.status_code == 200, health.text
    assert {c["name"] for c in health.json()["checks"]} >= {"raw zone", "warehouse"}
    paths = client.get("/concert/openapi.json").json()["paths"]
    assert "/api/ingest/{entity}" in paths
    assert any(path.startswith("/api/quality") for path in paths)
