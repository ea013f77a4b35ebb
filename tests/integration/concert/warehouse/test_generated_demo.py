"""The generator's demo data, end to end: processed zone -> load -> build -> tests -> marts.

The demo preset's sizes (artists, venues, customers, 480 concerts, ~300k
sales) over a shorter window than the preset's two and a half years, so the
day partitions (one load each) stay few enough for a test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from concert.ingest.generator import GeneratedData, GeneratorConfig, generate
from concert.warehouse import BuildReport, build_warehouse, load_processed
from concert.warehouse.testing import write_processed
from foundation.objectstore.local import LocalObjectStore
from foundation.warehouse import Warehouse
from foundation.warehouse.duckdb_warehouse import DuckDbWarehouse

pytestmark = pytest.mark.slow

AS_OF = date(2025, 6, 1)


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[GeneratedData, Warehouse, BuildReport]]:
    data = generate(GeneratorConfig.preset("demo", as_of=AS_OF, history_days=150, future_days=30))
    root: Path = tmp_path_factory.mktemp("demo")
    store = LocalObjectStore(root / "processed", fsync=False)
    for entity, table in data.tables().items():
        write_processed(store, entity, table, source="generator")
    with DuckDbWarehouse(root / "warehouse.duckdb") as warehouse:
        load_processed(warehouse, store)
        yield data, warehouse, build_warehouse(warehouse)


def _one(warehouse: Warehouse, sql: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = warehouse.query(sql).to_pylist()
    assert len(rows) == 1
    return rows[0]


def test_every_model_test_passes_on_generated_data(
    demo: tuple[GeneratedData, Warehouse, BuildReport],
) -> None:
    _, _, report = demo
    assert [(r.model, r.test, r.failures, r.error) for r in report.failed_tests] == []


def test_every_generated_row_reaches_the_star_schema(
    demo: tuple[GeneratedData, Warehouse, BuildReport],
) -> None:
    data, _, report = demo
    rows = {run.model: run.rows for run in report.runs}
    assert rows["fact_ticket_sales"] == data.ticket_sales.num_rows
    assert rows["fact_concerts"] == data.concerts.num_rows
    assert rows["dim_artist"] == data.artists.num_rows
    assert rows["dim_venue"] == data.venues.num_rows
    assert rows["stg_user_interactions"] == data.user_interactions.num_rows


def test_friday_and_saturday_have_more_concerts_than_midweek(
    demo: tuple[GeneratedData, Warehouse, BuildReport],
) -> None:
    _, warehouse, _ = demo
    per_day = {
        row["weekday_name"]: row["concerts"]
        for row in warehouse.query(
            "select dates.weekday_name, count(*) as concerts from fact_concerts as concerts "
            "inner join dim_date as dates on concerts.event_date = dates.date_day group by 1"
        ).to_pylist()
    }
    weekend = (per_day["Friday"] + per_day["Saturday"]) / 2
    midweek = (per_day["Monday"] + per_day["Tuesday"] + per_day["Wednesday"]) / 3
    assert weekend > 1.5 * midweek


def test_sell_through_is_a_fraction_and_popular_artists_sell_more(
    demo: tuple[GeneratedData, Warehouse, BuildReport],
) -> None:
    _, warehouse, _ = demo
    bounds = _one(
        warehouse,
        "select min(sell_through) as low, max(sell_through) as high, "
        "avg(case when sold_out then 1.0 else 0.0 end) as sold_out_share "
        "from fact_concerts where status = 'completed'",
    )
    assert 0 <= bounds["low"] <= bounds["high"] <= 1
    assert 0 < bounds["sold_out_share"] < 1
    by_tier = {
        row["popularity_tier"]: row["sell_through"]
        for row in warehouse.query(
            "select artists.popularity_tier, avg(concerts.sell_through) as sell_through "
            "from fact_concerts as concerts inner join dim_artist as artists "
            "on concerts.artist_id = artists.artist_id "
            "where concerts.status = 'completed' group by 1"
        ).to_pylist()
    }
    assert by_tier["headliner"] > by_tier["emerging"]


def test_marts_add_up_to_the_sales(demo: tuple[GeneratedData, Warehouse, BuildReport]) -> None:
    data, warehouse, _ = demo
    revenue = sum(data.ticket_sales.column("total_price").to_pylist())
    totals = _one(
        warehouse,
        "select (select sum(revenue) from mart_daily_sales) as daily, "
        "(select sum(revenue) from mart_artist_trends) as artists, "
        "(select sum(revenue) from mart_genre_trends) as genres, "
        "(select sum(revenue) from mart_venue_popularity) as venues",
    )
    assert all(total == pytest.approx(revenue) for total in totals.values())
    assert _one(warehouse, "select count(*) as n from mart_venue_popularity")["n"] == len(
        data.venues
    )
