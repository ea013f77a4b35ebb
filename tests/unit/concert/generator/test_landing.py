"""Landing writes immutable Parquet partitions and manifests that read back, on every store."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from concert.domain.models import ENTITIES
from concert.domain.schema import arrow_schema
from concert.ingest.generator import GeneratedData, RawBatchExistsError
from concert.ingest.generator.landing import LandedBatch, land_generated
from concert.lake import raw_key, read_manifest
from foundation.errors import ConflictError
from foundation.objectstore import LocalObjectStore, ObjectStore

from .conftest import AS_OF

BATCH = "gen-test-1"


@pytest.fixture(scope="module")
def s3_client() -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.setenv(name, "testing")
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            yield boto3.client("s3", region_name="us-east-1")


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "raw", fsync=False)
    from foundation.objectstore.s3 import S3ObjectStore

    client = request.getfixturevalue("s3_client")
    bucket = f"raw-{tmp_path.name.lower().replace('_', '-')[-40:]}"
    client.create_bucket(Bucket=bucket)
    return S3ObjectStore(bucket, client=client)


@pytest.fixture(scope="module")
def tiny(tiny: GeneratedData) -> GeneratedData:
    """The tiny world cut to a few days of events, so it lands in a few dozen objects."""
    start = datetime(2025, 5, 20, tzinfo=UTC)

    def window(table: pa.Table, field: str, days: int = 4) -> pa.Table:
        moment = table[field]
        return table.filter(
            pc.and_(
                pc.greater_equal(moment, pa.scalar(start, moment.type)),
                pc.less(moment, pa.scalar(start + timedelta(days=days), moment.type)),
            )
        )

    return replace(
        tiny,
        concerts=window(tiny.concerts, "event_date", days=12),
        ticket_sales=window(tiny.ticket_sales, "purchase_timestamp"),
        user_interactions=window(tiny.user_interactions, "timestamp"),
    )


def _read(store: ObjectStore, key: str) -> pa.Table:
    return pq.read_table(io.BytesIO(store.get(key).body))


def _event_days(table: pa.Table, entity: str) -> set[date]:
    field = ENTITIES[entity].event_time
    if field is None:
        return {AS_OF}
    return set(pc.cast(table[field], pa.date32()).to_pylist())


def test_landing_writes_partitions_and_manifests_that_read_back(
    store: ObjectStore, tiny: GeneratedData
) -> None:
    landed = land_generated(tiny, store, batch_id=BATCH)
    by_entity: dict[str, list[LandedBatch]] = {}
    for batch in landed:
        by_entity.setdefault(batch.entity, []).append(batch)
    assert list(by_entity) == list(ENTITIES)
    for entity, batches in by_entity.items():
        parts = []
        for batch in batches:
            manifest = read_manifest(store, batch.manifest_key)
            assert (manifest.rows_read, manifest.rows_accepted, manifest.rows_rejected) == (
                batch.rows,
                batch.rows,
                0,
            )
            assert manifest.batch_id == BATCH and manifest.source == "generator"
            assert "validated downstream" in manifest.details["validation"]
            assert [f.key for f in manifest.files] == list(batch.keys)
            for key in batch.keys:
                assert key.startswith(f"raw/generator/{entity}/dt={batch.day}/batch={BATCH}/")
                part = _read(store, key)
                assert part.schema == arrow_schema(ENTITIES[entity], lineage=False)
                assert _event_days(part, entity) == {batch.day}
                parts.append(part)
        back = pa.concat_tables(parts)
        assert back.num_rows == sum(b.rows for b in batches) == tiny.table(entity).num_rows
        key = ENTITIES[entity].key
        assert back.sort_by(key).equals(tiny.table(entity).sort_by(key))


def test_landing_the_same_batch_again_is_a_conflict_and_changes_nothing(
    store: ObjectStore, tiny: GeneratedData
) -> None:
    land_generated(tiny, store, batch_id=BATCH)
    before = {o.key: o.etag for o in store.list("raw/")}
    with pytest.raises(RawBatchExistsError, match=BATCH) as raised:
        land_generated(tiny, store, batch_id=BATCH)
    assert isinstance(raised.value, ConflictError)
    assert {o.key: o.etag for o in store.list("raw/")} == before


def test_a_batch_object_already_present_midway_is_a_conflict_naming_its_key(
    store: ObjectStore, tiny: GeneratedData
) -> None:
    first_day = pc.min(tiny.ticket_sales["purchase_timestamp"]).as_py().date()
    taken = raw_key("generator", "ticket_sales", first_day, BATCH, "part-00000.parquet")
    store.put(taken, b"someone else's bytes")
    with pytest.raises(RawBatchExistsError) as raised:
        land_generated(tiny, store, batch_id=BATCH)
    assert raised.value.extra["key"] == taken
    assert store.get(taken).body == b"someone else's bytes"


def test_big_partitions_are_split_into_files_of_at_most_max_rows(
    store: ObjectStore, tiny: GeneratedData
) -> None:
    landed = land_generated(tiny, store, batch_id=BATCH, max_rows_per_file=25)
    artists = next(b for b in landed if b.entity == "artists")
    assert [k.rsplit("/", 1)[1] for k in artists.keys] == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    for batch in landed:
        rows = [_read(store, key).num_rows for key in batch.keys]
        assert max(rows) <= 25 and sum(rows) == batch.rows


def test_unsorted_tables_land_in_the_same_partitions(
    store: ObjectStore, tiny: GeneratedData
) -> None:
    shuffled = tiny.ticket_sales.take(
        pa.array(np.random.default_rng(3).permutation(tiny.ticket_sales.num_rows))
    )
    landed = land_generated(replace(tiny, ticket_sales=shuffled), store, batch_id=BATCH)
    counts = {b.day: b.rows for b in landed if b.entity == "ticket_sales"}
    days = pc.cast(tiny.ticket_sales["purchase_timestamp"], pa.date32())
    expected = {v["values"]: v["counts"] for v in days.value_counts().to_pylist()}
    assert counts == expected


def test_landing_reports_progress_and_dates_static_entities_by_as_of(
    tmp_path: Path, tiny: GeneratedData
) -> None:
    calls: list[tuple[str, int, int]] = []
    landed = land_generated(
        tiny,
        LocalObjectStore(tmp_path, fsync=False),
        batch_id=BATCH,
        as_of=date(2025, 7, 4),
        progress=lambda entity, done, total: calls.append((entity, done, total)),
    )
    assert {b.day for b in landed if b.entity in ("artists", "venues")} == {date(2025, 7, 4)}
    finals = {entity: (done, total) for entity, done, total in calls}
    assert finals == {e: (t.num_rows, t.num_rows) for e, t in tiny.tables().items()}
