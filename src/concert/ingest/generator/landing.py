"""Landing generated data in the raw zone: Parquet partitions and their manifests.

Each entity is split by the UTC date of its event-time field (artists and
venues, which have none, by the ``as_of`` date) and written as
``raw/{source}/{entity}/dt=YYYY-MM-DD/batch={batch_id}/part-NNNNN.parquet``
files of at most ``max_rows_per_file`` rows, with a ``_manifest.json`` per
partition. Raw data is immutable: every object is written with if-none-match,
and landing a batch id that is already there raises
:class:`RawBatchExistsError` before anything is written. (Should another
writer take a key of the batch midway, the same error names that key; the
partitions landed before it stay, each complete with its manifest.)

Big tables stream: a table sorted by its event time (the generator sorts
sales and interactions) is cut into zero-copy slices; any other table is
gathered one partition at a time, so no more than one partition is copied.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from concert.domain.models import ENTITIES
from concert.ingest.generator.arrays import MICROS_PER_DAY
from concert.ingest.generator.exceptions import RawBatchExistsError
from concert.ingest.generator.pipeline import GeneratedData, Progress
from concert.lake import (
    BatchManifest,
    ManifestFile,
    Zone,
    manifest_key,
    new_batch_id,
    raw_key,
    write_manifest,
)
from foundation.objectstore import ObjectStore
from foundation.objectstore.exceptions import PreconditionFailedError

MAX_ROWS_PER_FILE = 1_000_000
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class LandedBatch:
    """One (entity, date partition) of a landed batch: its files and manifest."""

    entity: str
    batch_id: str
    day: date
    keys: tuple[str, ...]
    manifest_key: str
    rows: int


def _partitions(
    table: pa.Table, event_time: str | None, static_day: date
) -> Iterator[tuple[date, pa.Table]]:
    if table.num_rows == 0:
        return
    if event_time is None:
        yield static_day, table
        return
    micros = table[event_time].cast(pa.int64()).to_numpy()
    days = np.floor_divide(micros, MICROS_PER_DAY)
    ordered = bool(np.all(days[1:] >= days[:-1]))
    order = None if ordered else np.argsort(days, kind="stable")
    sorted_days = days if order is None else days[order]
    starts = np.flatnonzero(np.diff(sorted_days, prepend=sorted_days[0] - 1))
    ends = np.append(starts[1:], sorted_days.size)
    for start, end in zip(starts, ends, strict=True):
        day = date.fromordinal(_EPOCH.toordinal() + int(sorted_days[start]))
        if order is None:
            yield day, table.slice(start, end - start)
        else:
            yield day, table.take(pa.array(order[start:end]))


@contextmanager
def _immutable(key: str) -> Iterator[None]:
    try:
        yield
    except PreconditionFailedError:
        raise RawBatchExistsError(
            f"raw object {key!r} already exists: raw batches are immutable, land a new batch id",
            key=key,
        ) from None


def _write_part(store: ObjectStore, key: str, part: pa.Table) -> ManifestFile:
    sink = pa.BufferOutputStream()
    pq.write_table(part, sink, compression="zstd")
    with _immutable(key):
        info = store.put_stream(
            key,
            pa.BufferReader(sink.getvalue()),
            content_type=PARQUET_CONTENT_TYPE,
            if_none_match=True,
        )
    return ManifestFile(key=key, size=info.size, etag=info.etag, rows=part.num_rows)


def land_generated(
    data: GeneratedData,
    store: ObjectStore,
    *,
    source: str = "generator",
    batch_id: str | None = None,
    as_of: date | None = None,
    max_rows_per_file: int = MAX_ROWS_PER_FILE,
    progress: Progress | None = None,
) -> list[LandedBatch]:
    """Write every generated entity to the raw zone of ``store`` (the raw bucket).

    ``as_of`` (default: the generator's) dates the artists and venues
    partitions. ``progress(entity, rows_written, rows_total)`` reports each
    written file. Returns one :class:`LandedBatch` per (entity, day).
    """
    batch = batch_id or new_batch_id()
    static_day = as_of or data.config.as_of
    first = manifest_key(Zone.RAW, "artists", static_day, batch, source=source)
    if store.exists(first):
        raise RawBatchExistsError(
            f"batch {batch!r} of source {source!r} is already in the raw zone ({first!r})",
            key=first,
        )
    landed: list[LandedBatch] = []
    for entity, table in data.tables().items():
        written = 0
        for day, partition in _partitions(table, ENTITIES[entity].event_time, static_day):
            files = []
            for part, offset in enumerate(range(0, partition.num_rows, max_rows_per_file)):
                key = raw_key(source, entity, day, batch, f"part-{part:05d}.parquet")
                files.append(_write_part(store, key, partition.slice(offset, max_rows_per_file)))
                written += files[-1].rows
                if progress is not None:
                    progress(entity, written, table.num_rows)
            manifest = BatchManifest(
                batch_id=batch,
                zone=Zone.RAW,
                source=source,
                entity=entity,
                files=files,
                rows_read=partition.num_rows,
                rows_accepted=partition.num_rows,
                rows_rejected=0,
                details={
                    "validation": "not validated at landing: generated rows are validated "
                    "downstream against the models like every other source's",
                    "partition": day.isoformat(),
                    "generator_seed": str(data.config.seed),
                    "generator_as_of": data.config.as_of.isoformat(),
                },
            )
            key = manifest_key(Zone.RAW, entity, day, batch, source=source)
            with _immutable(key):
                write_manifest(store, key, manifest)
            landed.append(
                LandedBatch(
                    entity, batch, day, tuple(f.key for f in files), key, partition.num_rows
                )
            )
    return landed


__all__ = ["MAX_ROWS_PER_FILE", "LandedBatch", "land_generated"]
