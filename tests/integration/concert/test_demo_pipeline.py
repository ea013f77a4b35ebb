"""The demo flow `skyline prepare` runs: real ingestion, load, models and quality, idempotent."""

from __future__ import annotations

from pathlib import Path

from concert.pipeline import run_demo
from concert.settings import ConcertSettings
from foundation.adapters import Adapters
from foundation.settings import Settings


def test_demo_flow_builds_a_clean_warehouse_and_a_second_run_changes_nothing(
    tmp_path: Path,
) -> None:
    adapters = Adapters(Settings(data_dir=tmp_path))
    concert = ConcertSettings(demo_preset="tiny")
    first = run_demo(adapters, concert)
    assert set(first.ingested) == {
        "artists",
        "venues",
        "concerts",
        "ticket_sales",
        "user_interactions",
    }
    assert first.rows_loaded == sum(first.ingested.values())
    assert first.models_built >= 15
    assert first.failed_tests == []
    assert first.quality_scores and min(first.quality_scores.values()) > 90

    warehouse = adapters.warehouse(concert.warehouse)
    sales_before = warehouse.query("select count(*) as n from fact_ticket_sales")["n"][0].as_py()
    second = run_demo(adapters, concert)
    assert second.ingested == {} and second.rows_loaded == 0
    sales_after = warehouse.query("select count(*) as n from fact_ticket_sales")["n"][0].as_py()
    assert sales_after == sales_before == first.ingested["ticket_sales"]
