"""Glue Data Catalog tables for the processed zone, generated from the Arrow schemas."""

from __future__ import annotations

from typing import Any

import pytest

from concert.domain import ENTITIES
from concert.domain.schema import arrow_schema
from concert.warehouse.catalog import (
    PARQUET_INPUT_FORMAT,
    PARQUET_SERDE,
    glue_table_inputs,
    hive_type,
    to_cfn_table_input,
)
from foundation.errors import BadRequestError

BUCKET = "concert-data-processed-123456789012"
DATABASE = "concert_processed"
HIVE_TYPES = {
    "string",
    "bigint",
    "double",
    "boolean",
    "timestamp",
    "date",
    "array<string>",
    "map<string,double>",
}


@pytest.fixture(scope="module")
def tables() -> dict[str, dict[str, Any]]:
    return {table["Name"]: table for table in glue_table_inputs(BUCKET, DATABASE)}


def test_every_entity_has_a_table(tables: dict[str, dict[str, Any]]) -> None:
    assert set(tables) == set(ENTITIES)


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_columns_are_the_arrow_schema_in_hive_types(
    tables: dict[str, dict[str, Any]], entity: str
) -> None:
    columns = tables[entity]["StorageDescriptor"]["Columns"]
    schema = arrow_schema(ENTITIES[entity])
    assert [column["Name"] for column in columns] == schema.names
    assert [column["Type"] for column in columns] == [hive_type(f.type) for f in schema]
    assert {column["Type"] for column in columns} <= HIVE_TYPES


def test_nested_and_time_types_map_to_hive_names(tables: dict[str, dict[str, Any]]) -> None:
    def types(entity: str) -> dict[str, str]:
        columns = tables[entity]["StorageDescriptor"]["Columns"]
        return {column["Name"]: column["Type"] for column in columns}

    assert types("artists")["genres"] == "array<string>"
    assert types("artists")["formation_date"] == "date"
    assert types("concerts")["ticket_prices"] == "map<string,double>"
    assert types("ticket_sales")["purchase_timestamp"] == "timestamp"
    assert types("ticket_sales")["quantity"] == "bigint"
    assert types("venues")["latitude"] == "double"


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_table_is_an_external_parquet_table_partitioned_like_the_zone(
    tables: dict[str, dict[str, Any]], entity: str
) -> None:
    table = tables[entity]
    storage = table["StorageDescriptor"]
    assert storage["Location"] == f"s3://{BUCKET}/processed/{entity}/"
    assert storage["InputFormat"] == PARQUET_INPUT_FORMAT
    assert storage["SerdeInfo"]["SerializationLibrary"] == PARQUET_SERDE
    assert table["PartitionKeys"] == [
        {"Name": "month", "Type": "string"},
        {"Name": "batch", "Type": "string"},
    ]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"]["classification"] == "parquet"


@pytest.mark.parametrize(
    ("bucket", "database", "field"),
    [
        ("Bad_Bucket", DATABASE, "processed_bucket"),
        (BUCKET, "Concert-Processed", "database"),
    ],
)
def test_bad_names_are_refused_naming_the_field(bucket: str, database: str, field: str) -> None:
    with pytest.raises(BadRequestError, match=field) as caught:
        glue_table_inputs(bucket, database)
    assert caught.value.extra["field"] == field


def test_glue_create_table_accepts_every_table(moto_aws: None) -> None:
    import boto3

    glue = boto3.client("glue", region_name="us-east-1")
    glue.create_database(DatabaseInput={"Name": DATABASE})
    inputs = glue_table_inputs(BUCKET, DATABASE)
    for table_input in inputs:
        glue.create_table(DatabaseName=DATABASE, TableInput=table_input)

    stored = {t["Name"]: t for t in glue.get_tables(DatabaseName=DATABASE)["TableList"]}
    assert set(stored) == set(ENTITIES)
    for table_input in inputs:
        table = stored[table_input["Name"]]
        assert table["StorageDescriptor"]["Columns"] == table_input["StorageDescriptor"]["Columns"]
        assert table["PartitionKeys"] == table_input["PartitionKeys"]
        assert (
            table["StorageDescriptor"]["Location"] == table_input["StorageDescriptor"]["Location"]
        )


def test_cfn_shape_is_camel_case_with_parameter_maps_untouched() -> None:
    cfn = to_cfn_table_input(glue_table_inputs(BUCKET, DATABASE)[0])
    assert cfn["name"] == "artists"
    assert cfn["tableType"] == "EXTERNAL_TABLE"
    assert cfn["parameters"] == {"classification": "parquet", "EXTERNAL": "TRUE"}
    storage = cfn["storageDescriptor"]
    assert storage["columns"][0] == {"name": "artist_id", "type": "string"}
    assert storage["serdeInfo"] == {
        "serializationLibrary": PARQUET_SERDE,
        "parameters": {"serialization.format": "1"},
    }
    assert cfn["partitionKeys"] == [
        {"name": "month", "type": "string"},
        {"name": "batch", "type": "string"},
    ]
