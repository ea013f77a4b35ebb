"""Landing validated chunks by month beside the read: when months land, part numbers, errors."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from concert.domain.models import ENTITIES
from concert.lake import split_by_month
from concert.validation import Lineage, validate_table
from concert.validation.landing import LandedObject, MonthlyLander
from foundation.objectstore import LocalObjectStore

SALES = ENTITIES["ticket_sales"]
LINEAGE = Lineage("b-1", "test", datetime(2025, 1, 2, tzinfo=UTC))
JAN, FEB, MAR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)


def chunk(*sales: tuple[int, int]) -> list[tuple[date, pa.Table]]:
    """Validated sales ``(number, month)`` split by month, as the file ingest hands them over."""
    rows: dict[str, list[str]] = {name: [] for name in SALES.fields}
    for number, month in sales:
        values = {
            "sale_id": f"s{number}", "concert_id": "c1", "customer_id": "u1",
            "price_tier": "vip", "quantity": "2", "unit_price": "10.5", "total_price": "21.0",
            "purchase_timestamp": f"2025-{month:02d}-10T20:00:00Z", "payment_method": "paypal",
        }  # fmt: skip
        for name in SALES.fields:
            rows[name].append(values[name])
    accepted = validate_table(pa.table(rows), SALES, LINEAGE).accepted
    return split_by_month(accepted, SALES.event_time, date(2000, 1, 1))


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "processed", fsync=False)


@pytest.fixture
def lander(store: LocalObjectStore) -> Iterator[MonthlyLander]:
    made = MonthlyLander(store, SALES, "b-1", before_write=lambda: None, buffer_rows=100)
    yield made
    made.close()


def sale_ids(store: LocalObjectStore, objects: list[LandedObject]) -> list[list[str]]:
    return [
        pq.read_table(io.BytesIO(store.get(obj.key).body)).column("sale_id").to_pylist()
        for obj in objects
    ]


def test_a_month_lands_once_a_chunk_no_longer_touches_it(
    store: LocalObjectStore, lander: MonthlyLander
) -> None:
    lander.add(chunk((1, 1), (2, 1), (3, 2)))
    lander.drain()
    assert dict(lander.files) == {}  # January may still go on in the next chunk
    lander.add(chunk((4, 2), (5, 3)))
    lander.drain()
    assert list(lander.files) == [JAN]
    files = lander.finish()
    assert sorted(files) == [JAN, FEB, MAR]
    assert [sale_ids(store, files[m]) for m in (JAN, FEB, MAR)] == [
        [["s1", "s2"]],
        [["s3", "s4"]],
        [["s5"]],
    ]
    assert all(obj.key.endswith("part-00000.parquet") for objs in files.values() for obj in objs)


def test_a_month_that_comes_back_gets_the_next_part_number(
    store: LocalObjectStore, lander: MonthlyLander
) -> None:
    lander.add(chunk((1, 1)))
    lander.add(chunk((2, 2)))
    lander.add(chunk((3, 1)))  # a late January sale, after January landed
    files = lander.finish()
    assert [obj.key.rsplit("/", 1)[1] for obj in files[JAN]] == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    assert sale_ids(store, files[JAN]) == [["s1"], ["s3"]]


def test_everything_lands_once_the_buffer_is_full(store: LocalObjectStore) -> None:
    lander = MonthlyLander(store, SALES, "b-1", before_write=lambda: None, buffer_rows=3)
    lander.add(chunk((1, 1), (2, 2)))
    lander.add(chunk((3, 1), (4, 2)))  # four rows held: both months land although touched
    lander.drain()
    assert sorted(lander.files) == [JAN, FEB]
    lander.close()


def test_a_failing_precondition_stops_the_landing_and_writes_nothing(
    store: LocalObjectStore,
) -> None:
    def refuse() -> None:
        raise RuntimeError("the raw copy failed")

    lander = MonthlyLander(store, SALES, "b-1", before_write=refuse, buffer_rows=100)
    lander.add(chunk((1, 1)))
    with pytest.raises(RuntimeError, match="raw copy failed"):
        lander.add(chunk((2, 2)))
        lander.finish()
    lander.close()
    assert list(store.list()) == []


def test_a_restart_finds_what_was_landed_and_lands_the_same_objects(
    store: LocalObjectStore, lander: MonthlyLander
) -> None:
    lander.add(chunk((1, 1)))
    lander.add(chunk((2, 2)))
    lander.restart()
    for piece in (chunk((1, 1)), chunk((2, 2)), chunk((3, 3))):
        lander.add(piece)
    files = lander.finish()
    assert files[JAN][0].existed and not files[MAR][0].existed
    assert sorted(s.key for s in store.list()) == sorted(
        obj.key for objs in files.values() for obj in objs
    )
