"""The concert warehouse: load the processed zone, build the SQL models, describe them.

:func:`load_processed` loads processed Parquet batches into ``raw_<entity>``
tables, idempotently per batch; :func:`build_warehouse` builds the SQL models
(staging -> star schema -> marts, from ``.sql`` files in DuckDB's dialect that
translate to Redshift) and runs their tests; :func:`glue_table_inputs`
describes the processed zone to the Glue Data Catalog; :func:`warehouse_summary`
and :func:`model_status` report what is loaded and built. Long steps report
through a :data:`Progress` callback, ``progress(step, done, total)``.
"""

from concert.warehouse.catalog import glue_table_inputs, hive_type, to_cfn_table_input
from concert.warehouse.ddl import create_raw_tables, raw_table_ddl, raw_table_name
from concert.warehouse.exceptions import (
    ConcertWarehouseError,
    InvalidManifestError,
    ModelBuildError,
    ModelDefinitionError,
    RawTableMismatchError,
)
from concert.warehouse.loader import BatchLoad, LoadReport, load_processed
from concert.warehouse.models import Model, load_models
from concert.warehouse.progress import Progress
from concert.warehouse.runner import (
    BuildReport,
    ModelRun,
    TestResult,
    build_warehouse,
    test_warehouse,
)
from concert.warehouse.summary import model_status, warehouse_summary

__all__ = [
    "BatchLoad",
    "BuildReport",
    "ConcertWarehouseError",
    "InvalidManifestError",
    "LoadReport",
    "Model",
    "ModelBuildError",
    "ModelDefinitionError",
    "ModelRun",
    "Progress",
    "RawTableMismatchError",
    "TestResult",
    "build_warehouse",
    "create_raw_tables",
    "glue_table_inputs",
    "hive_type",
    "load_models",
    "load_processed",
    "model_status",
    "raw_table_ddl",
    "raw_table_name",
    "test_warehouse",
    "to_cfn_table_input",
    "warehouse_summary",
]
