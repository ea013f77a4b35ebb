"""Glue Data Catalog tables for the processed zone, generated from the entities' Arrow schemas.

One external Parquet table per entity at ``s3://{bucket}/processed/{entity}/``,
partitioned like the zone (``dt`` then ``batch``), so Athena, Redshift
Spectrum and Glue jobs read the same files the warehouse loads. The result is
the ``TableInput`` of Glue's ``CreateTable``; :func:`to_cfn_table_input` gives
the same shape with the camelCase keys CDK's ``glue.CfnTable(table_input=...)``
takes.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa

from concert.domain import ENTITIES
from concert.domain.schema import arrow_schema
from concert.lake import Zone
from foundation.errors import BadRequestError

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARTITION_KEYS = ({"Name": "month", "Type": "string"}, {"Name": "batch", "Type": "string"})

_HIVE_SCALARS: dict[pa.DataType, str] = {
    pa.string(): "string",
    pa.int64(): "bigint",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.date32(): "date",
    pa.timestamp("us", tz="UTC"): "timestamp",
    pa.timestamp("us"): "timestamp",
}
# Glue database names: lowercase letters, digits and underscores (Athena's rule).
_DATABASE = re.compile(r"^[a-z0-9_]{1,255}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# Keys whose values are free-form string maps, kept as they are in the camelCase shape.
_STRING_MAPS = frozenset({"Parameters"})


def hive_type(data_type: pa.DataType) -> str:
    """The Hive type Glue records for an Arrow type, e.g. ``array<string>``."""
    if pa.types.is_list(data_type):
        return f"array<{hive_type(data_type.value_type)}>"
    if pa.types.is_map(data_type):
        return f"map<{hive_type(data_type.key_type)},{hive_type(data_type.item_type)}>"
    try:
        return _HIVE_SCALARS[data_type]
    except KeyError:
        raise TypeError(f"no Hive type for Arrow type {data_type}") from None


def _check(processed_bucket: str, database: str) -> None:
    if not _BUCKET.match(processed_bucket):
        raise BadRequestError(
            f"processed_bucket {processed_bucket!r} is not an S3 bucket name",
            field="processed_bucket",
        )
    if not _DATABASE.match(database):
        raise BadRequestError(
            f"database {database!r} must be lowercase letters, digits and underscores",
            field="database",
        )


def glue_table_inputs(processed_bucket: str, database: str) -> list[dict[str, Any]]:
    """One Glue ``TableInput`` per entity, describing its folder of the processed zone.

    ``database`` is the Glue database the tables are created in (pass it as
    ``DatabaseName`` to ``create_table`` or ``CfnTable``); it is checked here
    and named in each table's description.
    """
    _check(processed_bucket, database)
    tables = []
    for entity, spec in ENTITIES.items():
        columns = [
            {"Name": field.name, "Type": hive_type(field.type)} for field in arrow_schema(spec)
        ]
        tables.append(
            {
                "Name": entity,
                "Description": (
                    f"Concert {entity.replace('_', ' ')} in the processed zone "
                    f"(database {database}), one partition per month and batch."
                ),
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
                "PartitionKeys": [dict(key) for key in PARTITION_KEYS],
                "StorageDescriptor": {
                    "Columns": columns,
                    "Location": f"s3://{processed_bucket}/{Zone.PROCESSED.value}/{entity}/",
                    "InputFormat": PARQUET_INPUT_FORMAT,
                    "OutputFormat": PARQUET_OUTPUT_FORMAT,
                    "Compressed": False,
                    "SerdeInfo": {
                        "SerializationLibrary": PARQUET_SERDE,
                        "Parameters": {"serialization.format": "1"},
                    },
                },
            }
        )
    return tables


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def to_cfn_table_input(table_input: Any) -> Any:
    """The same table with camelCase keys, as ``aws_cdk.aws_glue.CfnTable(table_input=...)``
    takes it; the keys inside ``Parameters`` maps are data and stay as they are."""
    if isinstance(table_input, list):
        return [to_cfn_table_input(item) for item in table_input]
    if not isinstance(table_input, dict):
        return table_input
    return {
        _camel(key): dict(value) if key in _STRING_MAPS else to_cfn_table_input(value)
        for key, value in table_input.items()
    }


__all__ = [
    "PARQUET_INPUT_FORMAT",
    "PARQUET_OUTPUT_FORMAT",
    "PARQUET_SERDE",
    "glue_table_inputs",
    "hive_type",
    "to_cfn_table_input",
]
