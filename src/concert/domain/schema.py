"""Arrow schemas of the processed zone, derived from the models.

The processed Parquet files, the warehouse's raw tables and the Glue catalog
all use these types, so a field added to a model flows everywhere from here.
Every processed row also carries its lineage: batch id, source and ingest time.
"""

from __future__ import annotations

import types
from datetime import date, datetime
from enum import Enum
from typing import Any, Union, get_args, get_origin

import pyarrow as pa

from concert.domain.models import EntitySpec

LINEAGE_FIELDS = (
    pa.field("_batch_id", pa.string(), nullable=False),
    pa.field("_source", pa.string(), nullable=False),
    pa.field("_ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
)


_SCALARS: dict[Any, pa.DataType] = {
    str: pa.string(),
    bool: pa.bool_(),
    int: pa.int64(),
    float: pa.float64(),
    datetime: pa.timestamp("us", tz="UTC"),
    date: pa.date32(),
}


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return members[0], True
    return annotation, False


def _base(annotation: Any) -> Any:
    # Annotated[int, Field(...)] -> int
    while hasattr(annotation, "__metadata__"):
        annotation = get_args(annotation)[0]
    return annotation


def arrow_type(annotation: Any) -> pa.DataType:
    """The Arrow type for a model field's annotation."""
    annotation, _ = _strip_optional(_base(annotation))
    annotation = _base(annotation)
    origin = get_origin(annotation)
    if origin is list:
        return pa.list_(arrow_type(get_args(annotation)[0]))
    if origin is dict:
        key, value = get_args(annotation)
        return pa.map_(arrow_type(key), arrow_type(value))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return pa.string()
    scalar = _SCALARS.get(annotation)
    if scalar is not None:
        return scalar
    raise TypeError(f"no Arrow type for annotation {annotation!r}")


def arrow_schema(spec: EntitySpec, *, lineage: bool = True) -> pa.Schema:
    """The processed-zone schema of an entity: its model's fields, then lineage."""
    fields = []
    for name, info in spec.model.model_fields.items():
        _, optional = _strip_optional(info.annotation)
        nullable = optional or not info.is_required()
        fields.append(pa.field(name, arrow_type(info.annotation), nullable=nullable))
    return pa.schema(fields + (list(LINEAGE_FIELDS) if lineage else []))


__all__ = ["LINEAGE_FIELDS", "arrow_schema", "arrow_type"]
