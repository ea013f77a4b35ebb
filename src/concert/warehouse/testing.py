"""Write processed-zone batches the way processed ingestion does, for tests, benchmarks and demos.

Processed ingestion (validation, quality, lineage) belongs to the ingest
package; this writer only lays rows out as the warehouse expects them: Parquet
with ``arrow_schema(spec)`` exactly, lineage columns filled in, one
``processed/{entity}/month=YYYY-MM/batch={batch_id}/`` folder per UTC month of
the entity's event time (the ingest month for entities without one), each with
its ``_manifest.json`` written last.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from concert.domain import entity_spec
from concert.domain.schema import arrow_schema
from concert.lake import (
    BatchManifest,
    ManifestFile,
    Zone,
    manifest_key,
    month_of,
    new_batch_id,
    processed_key,
    split_by_month,
    write_manifest,
)
from foundation.objectstore import ObjectStore

DEFAULT_ROWS_PER_FILE = 1_000_000


def with_lineage(
    entity: str,
    rows: pa.Table | Sequence[dict[str, Any]],
    *,
    batch_id: str,
    source: str,
    ingested_at: datetime,
) -> pa.Table:
    """``rows`` as a table of ``arrow_schema(entity)``, lineage columns set for every row."""
    spec = entity_spec(entity)
    schema = arrow_schema(spec)
    table = (
        rows
        if isinstance(rows, pa.Table)
        else pa.Table.from_pylist(list(rows), schema=arrow_schema(spec, lineage=False))
    )
    lineage = {
        "_batch_id": pa.repeat(batch_id, table.num_rows),
        "_source": pa.repeat(source, table.num_rows),
        "_ingested_at": pa.repeat(
            pa.scalar(ingested_at.astimezone(UTC), pa.timestamp("us", tz="UTC")), table.num_rows
        ),
    }
    columns = []
    for field in schema:
        if field.name in lineage:
            column = lineage[field.name]
        elif field.name in table.column_names:
            column = table.column(field.name).cast(field.type)
        else:  # an optional field the rows leave out
            column = pa.nulls(table.num_rows, field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def write_processed(
    store: ObjectStore,
    entity: str,
    rows: pa.Table | Sequence[dict[str, Any]],
    *,
    source: str = "test",
    batch_id: str | None = None,
    ingested_at: datetime | None = None,
    rows_per_file: int = DEFAULT_ROWS_PER_FILE,
) -> list[BatchManifest]:
    """Write one batch of ``rows`` to the processed zone; returns a manifest per month partition."""
    ingested_at = ingested_at or datetime.now(UTC)
    batch_id = batch_id or new_batch_id(ingested_at)
    table = with_lineage(entity, rows, batch_id=batch_id, source=source, ingested_at=ingested_at)
    manifests = []
    landed_on = ingested_at.astimezone(UTC).date()
    parts = split_by_month(table, entity_spec(entity).event_time, landed_on)
    # An empty batch still gets its (empty) partition and manifest.
    for month, part in parts or [(month_of(landed_on), table)]:
        files = []
        for number, start in enumerate(range(0, max(part.num_rows, 1), rows_per_file)):
            chunk = part.slice(start, rows_per_file)
            buffer = io.BytesIO()
            pq.write_table(chunk, buffer)
            key = processed_key(entity, month, batch_id, number)
            info = store.put(key, buffer.getvalue(), if_none_match=True)
            files.append(ManifestFile(key=key, size=info.size, etag=info.etag, rows=chunk.num_rows))
        manifest = BatchManifest(
            batch_id=batch_id,
            zone=Zone.PROCESSED,
            source=source,
            entity=entity,
            created_at=ingested_at,
            files=files,
            rows_read=part.num_rows,
            rows_accepted=part.num_rows,
            rows_rejected=0,
        )
        write_manifest(store, manifest_key(Zone.PROCESSED, entity, month, batch_id), manifest)
        manifests.append(manifest)
    return manifests


__all__ = [
    "DEFAULT_ROWS_PER_FILE",
    "with_lineage",
    "write_processed",
]
