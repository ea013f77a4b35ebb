"""What the warehouse holds: row counts, date range, top sellers, loads, builds and tests.

Read-only and JSON-ready (dates as ISO strings), for the API, the CLI and the
dashboards. Works on an empty or half-built warehouse: what is missing is
reported as missing (``None`` or empty), never as an error.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa

from concert.domain import ENTITIES
from concert.warehouse.ddl import raw_table_name
from concert.warehouse.models import load_models
from concert.warehouse.runner import MODEL_RUNS_TABLE, TEST_RESULTS_TABLE
from foundation.warehouse import LEDGER_TABLE, Warehouse

_DATE_RANGE = """
select sales.first_sale_day, sales.last_sale_day, concerts.first_concert_day,
    concerts.last_concert_day
from (select min(date_day) as first_sale_day, max(date_day) as last_sale_day
      from fact_ticket_sales) as sales
cross join (select min(event_date) as first_concert_day, max(event_date) as last_concert_day
      from fact_concerts) as concerts
"""
_TOP_VENUES = """
select venue_id, venue_name, city, country, concerts, tickets_sold, revenue
from mart_venue_popularity
order by revenue desc, venue_id
limit 5
"""
_TOP_ARTISTS = """
select artists.artist_id, artists.artist_name, artists.primary_genre,
    count(*) as concerts, cast(sum(concerts.tickets_sold) as bigint) as tickets_sold,
    sum(concerts.revenue) as revenue
from fact_concerts as concerts
inner join dim_artist as artists on concerts.artist_id = artists.artist_id
group by artists.artist_id, artists.artist_name, artists.primary_genre
order by revenue desc, artists.artist_id
limit 5
"""
_LAST_LOADS = f"""
select table_name, max(loaded_at) as last_loaded_at, count(distinct batch_id) as batches,
    sum(row_count) as rows_loaded
from {LEDGER_TABLE}
group by table_name
"""  # noqa: S608 - constant table name
_LAST_BUILDS = f"""
select model, built_at, seconds, row_count
from {MODEL_RUNS_TABLE}
qualify row_number() over (partition by model order by built_at desc) = 1
"""  # noqa: S608 - constant table name
_LAST_TESTS = f"""
select model, test, kind, passed, failures, error, ran_at
from {TEST_RESULTS_TABLE}
where run_id = (select run_id from {TEST_RESULTS_TABLE} order by ran_at desc limit 1)
order by model, test
"""  # noqa: S608 - constant table name


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in row.items()} for row in table.to_pylist()]


def _present(warehouse: Warehouse) -> set[str]:
    return {name.lower() for name in warehouse.list_tables()}


def _row_counts(warehouse: Warehouse, tables: list[str]) -> dict[str, int]:
    if not tables:
        return {}
    sql = " union all ".join(
        f"select '{table}' as table_name, count(*) as row_count from {table}"  # noqa: S608
        for table in tables
    )
    counted = {row["table_name"]: int(row["row_count"]) for row in warehouse.query(sql).to_pylist()}
    return {table: counted[table] for table in tables}


def warehouse_summary(warehouse: Warehouse) -> dict[str, Any]:
    """Row counts per table, date range, top venues and artists by revenue, last load per entity."""
    present = _present(warehouse)
    models = load_models()
    raw = {entity: raw_table_name(entity) for entity in ENTITIES}
    tables = [table for table in [*raw.values(), *models] if table in present]
    built = all(name in present for name in models)
    summary: dict[str, Any] = {
        "built": built,
        "row_counts": _row_counts(warehouse, tables),
        "date_range": None,
        "top_venues": [],
        "top_artists": [],
        "last_loads": {},
        "last_build": None,
    }
    if built:
        summary["date_range"] = _rows(warehouse.query(_DATE_RANGE))[0]
        summary["top_venues"] = _rows(warehouse.query(_TOP_VENUES))
        summary["top_artists"] = _rows(warehouse.query(_TOP_ARTISTS))
    if warehouse.table_exists(LEDGER_TABLE):
        loads = {row.pop("table_name"): row for row in _rows(warehouse.query(_LAST_LOADS))}
        summary["last_loads"] = {
            entity: loads[table] for entity, table in raw.items() if table in loads
        }
    if MODEL_RUNS_TABLE in present:
        builds = _rows(warehouse.query(_LAST_BUILDS))
        if builds:
            summary["last_build"] = max(row["built_at"] for row in builds)
    return summary


def model_status(warehouse: Warehouse) -> list[dict[str, Any]]:
    """Every model in build order: description, key, row count, last build and test results."""
    present = _present(warehouse)
    models = load_models()
    counts = _row_counts(warehouse, [name for name in models if name in present])
    builds: dict[str, dict[str, Any]] = {}
    if MODEL_RUNS_TABLE in present:
        builds = {row.pop("model"): row for row in _rows(warehouse.query(_LAST_BUILDS))}
    tests: dict[str, list[dict[str, Any]]] = {name: [] for name in models}
    if TEST_RESULTS_TABLE in present:
        for row in _rows(warehouse.query(_LAST_TESTS)):
            tests.setdefault(row.pop("model"), []).append(row)
    status = []
    for name, model in models.items():
        build = builds.get(name, {})
        status.append(
            {
                "name": name,
                "layer": model.layer,
                "description": model.description,
                "key": list(model.spec.key),
                "depends_on": sorted(model.depends_on | model.sources),
                "row_count": counts.get(name),
                "last_built_at": build.get("built_at"),
                "build_seconds": build.get("seconds"),
                "tests": tests[name],
                "tests_passed": bool(tests[name]) and all(t["passed"] for t in tests[name]),
            }
        )
    return status


__all__ = ["model_status", "warehouse_summary"]
