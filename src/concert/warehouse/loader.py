"""Idempotent loading of the processed zone into the ``raw_<entity>`` tables.

A processed batch is visible once its ``_manifest.json`` exists (it is written
after the data), so the loader walks manifests, not Parquet files, and loads
exactly the files a manifest lists. Each month partition of a batch is one load,
recorded in the warehouse's ledger under ``month=YYYY-MM/batch=<id>``: loading
again changes nothing. Duplicates *across* batches (a re-delivered stream
micro-batch, the same file uploaded twice) are loaded as they are and removed
by the staging models, which keep the latest row per entity key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from concert.domain import ENTITIES, entity_spec
from concert.lake import BatchManifest, Zone, read_manifest
from concert.warehouse.ddl import create_raw_tables, raw_table_name
from concert.warehouse.exceptions import InvalidManifestError
from concert.warehouse.progress import Progress, report
from foundation.objectstore import ObjectStore
from foundation.warehouse import Warehouse

MANIFEST_NAME = "_manifest.json"
_PARTITION = re.compile(
    r"^processed/[^/]+/(?P<month>month=[0-9]{4}-[0-9]{2})/batch=(?P<batch>[^/]+)/"
)


@dataclass(frozen=True, slots=True)
class BatchLoad:
    """One month partition of one processed batch, and what loading it did.

    ``rows`` is what the load added (for a skipped batch: what its first load
    added); ``expected_rows`` is what the manifest promised.
    """

    entity: str
    table: str
    partition: str  # month=YYYY-MM/batch=<id>: the ledger's batch id
    files: int
    rows: int
    expected_rows: int
    skipped: bool


@dataclass(frozen=True, slots=True)
class LoadReport:
    batches: tuple[BatchLoad, ...]

    @property
    def loaded(self) -> tuple[BatchLoad, ...]:
        return tuple(batch for batch in self.batches if not batch.skipped)

    @property
    def skipped(self) -> tuple[BatchLoad, ...]:
        return tuple(batch for batch in self.batches if batch.skipped)

    @property
    def rows_loaded(self) -> int:
        return sum(batch.rows for batch in self.loaded)

    @property
    def mismatched(self) -> tuple[BatchLoad, ...]:
        """Loaded batches whose row count differs from their manifest's."""
        return tuple(b for b in self.loaded if b.rows != b.expected_rows)

    def rows_by_entity(self) -> dict[str, int]:
        totals = dict.fromkeys(sorted({batch.entity for batch in self.batches}), 0)
        for batch in self.loaded:
            totals[batch.entity] += batch.rows
        return totals


def _manifests(store: ObjectStore, entity: str) -> list[tuple[str, BatchManifest]]:
    """(partition, manifest) of every processed batch of ``entity``, oldest month first."""
    found = []
    for summary in store.list(f"{Zone.PROCESSED.value}/{entity}/"):
        if not summary.key.endswith("/" + MANIFEST_NAME):
            continue
        key = summary.key
        where = _PARTITION.match(key)
        if where is None:
            raise InvalidManifestError(
                "not under processed/{entity}/month=YYYY-MM/batch=.../", key=key
            )
        try:
            manifest = read_manifest(store, key)
        except ValidationError as exc:
            problem = exc.errors()[0]
            field = ".".join(str(part) for part in problem["loc"]) or "document"
            raise InvalidManifestError(
                f"unreadable manifest: {field}: {problem['msg']}", key=key
            ) from exc
        if manifest.zone is not Zone.PROCESSED or manifest.entity != entity:
            raise InvalidManifestError(
                f"describes {manifest.zone.value}/{manifest.entity}, not processed/{entity}",
                key=key,
            )
        if manifest.batch_id != where["batch"]:
            raise InvalidManifestError(
                f"batch_id {manifest.batch_id!r} differs from its folder batch={where['batch']}",
                key=key,
            )
        folder = key.removesuffix(MANIFEST_NAME)
        outside = [file.key for file in manifest.files if not file.key.startswith(folder)]
        if outside:
            raise InvalidManifestError(
                f"lists {outside[0]!r}, which is outside its batch folder {folder}", key=key
            )
        found.append((f"{where['month']}/batch={where['batch']}", manifest))
    return found


def load_processed(
    warehouse: Warehouse,
    processed_store: ObjectStore,
    *,
    entity: str | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Load every processed batch of ``entity`` (default: every entity) not loaded before.

    Creates the ``raw_<entity>`` tables first when they are missing. Batches
    already in the ledger are reported as skipped and left untouched.
    """
    entities = [entity_spec(entity).name] if entity else list(ENTITIES)
    create_raw_tables(warehouse, entities)
    batches: list[BatchLoad] = []
    for name in entities:
        table = raw_table_name(name)
        manifests = _manifests(processed_store, name)
        step = f"loading {table}"
        report(progress, step, 0, len(manifests))
        for done, (partition, manifest) in enumerate(manifests, start=1):
            batches.append(_load_batch(warehouse, processed_store, table, partition, manifest))
            report(progress, step, done, len(manifests))
    return LoadReport(tuple(batches))


def _load_batch(
    warehouse: Warehouse,
    store: ObjectStore,
    table: str,
    partition: str,
    manifest: BatchManifest,
) -> BatchLoad:
    expected = sum(file.rows for file in manifest.files)
    files = [file for file in manifest.files if file.rows > 0]
    if not files:  # every row of the batch was rejected: nothing to load
        return BatchLoad(manifest.entity, table, partition, 0, 0, expected, skipped=False)
    result = warehouse.load_parquet(
        table, [store.uri(file.key) for file in files], batch_id=partition
    )
    return BatchLoad(
        manifest.entity, table, partition, len(files), result.rows, expected, result.skipped
    )


__all__ = ["MANIFEST_NAME", "BatchLoad", "LoadReport", "load_processed"]
