"""The validation engine: schemas, row numbers, unreadable records, chunks and prepared runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa
import pytest

from concert.domain.models import ENTITIES
from concert.domain.schema import arrow_schema
from concert.lake import split_by_month
from concert.validation import (
    ColumnMismatchError,
    Lineage,
    TableSlot,
    Validator,
    connect,
    iter_validated,
    validate_table,
)

LINEAGE = Lineage("b-1", "test", datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
SALES = ENTITIES["ticket_sales"]


def sale(n: int, **changes: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "sale_id": f"s{n}", "concert_id": "c1", "customer_id": "u1", "price_tier": "vip",
        "quantity": "2", "unit_price": "10.5", "total_price": "21.0",
        "purchase_timestamp": f"2025-06-{n % 28 + 1:02d}T20:00:00Z", "payment_method": "paypal",
    }  # fmt: skip
    row.update(changes)
    return row


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect()
    yield connection
    connection.close()


def table(rows: list[dict[str, str | None]], **extra: pa.Array) -> pa.Table:
    columns = {name: pa.array([r[name] for r in rows], pa.string()) for name in SALES.fields}
    return pa.table({**columns, **extra})


def test_accepted_rows_have_exactly_the_processed_schema_with_lineage() -> None:
    result = validate_table(table([sale(1), sale(2)]), SALES, LINEAGE)
    assert result.accepted.schema == arrow_schema(SALES)
    assert result.accepted.column("_batch_id").to_pylist() == ["b-1", "b-1"]
    assert result.accepted.column("_ingested_at").to_pylist()[0] == LINEAGE.ingested_at
    assert result.accepted.column("quantity").to_pylist() == [2, 2]


def test_rejected_rows_are_numbered_by_position_and_keep_their_raw_values() -> None:
    rows = [sale(1), sale(2, quantity="0"), sale(3), sale(4, payment_method="cash", sale_id=None)]
    result = validate_table(table(rows), SALES, LINEAGE)
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (4, 2, 2)
    found = {
        (r["row"], r["field"]): (r["reason"], r["value"]) for r in result.rejections.to_pylist()
    }
    assert found == {
        (2, "quantity"): ("Input should be greater than or equal to 1", "0"),
        (4, "sale_id"): ("Field required", None),
        (4, "payment_method"): (
            "Input should be 'credit_card', 'debit_card', 'paypal', 'apple_pay', 'google_pay' "
            "or 'gift_card'",
            "cash",
        ),
    }
    assert result.quarantine.column("row").to_pylist() == [2, 4]
    assert '"record":{"sale_id":"s2"' in result.quarantine.column("line")[0].as_py()


def test_unknown_keys_and_unreadable_records_are_rejected_on_their_own_field() -> None:
    rows = [sale(1), sale(2), sale(3)]
    extra = pa.array([None, ["colour"], None], pa.list_(pa.string()))
    error = pa.array([None, None, "not a JSON object"], pa.string())
    numbers = pa.array([10, 20, 30], pa.int64())
    result = validate_table(table(rows, _extra=extra, _error=error, _row=numbers), SALES, LINEAGE)
    assert result.rows_accepted == 1
    assert [(r["row"], r["field"], r["reason"]) for r in result.rejections.to_pylist()] == [
        (20, "colour", "Extra inputs are not permitted"),
        (30, "_record", "not a JSON object"),
    ]


def test_a_missing_column_is_named(con: duckdb.DuckDBPyConnection) -> None:
    con.register("input", table([sale(1)]).drop(["quantity"]))
    with pytest.raises(ColumnMismatchError, match="'quantity'"):
        Validator(con, SALES, "input")


def test_chunks_number_rows_across_the_whole_relation(con: duckdb.DuckDBPyConnection) -> None:
    rows = [sale(n, quantity="0" if n in (3, 8) else "2") for n in range(1, 11)]
    con.register("input", table(rows))
    results = list(iter_validated(con, "input", SALES, LINEAGE, chunk_rows=4))
    assert sum(r.rows_read for r in results) == 10
    assert [row for r in results for row in r.rejections.column("row").to_pylist()] == [3, 8]


def test_a_row_map_renumbers_rows_around_ones_dropped_before_validation(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.register("input", table([sale(1), sale(2, quantity="x")]))
    row_map = pa.array([1, 5], pa.int64())
    (result,) = iter_validated(con, "input", SALES, LINEAGE, row_map=row_map)
    assert result.rejections.column("row").to_pylist() == [5]


def test_a_prepared_validator_reads_the_slot_it_was_prepared_on_each_run(
    con: duckdb.DuckDBPyConnection,
) -> None:
    slot = TableSlot(table([sale(1)]).schema)
    con.register("slot", slot)
    validator = Validator(con, SALES, "slot", prepare=True)
    slot.table = table([sale(1), sale(2)])
    assert validator.validate(LINEAGE).rows_accepted == 2
    slot.table = table([sale(3, quantity="99")])
    result = validator.validate(LINEAGE)
    validator.close()
    assert (result.rows_accepted, result.rows_rejected) == (0, 1)


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        pytest.param(
            [
                "2025-06-30T23:30:00-02:00",  # 2025-07-01 in UTC
                "2025-06-01T10:00:00Z",
                "2024-12-31T23:59:59Z",
                "2025-07-02T01:00:00Z",
            ],
            [(date(2024, 12, 1), ["s2"]), (date(2025, 6, 1), ["s1"]),
             (date(2025, 7, 1), ["s0", "s3"])],
            id="out of order, by the UTC month",
        ),
        pytest.param(
            [
                "2025-05-31T23:00:00Z",
                "2025-05-02T10:00:00Z",  # in order by month, not by time
                "2025-06-01T00:00:00Z",
                "2025-08-15T12:00:00Z",
                "2025-08-01T09:00:00Z",
            ],
            [(date(2025, 5, 1), ["s0", "s1"]), (date(2025, 6, 1), ["s2"]),
             (date(2025, 8, 1), ["s3", "s4"])],
            id="already in month order, not reordered",
        ),
    ],
)  # fmt: skip
def test_partitions_follow_the_utc_month_of_the_event_time(
    times: list[str], expected: list[tuple[date, list[str]]]
) -> None:
    rows = [sale(n, purchase_timestamp=time) for n, time in enumerate(times)]
    result = validate_table(table(rows), SALES, LINEAGE)
    parts = split_by_month(result.accepted, SALES.event_time, date(2000, 1, 1))
    assert [(month, part.column("sale_id").to_pylist()) for month, part in parts] == expected


def test_rows_without_an_event_time_go_to_the_default_month() -> None:
    artists = pa.table({"artist_id": ["a1", "a2"]})
    assert [(m, t.num_rows) for m, t in split_by_month(artists, None, date(2025, 3, 9))] == [
        (date(2025, 3, 1), 2)
    ]
    assert split_by_month(artists.slice(0, 0), None, date(2025, 3, 9)) == []
