"""Building the SQL models over the hand-made lake; every figure is worked out in lake.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from concert.warehouse import ModelBuildError, build_warehouse, load_models, load_processed
from concert.warehouse import runner as runner_module
from concert.warehouse.runner import BuildReport
from concert.warehouse.testing import write_processed
from foundation.objectstore.local import LocalObjectStore
from foundation.warehouse import Warehouse
from foundation.warehouse.duckdb_warehouse import DuckDbWarehouse
from tests.integration.concert.warehouse.lake import TOTAL_REVENUE, at, sale, write_lake


@pytest.fixture(scope="module")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Warehouse, BuildReport]]:
    """Loaded and built once; the tests that read it must not change it."""
    store = LocalObjectStore(tmp_path_factory.mktemp("lake"), fsync=False)
    write_lake(store)
    with DuckDbWarehouse() as warehouse:
        load_processed(warehouse, store)
        yield warehouse, build_warehouse(warehouse)


@pytest.fixture
def built(built_lake: tuple[Warehouse, BuildReport]) -> BuildReport:
    return built_lake[1]


@pytest.fixture
def built_warehouse(built_lake: tuple[Warehouse, BuildReport]) -> Warehouse:
    return built_lake[0]


def _rows(warehouse: Warehouse, sql: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = warehouse.query(sql).to_pylist()
    return rows


def _by(warehouse: Warehouse, table: str, key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in _rows(warehouse, f"select * from {table}")}


def test_every_model_builds_in_dependency_order_and_every_test_passes(built: BuildReport) -> None:
    assert [run.model for run in built.runs] == list(load_models())
    assert built.failed_tests == ()
    assert built.passed
    assert len(built.tests) == sum(len(model.tests) for model in load_models().values())


def test_staging_removes_the_redelivered_sales(
    built_warehouse: Warehouse, built: BuildReport
) -> None:
    runs = {run.model: run.rows for run in built.runs}
    assert runs["stg_ticket_sales"] == runs["fact_ticket_sales"] == 10
    assert _rows(built_warehouse, "select count(*) as n from raw_ticket_sales") == [{"n": 12}]


def test_fact_concerts_has_sales_capacity_sell_through_and_sell_out(
    built_warehouse: Warehouse,
) -> None:
    concerts = _by(built_warehouse, "fact_concerts", "concert_id")
    c1, c2, c3, c4 = (concerts[c] for c in ("c1", "c2", "c3", "c4"))
    assert (c1["tickets_sold"], c1["revenue"], c1["orders"]) == (10, 500.0, 5)
    assert (c1["sell_through"], c1["attendance_rate"], c1["avg_ticket_price"]) == (1.0, 1.0, 50.0)
    assert (c1["sold_out"], c1["days_to_sell_out"]) == (True, 4)  # June 1 -> June 5
    assert (c2["tickets_sold"], c2["revenue"], c2["sell_through"]) == (10, 300.0, 0.1)
    assert c2["attendance_rate"] == pytest.approx(0.4)
    assert (c2["sold_out"], c2["days_to_sell_out"]) == (False, None)
    assert (c3["sell_through"], c3["status"], c3["attendance"]) == (0.05, "scheduled", None)
    assert (c4["tickets_sold"], c4["revenue"], c4["orders"], c4["avg_ticket_price"]) == (
        0,
        0,
        0,
        None,
    )
    assert c1["event_date"] == date(2024, 6, 7)


def test_fact_ticket_sales_carries_the_keys_of_every_dimension(built_warehouse: Warehouse) -> None:
    s9 = _by(built_warehouse, "fact_ticket_sales", "sale_id")["s9"]
    assert {k: s9[k] for k in ("concert_id", "artist_id", "venue_id", "customer_id")} == {
        "concert_id": "c3",
        "artist_id": "a1",
        "venue_id": "v2",
        "customer_id": "u1",
    }
    assert (s9["date_day"], s9["quantity"], s9["revenue"]) == (date(2024, 7, 1), 3, 180.0)


def test_dim_customer_totals_and_favourite_genre(built_warehouse: Warehouse) -> None:
    customers = _by(built_warehouse, "dim_customer", "customer_id")
    u1 = customers["u1"]
    assert (u1["orders"], u1["tickets"], u1["total_spend"]) == (4, 11, 500.0)
    assert u1["avg_order_value"] == 125.0
    assert (u1["first_purchase_at"].date(), u1["last_purchase_at"].date()) == (
        date(2024, 6, 1),
        date(2024, 7, 1),
    )
    assert {c: row["favourite_genre"] for c, row in customers.items()} == {
        "u1": "rock",  # 7 rock tickets against 4 jazz
        "u2": "rock",
        "u3": "jazz",  # 5 jazz tickets against 2 rock
        "u4": "jazz",
    }


def test_dim_artist_uses_the_first_genre_and_unknown_without_one(
    built_warehouse: Warehouse,
) -> None:
    artists = _by(built_warehouse, "dim_artist", "artist_id")
    assert [artists[a]["primary_genre"] for a in ("a1", "a2", "a3")] == ["rock", "jazz", "unknown"]
    assert [artists[a]["popularity_tier"] for a in ("a1", "a2", "a3")] == [
        "headliner",
        "rising",
        "emerging",
    ]


def test_dim_date_covers_the_data_with_calendar_attributes(built_warehouse: Warehouse) -> None:
    days = _by(built_warehouse, "dim_date", "date_day")
    assert (min(days), max(days), len(days)) == (date(2024, 6, 1), date(2024, 7, 15), 45)
    friday, saturday = days[date(2024, 6, 7)], days[date(2024, 6, 8)]
    assert (friday["weekday_name"], friday["day_of_week"], friday["is_weekend"]) == (
        "Friday",
        5,
        False,
    )
    assert (saturday["weekday_name"], saturday["is_weekend"]) == ("Saturday", True)
    july = days[date(2024, 7, 1)]
    assert (july["year"], july["quarter"], july["month"], july["season"]) == (2024, 3, 7, "summer")
    assert july["month_start"] == date(2024, 7, 1)


def test_mart_daily_sales_fills_quiet_days_and_averages_seven_days(
    built_warehouse: Warehouse,
) -> None:
    daily = _by(built_warehouse, "mart_daily_sales", "date_day")
    assert (min(daily), max(daily), len(daily)) == (date(2024, 6, 1), date(2024, 7, 2), 32)
    first = daily[date(2024, 6, 1)]
    assert (first["revenue"], first["tickets"], first["orders"], first["customers"]) == (
        220.0,
        6,
        2,
        1,
    )
    assert first["revenue_7d_avg"] == 220.0
    assert daily[date(2024, 6, 6)]["revenue"] == 0
    assert daily[date(2024, 6, 7)]["revenue_7d_avg"] == pytest.approx(800 / 7)
    assert sum(row["revenue"] for row in daily.values()) == TOTAL_REVENUE


def test_mart_artist_trends_compare_with_the_month_before(built_warehouse: Warehouse) -> None:
    rows = {
        (row["artist_id"], row["month_start"]): row
        for row in _rows(built_warehouse, "select * from mart_artist_trends")
    }
    june, july = rows[("a1", date(2024, 6, 1))], rows[("a1", date(2024, 7, 1))]
    assert (june["tickets"], june["revenue"], june["concerts"]) == (10, 500.0, 1)
    assert (june["tickets_growth"], june["revenue_growth"]) == (None, None)
    assert (july["tickets"], july["revenue"], july["concerts"]) == (5, 300.0, 1)
    assert (july["tickets_growth"], july["revenue_growth"]) == (-0.5, -0.4)
    # A month with a concert but no sales still has its row.
    silent = rows[("a3", date(2024, 7, 1))]
    assert (silent["tickets"], silent["concerts"]) == (0, 1)


def test_mart_genre_trends_by_place_and_month(built_warehouse: Warehouse) -> None:
    rows = _rows(
        built_warehouse,
        "select genre, country, state, city, month_start, tickets, revenue, concerts "
        "from mart_genre_trends order by genre, month_start, city",
    )
    assert rows == [
        {
            "genre": "jazz",
            "country": "DE",
            "state": None,
            "city": "Berlin",
            "month_start": date(2024, 6, 1),
            "tickets": 10,
            "revenue": 300.0,
            "concerts": 1,
        },
        {
            "genre": "rock",
            "country": "US",
            "state": "TX",
            "city": "Austin",
            "month_start": date(2024, 6, 1),
            "tickets": 10,
            "revenue": 500.0,
            "concerts": 1,
        },
        {
            "genre": "rock",
            "country": "DE",
            "state": None,
            "city": "Berlin",
            "month_start": date(2024, 7, 1),
            "tickets": 5,
            "revenue": 300.0,
            "concerts": 1,
        },
    ]


def test_mart_venue_popularity_inputs(built_warehouse: Warehouse) -> None:
    venues = _by(built_warehouse, "mart_venue_popularity", "venue_id")
    v1, v2 = venues["v1"], venues["v2"]
    assert (v1["concerts"], v1["completed_concerts"], v1["cancelled_concerts"]) == (2, 1, 1)
    assert (v1["tickets_sold"], v1["revenue"], v1["revenue_per_seat"]) == (10, 500.0, 25.0)
    # The cancelled concert counts in neither sell-through nor demand.
    assert (v1["avg_sell_through"], v1["recency_weighted_demand"]) == (1.0, 1.0)
    assert (v1["distinct_genres"], v1["top_genre"], v1["top_genre_share"]) == (2, "rock", 0.5)
    # v2: c2 (0.1) is 37 days before the latest concert (c4, July 15), c3 (0.05) 5 days.
    w2, w3 = 0.5 ** (37 / 90), 0.5 ** (5 / 90)
    assert v2["recency_weighted_demand"] == pytest.approx((0.1 * w2 + 0.05 * w3) / (w2 + w3))
    assert v2["avg_sell_through"] == pytest.approx(0.075)
    assert (v2["revenue_per_seat"], v2["top_genre"]) == (3.0, "jazz")


def test_rebuilding_gives_the_same_tables(built_warehouse: Warehouse) -> None:
    before = {
        name: sorted(map(repr, _rows(built_warehouse, f"select * from {name}")))
        for name in load_models()
    }
    again = build_warehouse(built_warehouse)
    assert again.passed
    after = {
        name: sorted(map(repr, _rows(built_warehouse, f"select * from {name}")))
        for name in load_models()
    }
    assert after == before


def test_an_empty_warehouse_builds_empty_models_that_pass(warehouse: Warehouse) -> None:
    report = build_warehouse(warehouse)
    assert {run.rows for run in report.runs} == {0}
    assert report.passed


def test_oversold_and_orphan_sales_fail_their_tests_without_stopping_the_build(
    warehouse: Warehouse, lake: LocalObjectStore
) -> None:
    write_processed(
        lake,
        "ticket_sales",
        [
            sale("s20", "c1", "u9", 1, 50.0, at("2024-06-06")),  # an 11th ticket for 10 seats
            sale("s21", "c99", "u9", 1, 50.0, at("2024-06-06")),  # a concert nobody knows
        ],
    )
    load_processed(warehouse, lake)
    report = build_warehouse(warehouse)

    failed = {(result.model, result.test): result.failures for result in report.failed_tests}
    assert failed == {
        ("fact_concerts", "sell_through between 0 and 1"): 1,
        ("fact_ticket_sales", "relationships(concert_id -> fact_concerts.concert_id)"): 1,
        # and what follows from them: the orphan's revenue belongs to no concert,
        ("fact_concerts", "total revenue equals fact_ticket_sales total revenue"): 1,
        # and the oversold club's averages pass 1.
        ("mart_venue_popularity", "avg_sell_through between 0 and 1"): 1,
        ("mart_venue_popularity", "recency_weighted_demand between 0 and 1"): 1,
    }
    assert not report.passed
    assert len(report.runs) == len(load_models())


def test_a_failing_model_stops_the_build_naming_it(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = load_models()
    broken = replace(models["dim_venue"], sql="select no_such_column from stg_venues")
    monkeypatch.setattr(runner_module, "load_models", lambda: {**models, "dim_venue": broken})

    with pytest.raises(
        ModelBuildError, match=r"model dim_venue failed to build: .*no_such_column"
    ) as caught:
        build_warehouse(warehouse)

    assert caught.value.model == "dim_venue"
    assert warehouse.table_exists("stg_venues")
    assert not warehouse.table_exists("mart_venue_popularity")


def test_progress_reports_models_then_tests(warehouse: Warehouse) -> None:
    calls: list[tuple[str, int, int]] = []
    build_warehouse(warehouse, progress=lambda *call: calls.append(call))
    steps = [step for step, _, _ in calls]
    models, tests = steps.count("building models"), steps.count("testing models")
    assert steps == ["building models"] * models + ["testing models"] * tests
    assert calls[models - 1] == ("building models", len(load_models()), len(load_models()))
    assert calls[-1][1] == calls[-1][2]
