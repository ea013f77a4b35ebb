"""The raw tables' DDL is generated from the processed-zone Arrow schemas."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from concert.domain import ENTITIES
from concert.domain.schema import arrow_schema
from concert.warehouse.ddl import raw_table_ddl, raw_table_name, sql_type
from foundation.errors import BadRequestError


@pytest.mark.parametrize(
    ("arrow", "duckdb_type", "redshift_type"),
    [
        (pa.string(), "VARCHAR", "VARCHAR"),
        (pa.int64(), "BIGINT", "BIGINT"),
        (pa.float64(), "DOUBLE", "DOUBLE"),
        (pa.bool_(), "BOOLEAN", "BOOLEAN"),
        (pa.date32(), "DATE", "DATE"),
        (pa.timestamp("us", tz="UTC"), "TIMESTAMPTZ", "TIMESTAMPTZ"),
        (pa.list_(pa.string()), "VARCHAR[]", "SUPER"),
        (pa.map_(pa.string(), pa.float64()), "MAP(VARCHAR, DOUBLE)", "SUPER"),
    ],
)
def test_arrow_types_map_to_column_types_per_backend(
    arrow: pa.DataType, duckdb_type: str, redshift_type: str
) -> None:
    assert sql_type(arrow) == duckdb_type
    assert sql_type(arrow, backend="redshift") == redshift_type


def test_a_type_without_a_column_type_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="decimal"):
        sql_type(pa.decimal128(10, 2))


def _utc(data_type: pa.DataType) -> pa.DataType:
    # DuckDB names its session zone Etc/UTC; the instant is the same.
    if pa.types.is_timestamp(data_type) and data_type.tz == "Etc/UTC":
        return pa.timestamp(data_type.unit, tz="UTC")
    return data_type


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_ddl_creates_a_table_with_exactly_the_arrow_schema(entity: str) -> None:
    spec = ENTITIES[entity]
    connection = duckdb.connect()
    connection.execute(raw_table_ddl(spec))
    created = connection.sql(f"select * from {raw_table_name(entity)}").to_arrow_table()
    expected = arrow_schema(spec)
    assert created.schema.names == expected.names
    assert [_utc(t) for t in created.schema.types] == expected.types
    described = connection.execute(f"describe {raw_table_name(entity)}").fetchall()
    nullable = {row[0]: row[2] == "YES" for row in described}
    assert nullable == {field.name: field.nullable for field in expected}


def test_ddl_is_create_if_not_exists_so_it_can_run_every_time() -> None:
    connection = duckdb.connect()
    for _ in range(2):
        connection.execute(raw_table_ddl(ENTITIES["venues"]))
    assert raw_table_ddl(ENTITIES["venues"]).startswith("CREATE TABLE IF NOT EXISTS raw_venues (")


def test_raw_table_name_refuses_an_unknown_entity() -> None:
    assert raw_table_name("ticket_sales") == "raw_ticket_sales"
    with pytest.raises(BadRequestError, match="unknown entity 'tickets'"):
        raw_table_name("tickets")
