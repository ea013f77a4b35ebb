"""Bulk validation: the pydantic models' rules as DuckDB SQL, for millions of rows.

:mod:`~concert.validation.constraints` generates per-field parsing and checks
from the models; :func:`validate_relation` / :func:`iter_validated` run them
over raw text and return accepted rows with exactly the processed-zone Arrow
schema, and each rejected row's failing fields with pydantic-like reasons;
:mod:`~concert.validation.landing` writes the results to the lake.
"""

from concert.validation.constraints import EntitySql, FieldSql, entity_sql
from concert.validation.engine import (
    ERROR_COLUMN,
    EXTRA_COLUMN,
    ROW_COLUMN,
    WHOLE_RECORD,
    Lineage,
    Rejection,
    TableSlot,
    ValidationResult,
    Validator,
    connect,
    iter_validated,
    validate_relation,
    validate_table,
)
from concert.validation.exceptions import (
    ColumnMismatchError,
    UnsupportedFieldError,
    ValidationEngineError,
)

__all__ = [
    "ERROR_COLUMN",
    "EXTRA_COLUMN",
    "ROW_COLUMN",
    "WHOLE_RECORD",
    "ColumnMismatchError",
    "EntitySql",
    "FieldSql",
    "Lineage",
    "Rejection",
    "TableSlot",
    "UnsupportedFieldError",
    "ValidationEngineError",
    "ValidationResult",
    "Validator",
    "connect",
    "entity_sql",
    "iter_validated",
    "validate_relation",
    "validate_table",
]
