"""Loading the processed zone into raw tables: every batch once, nothing twice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from concert.lake import BatchManifest, ManifestFile, Zone, manifest_key, write_manifest
from concert.warehouse import (
    InvalidManifestError,
    RawTableMismatchError,
    build_warehouse,
    load_processed,
)
from concert.warehouse.testing import write_processed
from foundation.errors import BadRequestError
from foundation.objectstore.local import LocalObjectStore
from foundation.warehouse import DuckDbWarehouse, Warehouse
from tests.integration.concert.warehouse.lake import SALES, at, sale

RAW_TABLES = ("raw_artists", "raw_venues", "raw_concerts", "raw_ticket_sales")


def _snapshot(warehouse: Warehouse) -> dict[str, list[dict[str, object]]]:
    return {
        table: sorted(warehouse.query(f"select * from {table}").to_pylist(), key=repr)
        for table in (*RAW_TABLES, "_skyline_loads")
    }


def test_every_batch_is_loaded_with_its_lineage(
    warehouse: Warehouse, lake: LocalObjectStore
) -> None:
    report = load_processed(warehouse, lake)

    assert report.rows_by_entity() == {
        "artists": 3,
        "concerts": 4,
        "ticket_sales": 12,  # ten sales and two re-deliveries
        "venues": 2,
    }
    assert report.mismatched == ()
    assert not report.skipped
    lineage = warehouse.query(
        "select _source, count(distinct _batch_id) as batches from raw_ticket_sales group by 1"
    ).to_pylist()
    assert lineage == [{"_source": "test", "batches": 2}]


def test_loading_again_changes_nothing(warehouse: Warehouse, lake: LocalObjectStore) -> None:
    first = load_processed(warehouse, lake)
    before = _snapshot(warehouse)

    again = load_processed(warehouse, lake)

    assert _snapshot(warehouse) == before
    assert again.rows_loaded == 0
    assert len(again.skipped) == len(first.batches)
    assert [b.rows for b in again.batches] == [b.rows for b in first.batches]


def test_each_month_partition_of_a_batch_is_its_own_load(
    warehouse: Warehouse, store: LocalObjectStore
) -> None:
    # One batch of sales in two months: two folders, two manifests, two loads.
    write_processed(store, "ticket_sales", SALES[7:10], batch_id="sales-batch-1")
    report = load_processed(warehouse, store, entity="ticket_sales")
    assert [(batch.partition, batch.rows) for batch in report.loaded] == [
        ("month=2024-06/batch=sales-batch-1", 1),
        ("month=2024-07/batch=sales-batch-1", 2),
    ]
    assert report.rows_loaded == 3


def test_a_new_batch_is_loaded_and_the_old_ones_skipped(
    warehouse: Warehouse, lake: LocalObjectStore
) -> None:
    load_processed(warehouse, lake)
    write_processed(lake, "ticket_sales", [sale("s11", "c3", "u5", 1, 60.0, at("2024-07-02"))])

    report = load_processed(warehouse, lake)

    assert [(b.entity, b.rows) for b in report.loaded] == [("ticket_sales", 1)]
    count = warehouse.query("select count(*) as n from raw_ticket_sales").column("n")[0]
    assert count.as_py() == 13


def test_staging_keeps_the_latest_version_of_a_redelivered_row(
    warehouse: Warehouse, store: LocalObjectStore
) -> None:
    early = datetime(2024, 7, 1, tzinfo=UTC)
    write_processed(store, "ticket_sales", SALES[:2], ingested_at=early)
    corrected = {**SALES[0], "quantity": 3, "total_price": 150.0}
    write_processed(store, "ticket_sales", [corrected], ingested_at=early.replace(day=2))
    load_processed(warehouse, store)
    build_warehouse(warehouse)

    raw = warehouse.query("select count(*) as n from raw_ticket_sales").column("n")[0]
    staged = warehouse.query(
        "select sale_id, quantity, total_price from stg_ticket_sales order by sale_id"
    ).to_pylist()
    assert raw.as_py() == 3
    assert staged == [
        {"sale_id": "s1", "quantity": 3, "total_price": 150.0},
        {"sale_id": "s2", "quantity": 2, "total_price": 100.0},
    ]


def test_one_entity_can_be_loaded_alone(warehouse: Warehouse, lake: LocalObjectStore) -> None:
    report = load_processed(warehouse, lake, entity="venues")
    assert {batch.entity for batch in report.batches} == {"venues"}
    assert not warehouse.table_exists("raw_artists")
    with pytest.raises(BadRequestError, match="unknown entity 'gigs'"):
        load_processed(warehouse, lake, entity="gigs")


def test_progress_reports_each_batch(warehouse: Warehouse, lake: LocalObjectStore) -> None:
    calls: list[tuple[str, int, int]] = []
    load_processed(warehouse, lake, entity="concerts", progress=lambda *call: calls.append(call))
    assert calls == [("loading raw_concerts", done, 2) for done in range(3)]  # June, July


def _manifest(store: LocalObjectStore, key: str, **fields: object) -> None:
    values: dict[str, object] = {
        "batch_id": "b1",
        "zone": Zone.PROCESSED,
        "source": "test",
        "entity": "venues",
        "rows_read": 0,
        "rows_accepted": 0,
        "rows_rejected": 0,
        **fields,
    }
    write_manifest(store, key, BatchManifest.model_validate(values))


DAY = date(2024, 7, 3)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"entity": "artists"}, "describes processed/artists, not processed/venues"),
        ({"zone": Zone.RAW}, "describes raw/venues"),
        ({"batch_id": "b2"}, "batch_id 'b2' differs from its folder batch=b1"),
        (
            {
                "files": [
                    ManifestFile(key="processed/venues/other.parquet", size=1, etag="x", rows=1)
                ],
                "rows_read": 1,
                "rows_accepted": 1,
            },
            "lists 'processed/venues/other.parquet', which is outside its batch folder",
        ),
    ],
)
def test_a_manifest_that_disagrees_with_its_place_is_refused_naming_it(
    warehouse: Warehouse, store: LocalObjectStore, fields: dict[str, object], message: str
) -> None:
    key = manifest_key(Zone.PROCESSED, "venues", DAY, "b1")
    _manifest(store, key, **fields)
    with pytest.raises(InvalidManifestError, match=message) as caught:
        load_processed(warehouse, store, entity="venues")
    assert caught.value.key == key
    assert caught.value.status == 400


def test_an_unreadable_manifest_is_refused_naming_it(
    warehouse: Warehouse, store: LocalObjectStore
) -> None:
    key = manifest_key(Zone.PROCESSED, "venues", DAY, "b1")
    store.put(key, b'{"batch_id": "b1", "truncated')
    with pytest.raises(InvalidManifestError, match=f"unreadable manifest.*{key}"):
        load_processed(warehouse, store, entity="venues")


def test_a_batch_whose_rows_were_all_rejected_loads_nothing(
    warehouse: Warehouse, store: LocalObjectStore
) -> None:
    _manifest(
        store,
        manifest_key(Zone.PROCESSED, "venues", DAY, "b1"),
        rows_read=4,
        rows_rejected=4,
    )
    report = load_processed(warehouse, store, entity="venues")
    assert [(b.partition, b.rows, b.files) for b in report.batches] == [
        ("month=2024-07/batch=b1", 0, 0)
    ]
    assert warehouse.query("select count(*) as n from raw_venues").column("n")[0].as_py() == 0


def test_a_raw_table_with_other_columns_is_refused_naming_them(
    warehouse: Warehouse, lake: LocalObjectStore
) -> None:
    warehouse.execute("create table raw_venues (venue_id varchar, name varchar)")
    with pytest.raises(RawTableMismatchError, match=r"raw_venues lacks column.*city") as caught:
        load_processed(warehouse, lake, entity="venues")
    assert caught.value.table == "raw_venues"
    assert caught.value.status == 409


def test_foundation_duckdb_loads_processed_paths_without_hive_columns(
    lake: LocalObjectStore,
) -> None:
    with DuckDbWarehouse() as plain:
        report = load_processed(plain, lake, entity="venues")
    assert report.rows_loaded == 2
