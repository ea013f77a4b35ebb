"""Warehouse port: run SQL written in DuckDB's dialect, bulk load Parquet, fetch Arrow tables.

:class:`DuckDbWarehouse` runs the SQL in an embedded DuckDB file (the local
default); :class:`RedshiftWarehouse` translates it with sqlglot and runs it on
Redshift Serverless through the Redshift Data API. Parameters are named and
written ``$name``. ``load_parquet`` is idempotent per (table, batch id) through
a ledger table, so a retried pipeline step never loads a batch twice.
"""

from foundation.warehouse.base import LEDGER_TABLE, LoadMode, LoadResult, Warehouse
from foundation.warehouse.dialect import split_statements, to_redshift
from foundation.warehouse.duckdb_warehouse import DuckDbWarehouse
from foundation.warehouse.exceptions import (
    InvalidArgumentError,
    LoadError,
    QueryFailedError,
    UnsupportedSqlError,
    WarehouseError,
    WarehouseTimeoutError,
    WarehouseUnavailableError,
)
from foundation.warehouse.redshift import RedshiftWarehouse

__all__ = [
    "LEDGER_TABLE",
    "DuckDbWarehouse",
    "InvalidArgumentError",
    "LoadError",
    "LoadMode",
    "LoadResult",
    "QueryFailedError",
    "RedshiftWarehouse",
    "UnsupportedSqlError",
    "Warehouse",
    "WarehouseError",
    "WarehouseTimeoutError",
    "WarehouseUnavailableError",
    "split_statements",
    "to_redshift",
]
